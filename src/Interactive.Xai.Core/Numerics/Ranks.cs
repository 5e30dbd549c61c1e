namespace Interactive.Xai.Numerics;

/// <summary>Ranks and correlations in double precision.</summary>
internal static class Ranks
{
    /// <summary>1-based ranks, ties given the average of the ranks they span (scipy's rankdata 'average').</summary>
    public static double[] Average(ReadOnlySpan<float> values) => Average<float>(values);

    /// <summary>1-based ranks of double values, ties given the average of the ranks they span.</summary>
    public static double[] Average(ReadOnlySpan<double> values) => Average<double>(values);

    private static double[] Average<T>(ReadOnlySpan<T> values) where T : struct, System.Numerics.INumber<T>
    {
        int n = values.Length;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var keys = values.ToArray();
        Array.Sort(keys, order);
        var ranks = new double[n];
        int start = 0;
        while (start < n)
        {
            int end = start;
            while (end + 1 < n && keys[end + 1] == keys[start]) end++;
            double rank = (start + end) / 2.0 + 1;
            for (int i = start; i <= end; i++) ranks[order[i]] = rank;
            start = end + 1;
        }
        return ranks;
    }

    /// <summary>Pearson's correlation of two equally long series; NaN when either is constant.</summary>
    public static double Pearson(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        int n = a.Length;
        double ma = 0, mb = 0;
        for (int i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
        ma /= n;
        mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < n; i++)
        {
            double da = a[i] - ma, db = b[i] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        if (saa == 0 || sbb == 0) return double.NaN;
        return Math.Clamp(sab / Math.Sqrt(saa * sbb), -1, 1);
    }
}
