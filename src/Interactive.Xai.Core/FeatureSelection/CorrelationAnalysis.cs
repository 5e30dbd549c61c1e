using System.Collections.Immutable;
using System.Diagnostics;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>Which correlation coefficient <see cref="CorrelationAnalysis"/> computes.</summary>
public enum CorrelationMethod
{
    /// <summary>Pearson's linear correlation.</summary>
    Pearson,

    /// <summary>Spearman's rank correlation: Pearson's on ranks, ties given their average rank.</summary>
    Spearman,
}

/// <summary>
/// A feature-by-feature correlation matrix with a clustered order: features ordered by the leaves of an
/// average-linkage hierarchical clustering on the distance 1 - |r|, so strongly correlated features (either sign) sit
/// next to each other in the heatmap.
/// </summary>
public sealed record CorrelationMatrix : Explanation
{
    /// <summary>The feature names in the data's order.</summary>
    public required ImmutableArray<string> FeatureNames { get; init; }

    /// <summary>The coefficient.</summary>
    public required CorrelationMethod Correlation { get; init; }

    /// <summary>r, flat [feature][feature] in the data's order; NaN where a feature is constant (1 on the diagonal).</summary>
    public required ImmutableArray<double> Values { get; init; }

    /// <summary>The clustered order: feature indices as the heatmap shows them.</summary>
    public required ImmutableArray<int> Order { get; init; }

    /// <summary>The clustering's merges in order: the two clusters joined (a cluster id below M is a feature, M + i the i-th merge) and their distance.</summary>
    public required ImmutableArray<(int Left, int Right, double Distance)> Merges { get; init; }

    /// <summary>The number of rows the coefficients were computed from.</summary>
    public required int RowCount { get; init; }

    /// <summary>The number of features.</summary>
    public int FeatureCount => FeatureNames.Length;

    /// <summary>r between two features (data order).</summary>
    public double Value(int a, int b) => Values[a * FeatureCount + b];
}

/// <summary>Correlation analysis of a feature table (Pearson or Spearman) with a clustered feature order.</summary>
public static class CorrelationAnalysis
{
    /// <summary>The method name used in results.</summary>
    public const string MethodName = "correlation";

    /// <summary>Computes the correlation matrix of every pair of columns of <paramref name="data"/>.</summary>
    public static CorrelationMatrix Compute(FeatureTable data, CorrelationMethod method = CorrelationMethod.Pearson, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.RowCount < 2) throw new XaiException($"a correlation needs at least 2 rows, got {data.RowCount}");
        if (data.ColumnCount < 1) throw new XaiException("a correlation needs at least 1 feature");
        var stopwatch = Stopwatch.StartNew();
        int m = data.ColumnCount;
        var columns = new double[m][];
        for (int j = 0; j < m; j++)
        {
            var column = data.Column(j);
            columns[j] = method == CorrelationMethod.Spearman ? Ranks.Average(column) : column.Select(v => (double)v).ToArray();
        }
        var values = new double[m * m];
        Parallel.For(0, m, new ParallelOptions { CancellationToken = cancellationToken }, a =>
        {
            values[a * m + a] = 1;
            for (int b = a + 1; b < m; b++)
            {
                double r = Ranks.Pearson(columns[a], columns[b]);
                values[a * m + b] = values[b * m + a] = r;
            }
        });
        var (order, merges) = Cluster(values, m);
        return new CorrelationMatrix
        {
            Method = MethodName,
            OutputNames = ImmutableArray<string>.Empty,
            Targets = ImmutableArray<int>.Empty,
            FeatureNames = data.FeatureNames,
            Correlation = method,
            Values = ImmutableArray.Create(values),
            Order = order,
            Merges = merges,
            RowCount = data.RowCount,
            Elapsed = stopwatch.Elapsed,
        };
    }

    /// <summary>Average-linkage agglomerative clustering on 1 - |r| (NaN counts as distance 1); the leaves in dendrogram order.</summary>
    internal static (ImmutableArray<int> Order, ImmutableArray<(int, int, double)> Merges) Cluster(double[] r, int m)
    {
        var distance = new double[m, m];
        for (int a = 0; a < m; a++)
            for (int b = 0; b < m; b++) distance[a, b] = a == b ? 0 : double.IsNaN(r[a * m + b]) ? 1 : 1 - Math.Abs(r[a * m + b]);
        var clusters = Enumerable.Range(0, m).Select(j => (Id: j, Leaves: new List<int> { j })).ToList();
        var merges = new List<(int, int, double)>();
        while (clusters.Count > 1)
        {
            int bestA = 0, bestB = 1;
            double best = double.PositiveInfinity;
            for (int a = 0; a < clusters.Count; a++)
                for (int b = a + 1; b < clusters.Count; b++)
                {
                    double sum = 0;
                    foreach (int i in clusters[a].Leaves)
                        foreach (int j in clusters[b].Leaves) sum += distance[i, j];
                    double d = sum / (clusters[a].Leaves.Count * clusters[b].Leaves.Count);
                    if (d < best - 1e-12) { best = d; bestA = a; bestB = b; }
                }
            var left = clusters[bestA];
            var right = clusters[bestB];
            merges.Add((left.Id, right.Id, best));
            var leaves = new List<int>(left.Leaves.Count + right.Leaves.Count);
            leaves.AddRange(left.Leaves);
            leaves.AddRange(right.Leaves);
            clusters.RemoveAt(bestB);
            clusters[bestA] = (m + merges.Count - 1, leaves);
        }
        return (clusters[0].Leaves.ToImmutableArray(), merges.ToImmutableArray());
    }
}
