namespace Interactive.Xai.Numerics;

/// <summary>Summary statistics in double precision.</summary>
internal static class Statistics
{
    public static double Mean(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (var v in values) sum += v;
        return values.Length == 0 ? double.NaN : sum / values.Length;
    }

    /// <summary>The sample standard deviation (n - 1 in the denominator); 0 for fewer than two values.</summary>
    public static double StandardDeviation(ReadOnlySpan<double> values)
    {
        if (values.Length < 2) return 0;
        double mean = Mean(values), sum = 0;
        foreach (var v in values) sum += (v - mean) * (v - mean);
        return Math.Sqrt(sum / (values.Length - 1));
    }

    /// <summary>A random permutation of 0..n-1 (Fisher-Yates).</summary>
    public static int[] Permutation(int n, Random random)
    {
        var p = new int[n];
        Permutation(p, random);
        return p;
    }

    /// <summary>Fills <paramref name="p"/> with the permutation <see cref="Permutation(int, Random)"/> gives for its length.</summary>
    public static void Permutation(Span<int> p, Random random)
    {
        int n = p.Length;
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
    }

    /// <summary>A seed derived from a base seed and stream indices, so that streams are independent of run order.</summary>
    public static int DeriveSeed(int seed, int a, int b = 0)
    {
        unchecked
        {
            ulong h = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
            h ^= (ulong)(uint)a + 0x632BE59BD9B4E019UL + (h << 6) + (h >> 2);
            h ^= (ulong)(uint)b + 0x85EBCA77C2B2AE63UL + (h << 6) + (h >> 2);
            h ^= h >> 33; h *= 0xFF51AFD7ED558CCDUL; h ^= h >> 33;
            return (int)(h & 0x7FFFFFFF);
        }
    }
}
