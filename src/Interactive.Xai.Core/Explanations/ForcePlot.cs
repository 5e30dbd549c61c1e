using System.Collections.Immutable;

namespace Interactive.Xai;

/// <summary>
/// One segment of a force plot: a feature's contribution drawn as an interval on the output axis, or the merged
/// contributions of the small features of one sign ("other").
/// </summary>
/// <param name="Feature">The feature index, or -1 for the merged "other" segment.</param>
/// <param name="Name">The feature name, or "other (n features)".</param>
/// <param name="FeatureValue">The row's value of the feature (NaN for "other").</param>
/// <param name="Value">The contribution (Shapley value): positive pushes the output up.</param>
/// <param name="Start">The segment's lower end on the output axis.</param>
/// <param name="End">The segment's upper end on the output axis (End - Start = |Value|).</param>
/// <param name="MergedCount">How many features a merged segment holds (1 for a feature).</param>
public sealed record ForceSegment(int Feature, string Name, double FeatureValue, double Value, double Start, double End, int MergedCount = 1)
{
    /// <summary>True for the merged segment of small contributions.</summary>
    public bool IsOther => Feature < 0;
}

/// <summary>
/// One row's force plot, as the shap library draws it: the contributions that push the output up (positive values)
/// fill [prediction - P, prediction], those that push it down fill [prediction, prediction + N], where P and N are
/// the sums of the positive values and of the negative values' sizes. The base value is prediction - P + N. In each
/// group the largest contribution sits next to the prediction.
/// </summary>
/// <param name="Row">The row of the explanation.</param>
/// <param name="Target">The target slot.</param>
/// <param name="BaseValue">The explanation's base value (expected output over the background).</param>
/// <param name="Prediction">The model output for the row.</param>
/// <param name="Positive">Positive contributions, largest first (the first ends at <paramref name="Prediction"/>).</param>
/// <param name="Negative">Negative contributions, largest size first (the first starts at <paramref name="Prediction"/>).</param>
public sealed record ForceRow(int Row, int Target, double BaseValue, double Prediction, ImmutableArray<ForceSegment> Positive, ImmutableArray<ForceSegment> Negative)
{
    /// <summary>The sum of the positive contributions.</summary>
    public double PushUp => Positive.Sum(s => s.Value);

    /// <summary>The sum of the negative contributions (a negative number or 0).</summary>
    public double PushDown => Negative.Sum(s => s.Value);

    /// <summary>
    /// |base value + sum of contributions - prediction|: 0 for exact Shapley values, the explanation's additivity
    /// error otherwise (the plot is anchored at the prediction, so this gap shows at the base value's end).
    /// </summary>
    public double Gap => Math.Abs(BaseValue + PushUp + PushDown - Prediction);
}

/// <summary>How a stacked force plot orders its rows along the x axis.</summary>
public enum ForceOrder
{
    /// <summary>Rows with similar attributions next to each other: the leaf order of an average-linkage clustering of the rows' attribution vectors (Euclidean distance), as shap's stacked force plot orders them by default.</summary>
    Similarity,

    /// <summary>By the model output, lowest first.</summary>
    Prediction,

    /// <summary>The explanation's own row order.</summary>
    Original,
}

/// <summary>Force-plot geometry from an <see cref="AttributionExplanation"/> (shap's force plot, single row and stacked).</summary>
public static class ForcePlot
{
    /// <summary>The most rows <see cref="Order"/> clusters for <see cref="ForceOrder.Similarity"/> (the clustering takes time cubic in the rows).</summary>
    public const int MaxClusteredRows = 2000;

    /// <summary>
    /// One row's force plot. The <paramref name="maxLabelled"/> largest contributions (by size) that are at least
    /// <paramref name="minShare"/> of the sum of all sizes keep their own segment; the rest of each sign are merged
    /// into one "other" segment on that side (placed farthest from the prediction). maxLabelled = int.MaxValue and
    /// minShare = 0 keep every non-zero contribution.
    /// </summary>
    public static ForceRow Row(AttributionExplanation explanation, int row, int target = 0, int maxLabelled = 8, double minShare = 0.02)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        if ((uint)row >= (uint)explanation.RowCount) throw new XaiException($"row {row} is outside the {explanation.RowCount} explained rows");
        if ((uint)target >= (uint)explanation.TargetCount) throw new XaiException($"target slot {target} is outside the {explanation.TargetCount} explained outputs");
        if (maxLabelled < 0) throw new XaiException("the number of labelled contributions cannot be negative");
        if (!(minShare >= 0 && minShare < 1)) throw new XaiException("the smallest labelled share must be in [0, 1)");
        var values = explanation.RowValues(row, target);
        double total = values.Sum(Math.Abs);
        var ranked = Enumerable.Range(0, values.Length).Where(f => values[f] != 0)
            .OrderByDescending(f => Math.Abs(values[f])).ThenBy(f => f).ToArray();
        var labelled = ranked.Take(maxLabelled).Where(f => Math.Abs(values[f]) >= minShare * total).ToHashSet();
        double prediction = explanation.Prediction(row, target);

