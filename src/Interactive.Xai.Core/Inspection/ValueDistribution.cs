using System.Collections.Immutable;

namespace Interactive.Xai.Inspection;

/// <summary>
/// The distribution of a set of values (a weight tensor, its gradient, a layer's pre-activations) in a fixed, small
/// size whatever the number of values: a histogram over equal-width bins from the smallest to the largest finite
/// value, and quantiles at fixed probabilities. Non-finite values (NaN, ±∞) are counted apart and left out of both.
/// </summary>
public sealed record ValueDistribution
{
    /// <summary>
    /// The probabilities of <see cref="Quantiles"/>: the minimum, the normal distribution's ±1.5σ, ±1σ, ±0.5σ points and
    /// the median, and the maximum (TensorBoard's distribution bands).
    /// </summary>
    public static ImmutableArray<double> QuantileProbabilities { get; } = [0, 0.0668, 0.1587, 0.3085, 0.5, 0.6915, 0.8413, 0.9332, 1];

    /// <summary>The default number of histogram bins.</summary>
    public const int DefaultBins = 30;

    /// <summary>The number of finite values.</summary>
    public required long Count { get; init; }

    /// <summary>The number of NaN or infinite values (left out of every other figure).</summary>
    public long NonFiniteCount { get; init; }

    /// <summary>The mean of the finite values (NaN when there are none).</summary>
    public required double Mean { get; init; }

    /// <summary>The population standard deviation of the finite values (NaN when there are none).</summary>
    public required double StandardDeviation { get; init; }

    /// <summary>The bin edges, ascending: <see cref="Counts"/>.Length + 1 values from the minimum to the maximum.</summary>
    public required ImmutableArray<double> BinEdges { get; init; }

    /// <summary>
    /// The number of values in each bin: bin k holds edges[k] ≤ v &lt; edges[k+1], the last bin also its upper edge.
    /// When every value is the same, there is one bin from v − 0.5 to v + 0.5.
    /// </summary>
    public required ImmutableArray<long> Counts { get; init; }

    /// <summary>The quantiles at <see cref="QuantileProbabilities"/> (linear interpolation between order statistics, numpy's default).</summary>
    public required ImmutableArray<double> Quantiles { get; init; }

    /// <summary>The smallest finite value (NaN when there are none).</summary>
    public double Minimum => Quantiles.IsDefaultOrEmpty ? double.NaN : Quantiles[0];

    /// <summary>The largest finite value (NaN when there are none).</summary>
    public double Maximum => Quantiles.IsDefaultOrEmpty ? double.NaN : Quantiles[^1];

    /// <summary>The median of the finite values (NaN when there are none).</summary>
    public double Median => Quantiles.IsDefaultOrEmpty ? double.NaN : Quantiles[4];

    /// <summary>Summarises <paramref name="values"/> in <paramref name="bins"/> equal-width bins (memory: one sorted copy while it runs).</summary>
    /// <exception cref="XaiException"><paramref name="bins"/> is less than 1.</exception>
    public static ValueDistribution Of(ReadOnlySpan<float> values, int bins = DefaultBins)
    {
        if (bins < 1) throw new XaiException($"a distribution needs at least 1 bin, got {bins}");
        var finite = new double[values.Length];
        int n = 0;
        foreach (float v in values)
            if (float.IsFinite(v)) finite[n++] = v;
        long nonFinite = values.Length - n;
        if (n == 0)
            return new ValueDistribution
            {
                Count = 0, NonFiniteCount = nonFinite, Mean = double.NaN, StandardDeviation = double.NaN,
                BinEdges = [], Counts = [], Quantiles = [.. QuantileProbabilities.Select(_ => double.NaN)],
            };
        var sorted = finite.AsSpan(0, n);
        sorted.Sort();
        double sum = 0;
        foreach (double v in sorted) sum += v;
        double mean = sum / n, squares = 0;
        foreach (double v in sorted) squares += (v - mean) * (v - mean);
        double min = sorted[0], max = sorted[^1];
        double[] edges;
        long[] counts;
        if (min == max)
        {
            edges = [min - 0.5, max + 0.5];
            counts = [n];
        }
        else
        {
            edges = new double[bins + 1];
            for (int k = 0; k <= bins; k++) edges[k] = min + (max - min) * k / bins;
            edges[bins] = max;
            counts = new long[bins];
            double width = (max - min) / bins;
            foreach (double v in sorted)
            {
                int k = (int)Math.Floor((v - min) / width);
                if (k >= bins) k = bins - 1;
                // the rounding of (v − min) / width may put a value one bin off its edges; the edges decide
                while (k > 0 && v < edges[k]) k--;
                while (k < bins - 1 && v >= edges[k + 1]) k++;
                counts[k]++;
            }
        }
        var quantiles = new double[QuantileProbabilities.Length];
        for (int q = 0; q < quantiles.Length; q++) quantiles[q] = Quantile(sorted, QuantileProbabilities[q]);
        return new ValueDistribution
        {
            Count = n, NonFiniteCount = nonFinite, Mean = mean, StandardDeviation = Math.Sqrt(squares / n),
            BinEdges = [.. edges], Counts = [.. counts], Quantiles = [.. quantiles],
        };
    }

    /// <summary>The p-quantile of ascending values by linear interpolation at position p·(n − 1) (numpy's default, type 7).</summary>
    public static double Quantile(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty) return double.NaN;
        double position = p * (sorted.Length - 1);
        int low = (int)Math.Floor(position);
        int high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
    }
}
