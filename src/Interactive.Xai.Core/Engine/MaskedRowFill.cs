using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Interactive.Xai.Engine;

/// <summary>
/// The vectorised kernel of the perturbation fills: write a row that takes feature j from x where bit j of a lane mask
/// is set and from a background row elsewhere, as up to three 8-float blends. Rows of up to 24 features are kept
/// padded to whole vectors; whole vectors are stored, so the spill past a row's end is overwritten by the next row or
/// lands in the fill destination's <see cref="BatchEvaluator.Padding"/>.
/// </summary>
internal static class MaskedRowFill
{
    /// <summary>The widest row the kernel handles.</summary>
    public const int MaxFeatures = 24;

    private static readonly Vector256<float>[] LaneMasks = Enumerable.Range(0, 256)
        .Select(bits => Vector256.Create(Enumerable.Range(0, 8).Select(lane => (bits & (1 << lane)) != 0 ? -1 : 0).ToArray()).AsSingle())
        .ToArray();

    /// <summary>Tests set this to run the scalar fills on the calling thread (explainers read it where they start a block).</summary>
    [ThreadStatic]
    internal static bool DisabledOnThisThread;

    /// <summary>Whether the kernel runs on this machine for rows of <paramref name="featureCount"/> features.</summary>
    public static bool IsSupported(int featureCount) => Vector256.IsHardwareAccelerated && featureCount <= MaxFeatures && !DisabledOnThisThread;

    /// <summary>Whether parallel bit deposit (BMI2) is available, for fills that spread subset bits onto features.</summary>
    public static bool HasBitDeposit => Bmi2.IsSupported;

    /// <summary>8-float vectors per row.</summary>
    public static int Chunks(int featureCount) => (featureCount + 7) / 8;

    /// <summary>Copies rows of <paramref name="featureCount"/> values into rows padded to whole vectors.</summary>
    public static float[] Pad(ReadOnlySpan<float> values, int rowCount, int featureCount)
    {
        int width = Chunks(featureCount) * 8;
        var padded = new float[rowCount * width];
        for (int r = 0; r < rowCount; r++) values.Slice(r * featureCount, featureCount).CopyTo(padded.AsSpan(r * width));
        return padded;
    }

    /// <summary>One padded row held in registers.</summary>
    public readonly struct Row
    {
        public readonly Vector256<float> V0, V1, V2;

        public Row(ReadOnlySpan<float> padded, int chunks)
        {
            V0 = Vector256.Create(padded[..8]);
            V1 = chunks > 1 ? Vector256.Create(padded.Slice(8, 8)) : default;
            V2 = chunks > 2 ? Vector256.Create(padded.Slice(16, 8)) : default;
        }
    }

    /// <summary>Throws unless <paramref name="destination"/> holds <paramref name="rows"/> rows plus the vector spill.</summary>
    public static void CheckRoom(Span<float> destination, int rows, int featureCount)
    {
        if (destination.Length < (rows - 1) * featureCount + Chunks(featureCount) * 8)
            throw new InvalidOperationException("fill destination lacks padding");
    }

    /// <summary>Writes one blended row at <paramref name="offset"/> floats past <paramref name="target"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Blend(ref float target, nuint offset, uint lanes, int chunks, in Row x, in Row background)
    {
        Vector256.ConditionalSelect(LaneMasks[lanes & 0xFF], x.V0, background.V0).StoreUnsafe(ref target, offset);
        if (chunks > 1) Vector256.ConditionalSelect(LaneMasks[(lanes >> 8) & 0xFF], x.V1, background.V1).StoreUnsafe(ref target, offset + 8);
        if (chunks > 2) Vector256.ConditionalSelect(LaneMasks[(lanes >> 16) & 0xFF], x.V2, background.V2).StoreUnsafe(ref target, offset + 16);
    }

    /// <summary>A reference to the first element, for <see cref="Blend"/>.</summary>
    public static ref float Start(Span<float> destination) => ref MemoryMarshal.GetReference(destination);
}
