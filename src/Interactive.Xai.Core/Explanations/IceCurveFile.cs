using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Interactive.Xai;

/// <summary>
/// ICE curves kept outside the managed heap: float32 values, [curve][grid point][target], in a temporary file that
/// no other process can see by name (unlinked as soon as it is opened on Unix, deleted on close elsewhere), so nothing
/// is left behind even when the process is killed. Model outputs are float32, so the values read back are exactly
/// the ones computed. Written once in curve order by the explainer, then read by position (thread-safe reads).
/// </summary>
internal sealed class IceCurveFile
{
    private readonly SafeFileHandle _handle;
    private long _written;

    private IceCurveFile(SafeFileHandle handle, int valuesPerCurve)
    {
        _handle = handle;
        ValuesPerCurve = valuesPerCurve;
    }

    /// <summary>Grid points x targets: the floats of one curve.</summary>
    public int ValuesPerCurve { get; }

    /// <summary>The curves written so far.</summary>
    public int CurveCount => (int)(_written / ValuesPerCurve);

    /// <summary>Creates an empty file in the system's temporary folder.</summary>
    public static IceCurveFile Create(int valuesPerCurve)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(valuesPerCurve, 1);
        string folder = Path.GetTempPath();
        string path = Path.Combine(folder, $"xai-ice-{Environment.ProcessId}-{Guid.NewGuid():N}.tmp");
        try
        {
            var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Delete, FileOptions.DeleteOnClose);
            if (!OperatingSystem.IsWindows())
            {
                try { File.Delete(path); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
            return new IceCurveFile(handle, valuesPerCurve);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new XaiException($"cannot keep the ICE curves in a temporary file in {folder}: {e.Message}");
        }
    }

    /// <summary>Appends whole curves (a multiple of <see cref="ValuesPerCurve"/> values).</summary>
    public void Append(ReadOnlySpan<float> values)
    {
        if (values.Length % ValuesPerCurve != 0) throw new ArgumentException("not whole curves", nameof(values));
        try
        {
            RandomAccess.Write(_handle, MemoryMarshal.AsBytes(values), _written * sizeof(float));
        }
        catch (IOException e)
        {
            throw new XaiException($"cannot keep the ICE curves in a temporary file in {Path.GetTempPath()}: {e.Message}");
        }
        _written += values.Length;
    }

    /// <summary>Reads the curves from <paramref name="firstCurve"/> on into <paramref name="destination"/> (whole curves).</summary>
    public void Read(int firstCurve, Span<float> destination)
    {
        if (destination.Length % ValuesPerCurve != 0) throw new ArgumentException("not whole curves", nameof(destination));
        long offset = (long)firstCurve * ValuesPerCurve;
        if (firstCurve < 0 || offset + destination.Length > _written) throw new ArgumentOutOfRangeException(nameof(firstCurve));
        var bytes = MemoryMarshal.AsBytes(destination);
        long position = offset * sizeof(float);
        while (bytes.Length > 0)
        {
            int read = RandomAccess.Read(_handle, bytes, position);
            if (read <= 0) throw new XaiException("the temporary file of ICE curves ended early");
            bytes = bytes[read..];
            position += read;
        }
    }
}
