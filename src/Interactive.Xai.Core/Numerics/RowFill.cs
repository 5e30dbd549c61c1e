using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Interactive.Xai.Numerics;

/// <summary>Row-major fills for the perturbation explainers' model inputs.</summary>
internal static class RowFill
{
    /// <summary>The widest row <see cref="Repeat"/> writes as whole vectors.</summary>
    public const int MaxVectorFeatures = 24;

    /// <summary>
    /// Writes <paramref name="copies"/> copies of <paramref name="row"/> one after another at the start of
    /// <paramref name="destination"/>. For rows of up to 24 values, when <paramref name="destination"/> has room for the
    /// spill, each copy is stored as whole 8-float vectors (the row padded with zeros), so up to 7 values past the last
    /// copy's end are overwritten; otherwise the copies are exact.
    /// </summary>
    public static void Repeat(ReadOnlySpan<float> row, int copies, Span<float> destination)
    {
        int m = row.Length;
        if (copies <= 0) return;
        int chunks = (m + 7) / 8;
        if (!Vector256.IsHardwareAccelerated || m > MaxVectorFeatures || destination.Length < (copies - 1) * m + chunks * 8)
        {
            for (int c = 0; c < copies; c++) row.CopyTo(destination.Slice(c * m, m));
            return;
        }
        Span<float> padded = stackalloc float[MaxVectorFeatures];
        padded.Clear();
        row.CopyTo(padded);
        var v0 = Vector256.Create<float>(padded[..8]);
        var v1 = Vector256.Create<float>(padded.Slice(8, 8));
        var v2 = Vector256.Create<float>(padded.Slice(16, 8));
        ref float target = ref MemoryMarshal.GetReference(destination);
        nuint offset = 0;
        for (int c = 0; c < copies; c++, offset += (nuint)m)
        {
            v0.StoreUnsafe(ref target, offset);
            if (chunks > 1) v1.StoreUnsafe(ref target, offset + 8);
            if (chunks > 2) v2.StoreUnsafe(ref target, offset + 16);
        }
    }
}
