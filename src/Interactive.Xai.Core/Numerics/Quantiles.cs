namespace Interactive.Xai.Numerics;

/// <summary>Quantile rules shared by the grid and binning code.</summary>
internal static class Quantiles
{
    /// <summary>Linear interpolation between order statistics (numpy's default, R type 7).</summary>
    public static double Linear(double[] sorted, double p)
    {
        if (sorted.Length == 0) throw new ArgumentException("no values", nameof(sorted));
        double h = (sorted.Length - 1) * p;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>The inverse of the empirical distribution function (R type 1), as ALEPlot uses.</summary>
    public static double InverseEmpirical(double[] sorted, double p)
    {
        if (sorted.Length == 0) throw new ArgumentException("no values", nameof(sorted));
        if (p <= 0) return sorted[0];
        int k = (int)Math.Ceiling(sorted.Length * p - 1e-12);
        return sorted[Math.Clamp(k - 1, 0, sorted.Length - 1)];
    }

    /// <summary>The values sorted ascending, as doubles.</summary>
    public static double[] Sorted(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        Array.Sort(result);
        return result;
    }

    /// <summary>One column of a table sorted ascending, as doubles (no copy of the column as floats first).</summary>
    public static double[] SortedColumn(FeatureTable table, int column)
    {
        int columns = table.ColumnCount;
        if ((uint)column >= (uint)columns) throw new ArgumentOutOfRangeException(nameof(column));
        var values = table.Values;
        var result = new double[table.RowCount];
        for (int r = 0; r < result.Length; r++) result[r] = values[r * columns + column];
        Array.Sort(result);
        return result;
    }

    /// <summary>The distinct values of a sorted array, or null when there are more than <paramref name="limit"/>
    /// (so that a column of a million different values costs no list of them).</summary>
    public static double[]? Distinct(double[] sorted, int limit)
    {
        var result = new List<double>(Math.Min(Math.Min(sorted.Length, limit) + 1, 64));
        foreach (var v in sorted)
        {
            if (result.Count > 0 && result[^1] == v) continue;
            if (result.Count == limit) return null;
            result.Add(v);
        }
        return result.ToArray();
    }
}
