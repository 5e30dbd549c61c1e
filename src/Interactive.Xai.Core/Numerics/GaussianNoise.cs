namespace Interactive.Xai.Numerics;

/// <summary>
/// A small seeded stream of standard normal numbers (SplitMix64 bits, Box-Muller pairs). Cheap to create, so
/// every (row, sample) pair can own a stream and draws do not depend on batching or thread order.
/// </summary>
internal struct GaussianNoise(ulong seed)
{
    private ulong _state = seed;
    private double _spare = double.NaN;

    /// <summary>A stream for one (seed, a, b) triple.</summary>
    public static GaussianNoise For(int seed, int a, int b) => new(((ulong)(uint)Statistics.DeriveSeed(seed, a, b) << 32) ^ (ulong)(uint)b ^ 0xD1B54A32D192ED03UL);

    /// <summary>The next standard normal number.</summary>
    public double Next()
    {
        if (!double.IsNaN(_spare))
        {
            double spare = _spare;
            _spare = double.NaN;
            return spare;
        }
        double u = 1.0 - NextUniform(); // (0, 1]
        double v = NextUniform();
        double radius = Math.Sqrt(-2 * Math.Log(u));
        _spare = radius * Math.Sin(2 * Math.PI * v);
        return radius * Math.Cos(2 * Math.PI * v);
    }

    private double NextUniform() => (NextBits() >> 11) * (1.0 / (1UL << 53));

    private ulong NextBits()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
