using System.Text;

namespace Interactive.Xai.Cli;

/// <summary>Writes output files so that a failure never leaves a half-written file behind.</summary>
internal static class AtomicFile
{
    /// <summary>Writes all files or none: each goes to a temporary file beside its target, then all are moved into place.</summary>
    public static void WriteAll(IReadOnlyList<(string Path, string Content)> files)
    {
        var temporary = new List<(string Temp, string Target)>();
        try
        {
            foreach (var (path, content) in files)
            {
                var full = Path.GetFullPath(path);
                var directory = Path.GetDirectoryName(full)!;
                if (!Directory.Exists(directory)) throw new XaiException($"{path}: the folder {directory} does not exist");
                var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
                temporary.Add((temp, full));
                File.WriteAllText(temp, content, new UTF8Encoding(false));
            }
            foreach (var (temp, target) in temporary) File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new XaiException($"cannot write {files[Math.Max(0, temporary.Count - 1)].Path}: {e.Message}");
        }
        finally
        {
            foreach (var (temp, _) in temporary)
                if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// What every command does with its result: with no output file requested, prints <paramref name="json"/> on
    /// <paramref name="output"/> and returns false; otherwise writes all <paramref name="files"/> (all or none) and
    /// prints "<paramref name="summary"/>; wrote FILE, ..." and returns true.
    /// </summary>
    public static bool WriteOrPrint(TextWriter output, string json, IReadOnlyList<(string Path, string Content)> files, string summary)
    {
        if (files.Count == 0)
        {
            output.WriteLine(json);
            return false;
        }
        WriteAll(files);
        output.WriteLine($"{summary}; wrote {string.Join(", ", files.Select(f => f.Path))}");
        return true;
    }
}
