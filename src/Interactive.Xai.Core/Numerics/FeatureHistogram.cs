namespace Interactive.Xai.Numerics;

/// <summary>Equal-width histograms of a feature column, so charts get counts rather than every row's value.</summary>
public static class FeatureHistogram
{
    /// <summary>
    /// Counts the finite values of column <paramref name="feature"/> in <paramref name="bins"/> equal-width bins
    /// between its minimum and maximum (the last bin includes the maximum). Returns bins + 1 edges and bins counts;
    /// a constant column gives one bin of width 1 around its value; a column with no finite value gives no bins.
    /// </summary>
    public static (double[] Edges, int[] Counts) Of(FeatureTable data, int feature, int bins)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        if ((uint)feature >= (uint)data.ColumnCount) throw new ArgumentOutOfRangeException(nameof(feature));
        var values = data.Values;
        int m = data.ColumnCount, n = data.RowCount;
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (int r = 0; r < n; r++)
        {
            float v = values[r * m + feature];
            if (!float.IsFinite(v)) continue;
            if (v < min) min = v;
            if (v > max) max = v;
        }
        if (min > max) return ([], []);
        if (min == max) return ([min - 0.5, min + 0.5], [Count(values, m, n, feature)]);
        var edges = new double[bins + 1];
        for (int b = 0; b <= bins; b++) edges[b] = min + (max - min) * b / bins;
        edges[bins] = max;
        var counts = new int[bins];
        double scale = bins / (max - min);
        for (int r = 0; r < n; r++)
        {
            float v = values[r * m + feature];
            if (!float.IsFinite(v)) continue;
            int b = (int)((v - min) * scale);
            counts[Math.Clamp(b, 0, bins - 1)]++;
        }
        return (edges, counts);
    }

    private static int Count(ReadOnlySpan<float> values, int m, int n, int feature)
    {
        int count = 0;
        for (int r = 0; r < n; r++) if (float.IsFinite(values[r * m + feature])) count++;
        return count;
    }
}