        ImmutableArray<ForceSegment> Side(bool positive)
        {
            var own = ranked.Where(f => values[f] > 0 == positive && labelled.Contains(f)).ToList();
            var rest = ranked.Where(f => values[f] > 0 == positive && !labelled.Contains(f)).ToList();
            var segments = ImmutableArray.CreateBuilder<ForceSegment>();
            double edge = prediction;
            foreach (int f in own)
            {
                double size = Math.Abs(values[f]);
                double next = positive ? edge - size : edge + size;
                segments.Add(new ForceSegment(f, explanation.FeatureNames[f], explanation.Data[row, f], values[f], Math.Min(edge, next), Math.Max(edge, next)));
                edge = next;
            }
            if (rest.Count > 0)
            {
                double sum = rest.Sum(f => values[f]);
                double next = edge - sum;
                string name = rest.Count == 1 ? explanation.FeatureNames[rest[0]] : $"other ({rest.Count} features)";
                segments.Add(rest.Count == 1
                    ? new ForceSegment(rest[0], name, explanation.Data[row, rest[0]], sum, Math.Min(edge, next), Math.Max(edge, next))
                    : new ForceSegment(-1, name, double.NaN, sum, Math.Min(edge, next), Math.Max(edge, next), rest.Count));
            }
            return segments.ToImmutable();
        }

        return new ForceRow(row, target, explanation.BaseValue(target), prediction, Side(true), Side(false));
    }

    /// <summary>The rows of the explanation in the order a stacked force plot draws them (left to right).</summary>
    public static ImmutableArray<int> Order(AttributionExplanation explanation, ForceOrder order = ForceOrder.Similarity, int target = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        if ((uint)target >= (uint)explanation.TargetCount) throw new XaiException($"target slot {target} is outside the {explanation.TargetCount} explained outputs");
        int n = explanation.RowCount;
        switch (order)
        {
            case ForceOrder.Original:
                return [.. Enumerable.Range(0, n)];
            case ForceOrder.Prediction:
                return [.. Enumerable.Range(0, n).OrderBy(r => explanation.Prediction(r, target)).ThenBy(r => r)];
            case ForceOrder.Similarity:
                if (n > MaxClusteredRows)
                    throw new XaiException($"ordering {n} rows by similarity would take long (at most {MaxClusteredRows}); order them by prediction, or explain fewer rows");
                var rows = Enumerable.Range(0, n).Select(r => explanation.RowValues(r, target)).ToArray();
                return ClusterOrder(rows, cancellationToken);
            default:
                throw new ArgumentOutOfRangeException(nameof(order));
        }
    }

    /// <summary>
    /// The leaf order of an average-linkage (UPGMA) clustering of <paramref name="rows"/> under Euclidean distance;
    /// when two merges tie, the pair with the lowest indices merges first, and a merged cluster lists its older
    /// (lower-indexed) part first, so the order is deterministic.
    /// </summary>
    internal static ImmutableArray<int> ClusterOrder(IReadOnlyList<double[]> rows, CancellationToken cancellationToken = default)
    {
        int n = rows.Count;
        if (n <= 2) return [.. Enumerable.Range(0, n)];
        var distance = new double[n * n];
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
            {
                double sum = 0;
                for (int f = 0; f < rows[a].Length; f++) sum += (rows[a][f] - rows[b][f]) * (rows[a][f] - rows[b][f]);
                distance[a * n + b] = distance[b * n + a] = Math.Sqrt(sum);
            }
        var size = Enumerable.Repeat(1, n).ToArray();
        var leaves = Enumerable.Range(0, n).Select(i => new List<int> { i }).ToArray();
        var active = new bool[n];
        Array.Fill(active, true);
        for (int step = 0; step < n - 1; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int bestA = -1, bestB = -1;
            double best = double.PositiveInfinity;
            for (int a = 0; a < n; a++)
            {
                if (!active[a]) continue;
                for (int b = a + 1; b < n; b++)
                    if (active[b] && distance[a * n + b] < best) { best = distance[a * n + b]; bestA = a; bestB = b; }
            }
            // Lance-Williams update for average linkage: d(a+b, c) = (|a| d(a, c) + |b| d(b, c)) / (|a| + |b|).
            for (int c = 0; c < n; c++)
            {
                if (!active[c] || c == bestA || c == bestB) continue;
                double d = (size[bestA] * distance[bestA * n + c] + size[bestB] * distance[bestB * n + c]) / (size[bestA] + size[bestB]);
                distance[bestA * n + c] = distance[c * n + bestA] = d;
            }
            size[bestA] += size[bestB];
            leaves[bestA].AddRange(leaves[bestB]);
            active[bestB] = false;
        }
        return [.. leaves[Array.IndexOf(active, true)]];
    }
}
