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

    /// <summary>
    /// The distinct values of a column, ascending, or null when there are more than <paramref name="limit"/>: the
    /// same as <see cref="Distinct"/> of <see cref="SortedColumn"/>, without sorting the column (a column of many
    /// values stops at the first limit + 1). Not for columns holding -0 (see <see cref="HasNegativeZero"/>): there the
    /// sorted column decides which zero is kept.
    /// </summary>
    public static double[]? DistinctColumn(FeatureTable table, int column, int limit)
    {
        var values = table.Values;
        int columns = table.ColumnCount;
        var seen = new HashSet<float>();
        for (int r = 0; r < table.RowCount; r++)
        {
            if (seen.Add(values[r * columns + column]) && seen.Count > limit) return null;
        }
        var result = seen.Select(v => (double)v).ToArray();
        Array.Sort(result);
        return result;
    }

    /// <summary>Whether a column holds -0 (IEEE negative zero).</summary>
    public static bool HasNegativeZero(FeatureTable table, int column)
    {
        var values = table.Values;
        int columns = table.ColumnCount;
        for (int r = 0; r < table.RowCount; r++)
        {
            float v = values[r * columns + column];
            if (v == 0 && float.IsNegative(v)) return true;
        }
        return false;
    }

    /// <summary>
    /// <see cref="Linear"/> at <paramref name="lower"/> and <paramref name="upper"/> (lower &lt;= upper) of a column, the
    /// same values as from <see cref="SortedColumn"/>, from the order statistics they need (selection, not a sort).
    /// </summary>
    public static (double Lower, double Upper) LinearPair(FeatureTable table, int column, double lower, double upper)
    {
        int n = table.RowCount, columns = table.ColumnCount;
        if (n == 0) throw new ArgumentException("no values", nameof(table));
        var values = table.Values;
        var work = new double[n];
        for (int r = 0; r < n; r++) work[r] = values[r * columns + column];
        double At(double p, int from)
        {
            double h = (n - 1) * p;
            int lo = (int)Math.Floor(h);
            int hi = Math.Min(lo + 1, n - 1);
            double low = Select(work, lo, from);
            double high = hi == lo ? low : Min(work, lo + 1);
            return low + (h - lo) * (high - low);
        }
        double first = At(lower, 0);
        // The array is now partitioned about the lower order statistic: the upper one lies at or after it.
        int lowerIndex = (int)Math.Floor((n - 1) * lower);
        double second = At(upper, lowerIndex);
        return (first, second);
    }

    private static double Min(double[] values, int from)
    {
        double min = values[from];
        for (int i = from + 1; i < values.Length; i++) if (values[i] < min) min = values[i];
        return min;
    }

    // Moves the k-th smallest value (0-based) of values[from..] to index k, smaller or equal ones before it and larger
    // or equal ones after it (values[..from] are all at most values[from..], as left by an earlier call), and returns it.
    // Quickselect with a median-of-three pivot; a sort of the range if it takes too many rounds.
    private static double Select(double[] values, int k, int from)
    {
        int left = from, right = values.Length - 1, rounds = 0;
        while (right > left)
        {
            if (++rounds > 64)
            {
                Array.Sort(values, left, right - left + 1);
                return values[k];
            }
            int middle = left + (right - left) / 2;
            if (values[middle] < values[left]) (values[middle], values[left]) = (values[left], values[middle]);
            if (values[right] < values[left]) (values[right], values[left]) = (values[left], values[right]);
            if (values[right] < values[middle]) (values[right], values[middle]) = (values[middle], values[right]);
            double pivot = values[middle];
            int i = left, j = right;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            // values[left..j] <= pivot <= values[i..right], and values[j+1..i-1] equal the pivot.
            if (k <= j) right = j;
            else if (k >= i) left = i;
            else return values[k];
        }
        return values[k];
    }
}
