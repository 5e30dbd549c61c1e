using System.Collections.Immutable;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>
/// Background (reference) rows with one weight each, summing to 1. Shapley methods take expectations over it:
/// v(S) = sum over b of weight_b * f(x_S, b_rest).
/// </summary>
public sealed record WeightedBackground
{
    private WeightedBackground(FeatureTable rows, ImmutableArray<double> weights)
    {
        Rows = rows;
        Weights = weights;
    }

    /// <summary>The background rows.</summary>
    public FeatureTable Rows { get; }

    /// <summary>One weight per row; they sum to 1.</summary>
    public ImmutableArray<double> Weights { get; }

    /// <summary>Every row of <paramref name="table"/> with equal weight.</summary>
    public static WeightedBackground FromTable(FeatureTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.RowCount == 0) throw new XaiException("the background has no rows");
        return new(table, Enumerable.Repeat(1.0 / table.RowCount, table.RowCount).ToImmutableArray());
    }

    /// <summary>Rows with explicit weights (normalised to sum to 1).</summary>
    public static WeightedBackground FromWeightedRows(FeatureTable rows, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(weights);
        if (rows.RowCount == 0) throw new XaiException("the background has no rows");
        if (weights.Count != rows.RowCount) throw new XaiException($"{weights.Count} weights for {rows.RowCount} background rows");
        double total = weights.Sum();
        if (weights.Any(w => !(w >= 0) || double.IsInfinity(w)) || !(total > 0))
            throw new XaiException("background weights must be finite, non-negative and not all zero");
        return new(rows, weights.Select(w => w / total).ToImmutableArray());
    }

    /// <summary>
    /// Rows with weights kept bit for bit as given (they must already sum to 1 within 1e-9): how a background travels to
    /// another process (a cluster worker) and comes back the same object as the sender's, where
    /// <see cref="FromWeightedRows"/> would renormalise and could change the last bit of a weight.
    /// </summary>
    public static WeightedBackground FromNormalizedWeights(FeatureTable rows, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(weights);
        if (rows.RowCount == 0) throw new XaiException("the background has no rows");
        if (weights.Count != rows.RowCount) throw new XaiException($"{weights.Count} weights for {rows.RowCount} background rows");
        if (weights.Any(w => !(w >= 0) || double.IsInfinity(w)) || !(Math.Abs(weights.Sum() - 1) <= 1e-9))
            throw new XaiException("normalised background weights must be finite, non-negative and sum to 1");
        return new(rows, [.. weights]);
    }

    /// <summary>
    /// A weighted k-means summary of <paramref name="table"/> with at most <paramref name="clusters"/> rows,
    /// each weighted by its cluster's share of the data. Tables with no more rows than that are used whole.
    /// </summary>
    public static WeightedBackground KMeans(FeatureTable table, int clusters = 10, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (clusters < 1) throw new XaiException($"the background summary needs at least 1 cluster, got {clusters}");
        if (table.RowCount <= clusters) return FromTable(table);
        var (centers, weights) = WeightedKMeans.Cluster(table.Values, table.RowCount, table.ColumnCount, clusters, seed);
        var rows = FeatureTable.FromRowMajor(centers, weights.Length, table.ColumnCount, table.FeatureNames, copy: false);
        return new(rows, weights.ToImmutableArray());
    }

    /// <summary>The number of background rows.</summary>
    public int Count => Rows.RowCount;
}
