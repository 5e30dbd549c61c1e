using System.Runtime.InteropServices;
using System.Text;

namespace Interactive.Xai.Cli;

/// <summary>
/// The output files of one command, all or nothing. <see cref="Prepare"/> checks every path before any work is done
/// (no empty path, no folder, FIFO or device, no two options naming the same file, even through a linked folder or a
/// hard link; the folder must exist and be writable) and reserves a temporary file beside each target; <see cref="Commit"/> writes every temporary file and only
/// then moves them all into place. A path that is a symbolic link is written through to the file it points to. Temporary
/// files are deleted on dispose and when the process is interrupted (SIGINT, SIGTERM, SIGHUP).
/// </summary>
internal sealed class OutputFiles : IDisposable
{
    private readonly List<Entry> _entries;
    private readonly List<PosixSignalRegistration> _signals = [];
    private readonly object _gate = new();

    private sealed record Entry(string Option, string Path, string Target, string Temp, FileIdentity? Identity)
    {
        public string Label => Label(Option, Path);

        public string? Content { get; set; }

        public Action<Stream>? Writer { get; set; }
    }

    private OutputFiles(List<Entry> entries)
    {
        _entries = entries;
    }

    // Deletes the temporary files when the process is interrupted; the signal's default action (ending the process) follows.
    private void CleanUpOnSignals()
    {
        if (_entries.Count == 0) return;
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
        {
            try { _signals.Add(PosixSignalRegistration.Create(signal, _ => DeleteTemporaryFiles())); }
            catch (PlatformNotSupportedException) { }
        }
    }

    // "--json out.json", or just the path when the option is the path itself (the demo's files).
    private static string Label(string option, string path) => option == path ? path : $"{option} {path}";

    /// <summary>The path that means standard output ("--json -").</summary>
    public const string StandardOutput = "-";

    /// <summary>The outputs asked for, as given on the command line.</summary>
    public IEnumerable<string> Paths => _entries.Select(e => e.Path);

    /// <summary>True when no output file was asked for.</summary>
    public bool IsEmpty => _entries.Count == 0;

    /// <summary>
    /// Checks the requested outputs (option name, path; a null path is not requested) and reserves their temporary
    /// files; throws an <see cref="XaiException"/> naming the option when one cannot be written.
    /// </summary>
    public static OutputFiles Prepare(params (string Option, string? Path)[] outputs)
    {
        var entries = new List<Entry>();
        var result = new OutputFiles(entries);
        try
        {
            foreach (var (option, path) in outputs)
            {
                if (path is null || path == StandardOutput) continue;
                if (path.Trim().Length == 0) throw new XaiException($"{option}: the path is empty; give a file name");
                string label = Label(option, path);
                string target = Resolve(label, path);
                string directory = System.IO.Path.GetDirectoryName(target)!;
                if (!Directory.Exists(directory))
                    throw new XaiException($"{label}: the folder {directory} does not exist");
                // One file reached by two paths (a linked folder on the way, a hard link, a bind mount) is found by its
                // device and inode, or those of its folder when it does not exist yet.
                var identity = FileIdentity.Of(target);
                var same = entries.FirstOrDefault(e => string.Equals(e.Target, target, StringComparison.Ordinal)
                    || (identity is not null && identity == e.Identity));
                if (same is not null) throw new XaiException($"{same.Label} and {label} name the same file; give two different files");
                string temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
                try
                {
                    using (new FileStream(temp, FileMode.CreateNew, FileAccess.Write)) { }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw new XaiException($"{label}: cannot write in {directory}: {e.Message}");
                }
                lock (result._gate) entries.Add(new Entry(option, path, target, temp, identity));
                if (entries.Count == 1) result.CleanUpOnSignals();
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    // The file that will be written: the path itself, or the final target of a symbolic link; refuses folders and
    // special files (FIFOs, devices, sockets).
    private static string Resolve(string label, string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new XaiException($"{label}: is a folder; give a file name");
        var info = new FileInfo(full);
        if (info.LinkTarget is not null)
        {
            var final = info.ResolveLinkTarget(returnFinalTarget: true);
            if (final is null) throw new XaiException($"{label}: cannot follow the symbolic link");
            full = System.IO.Path.GetFullPath(final.FullName);
            if (Directory.Exists(full)) throw new XaiException($"{label}: links to the folder {full}; give a file name");
        }
        if (File.Exists(full) && FileKind.Of(full) is { } kind && kind != "regular file")
            throw new XaiException($"{label}: is a {kind}, not a regular file; give a file name");
        return full;
    }

    /// <summary>Sets the content of the output that <paramref name="option"/> asked for (ignored when it was not asked for).</summary>
    public void Set(string option, string content)
    {
        foreach (var entry in _entries)
            if (entry.Option == option) entry.Content = content;
    }

    /// <summary>The content of one output, written straight to its temporary file at commit (large results
    /// never become a string).</summary>
    public void SetWriter(string option, Action<Stream> writer)
    {
        foreach (var entry in _entries)
            if (entry.Option == option) entry.Writer = writer;
    }

    /// <summary>Writes every output to its temporary file, then moves them all into place.</summary>
    public void Commit()
    {
        var missing = _entries.FirstOrDefault(e => e.Content is null && e.Writer is null);
        if (missing is not null) throw new InvalidOperationException($"no content for {missing.Option}");
        Entry current = _entries[0];
        try
        {
            foreach (var entry in _entries)
            {
                current = entry;
                if (entry.Writer is not null)
                {
                    using var stream = new FileStream(entry.Temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
                    entry.Writer(stream);
                }
                else File.WriteAllText(entry.Temp, entry.Content, new UTF8Encoding(false));
            }
            lock (_gate)
            {
                foreach (var entry in _entries)
                {
                    current = entry;
                    File.Move(entry.Temp, entry.Target, overwrite: true);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new XaiException($"{current.Label}: cannot write: {e.Message}");
        }
        finally
        {
            DeleteTemporaryFiles();
        }
    }

    private void DeleteTemporaryFiles()
    {
        lock (_gate)
        {
            foreach (var entry in _entries)
            {
                try { File.Delete(entry.Temp); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var signal in _signals) signal.Dispose();
        _signals.Clear();
        DeleteTemporaryFiles();
    }
}

/// <summary>
/// What makes two paths one file on Linux: the device and inode of the file (following links), or, for a file that does
/// not exist yet, those of its folder and its name. Null where stat(2) cannot tell (other systems, or an error).
/// </summary>
internal sealed record FileIdentity(ulong Device, ulong Inode, string? Name)
{
    /// <summary>The identity of <paramref name="path"/> (a full path), or null when it cannot be told.</summary>
    public static FileIdentity? Of(string path)
    {
        if (FileKind.DeviceAndInode(path) is { } file) return new FileIdentity(file.Device, file.Inode, null);
        if (File.Exists(path) || Directory.Exists(path)) return null;
        string? folder = Path.GetDirectoryName(path);
        if (folder is null || FileKind.DeviceAndInode(folder) is not { } parent) return null;
        return new FileIdentity(parent.Device, parent.Inode, Path.GetFileName(path));
    }
}

/// <summary>The type of an existing file, from stat(2): "regular file", "FIFO", "character device", ...</summary>
internal static partial class FileKind
{
    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);

    /// <summary>st_dev and st_ino of <paramref name="path"/> (following links; both lead struct stat on Linux x64
    /// and arm64), or null when it cannot be told.</summary>
    public static (ulong Device, ulong Inode)? DeviceAndInode(string path)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64)) return null;
        var buffer = new byte[256];
        try
        {
            if (Stat(path, buffer) != 0) return null;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
        return (BitConverter.ToUInt64(buffer, 0), BitConverter.ToUInt64(buffer, 8));
    }

    /// <summary>The kind of file at <paramref name="path"/> (following links), or null when it cannot be told.</summary>
    public static string? Of(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        int offset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (offset < 0) return null;
        var buffer = new byte[256];
        try
        {
            if (Stat(path, buffer) != 0) return null;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
        uint mode = BitConverter.ToUInt32(buffer, offset) & 0xF000;
        return mode switch
        {
            0x8000 => "regular file",
            0x4000 => "folder",
            0x1000 => "FIFO (named pipe)",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            _ => "special file",
        };
    }
}

/// <summary>Writes output files so that a failure never leaves a half-written file behind.</summary>
internal static class AtomicFile
{
    /// <summary>Writes all files or none (see <see cref="OutputFiles"/>); each path names itself in errors.</summary>
    public static void WriteAll(IReadOnlyList<(string Path, string Content)> files)
    {
        using var outputs = OutputFiles.Prepare(files.Select(f => (f.Path, (string?)f.Path)).ToArray());
        foreach (var (path, content) in files) outputs.Set(path, content);
        outputs.Commit();
    }

    /// <summary>
    /// What every command does with its result: writes the requested <paramref name="files"/> (all or none), prints
    /// the JSON on <paramref name="output"/> when <paramref name="jsonPath"/> is "-" (and then nothing else there),
    /// and otherwise prints "<paramref name="summary"/>" followed by "; wrote FILE, ..." when files were written.
    /// Returns true when files were written.
    /// </summary>
    public static bool WriteOrPrint(TextWriter output, string json, OutputFiles files, string summary, string? jsonPath) =>
        WriteOrPrint(output, writer => writer.Write(json), files, summary, jsonPath);

    /// <summary>
    /// <see cref="WriteOrPrint(TextWriter, string, OutputFiles, string, string?)"/> for JSON written as UTF-8 to a
    /// stream: with "--json -" it goes to <paramref name="output"/> as it is made (every ICE curve of a large table
    /// never becomes one string).
    /// </summary>
    public static bool WriteOrPrint(TextWriter output, Action<Stream> writeJson, OutputFiles files, string summary, string? jsonPath) =>
        WriteOrPrint(output, writer =>
        {
            using var stream = new TextWriterStream(writer);
            writeJson(stream);
        }, files, summary, jsonPath);

    private static bool WriteOrPrint(TextWriter output, Action<TextWriter> printJson, OutputFiles files, string summary, string? jsonPath)
    {
        bool wrote = !files.IsEmpty;
        if (wrote) files.Commit();
        if (jsonPath == OutputFiles.StandardOutput)
        {
            printJson(output);
            output.WriteLine();
            return wrote;
        }
        output.WriteLine(wrote ? $"{summary}; wrote {string.Join(", ", files.Paths)}" : summary);
        return wrote;
    }
}

/// <summary>A write-only stream that decodes UTF-8 into a <see cref="TextWriter"/> (characters split across writes are kept).</summary>
internal sealed class TextWriterStream(TextWriter writer) : Stream
{
    private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
    private readonly char[] _chars = new char[4096];

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        bool completed = false;
        while (!buffer.IsEmpty || !completed)
        {
            _decoder.Convert(buffer, _chars, flush: false, out int used, out int produced, out completed);
            writer.Write(_chars, 0, produced);
            buffer = buffer[used..];
            if (buffer.IsEmpty && produced < _chars.Length) break;
        }
    }

    public override void Flush() => writer.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
