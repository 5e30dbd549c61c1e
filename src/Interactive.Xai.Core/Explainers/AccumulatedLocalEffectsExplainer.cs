using System.Collections.Immutable;
using System.Diagnostics;
using Interactive.Xai.Engine;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>Options for <see cref="AccumulatedLocalEffectsExplainer"/>.</summary>
public sealed record AccumulatedLocalEffectsOptions : ExplainerOptions
{
    /// <summary>Explicit bin edges z_0 &lt; ... &lt; z_K; null means <see cref="Bins"/> quantile bins.</summary>
    public IReadOnlyList<double>? Edges { get; init; }

    /// <summary>The number of quantile bins K when no edges are given (fewer when the feature has ties).</summary>
    public int Bins { get; init; } = 20;
}

/// <summary>
/// First-order accumulated local effects, defined as in Apley and Zhu's ALEPlot: edges z_0..z_K (by default
/// z_0 = min and z_k = the k/K quantile by the inverse empirical distribution, duplicates removed); a row belongs
/// to bin k when z_{k-1} &lt; x_j &lt;= z_k, and a row equal to z_0 joins bin 1 (rows outside [z_0, z_K] are left out);
/// bin k's local effect is the mean over its rows of f(x with x_j = z_k) - f(x with x_j = z_{k-1}); the effect is
/// accumulated from 0 at z_0 and centred so that the bin-count-weighted mean of the bin midpoints' values
/// ((value at z_{k-1} + value at z_k) / 2) is zero. An empty bin (possible only with explicit edges) has local
/// effect 0. One value per edge.
/// </summary>
public sealed class AccumulatedLocalEffectsExplainer
{
    private readonly IModel _model;
    private readonly AccumulatedLocalEffectsOptions _options;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "ale";

    /// <summary>Creates the explainer.</summary>
    public AccumulatedLocalEffectsExplainer(IModel model, AccumulatedLocalEffectsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new AccumulatedLocalEffectsOptions();
        _options.Validate();
        if (_options.Edges is null && _options.Bins < 1) throw new XaiException($"ALE needs at least 1 bin, got {_options.Bins}");
        if (_options.Edges is not null)
        {
            if (_options.Edges.Count < 2) throw new XaiException("ALE needs at least 2 edges");
            for (int e = 0; e < _options.Edges.Count; e++)
            {
                if (!double.IsFinite(_options.Edges[e])) throw new XaiException("ALE edges must be finite numbers");
                if (e > 0 && _options.Edges[e] <= _options.Edges[e - 1]) throw new XaiException("ALE edges must be strictly increasing");
            }
        }
        _model = model;
    }

    /// <summary>The edges used for a feature of <paramref name="data"/>.</summary>
    public double[] EdgesFor(FeatureTable data, int feature)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_options.Edges is not null) return _options.Edges.ToArray();
        var sorted = Quantiles.Sorted(data.Column(feature));
        var edges = new List<double> { sorted[0] };
        for (int k = 1; k <= _options.Bins; k++)
        {
            double z = Quantiles.InverseEmpirical(sorted, (double)k / _options.Bins);
            if (z > edges[^1]) edges.Add(z);
        }
        if (edges.Count < 2) throw new XaiException($"feature '{data.FeatureNames[feature]}' takes a single value; ALE needs at least two");
        return edges.ToArray();
    }

    /// <summary>The accumulated local effects of one feature over the rows of <paramref name="data"/>.</summary>
    public AccumulatedLocalEffectsExplanation Explain(FeatureTable data, string feature, OutputTarget? target = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Explain(data, data.IndexOf(feature), target, progress, cancellationToken);
    }

    /// <summary>The accumulated local effects of the feature at column <paramref name="feature"/>.</summary>
    public AccumulatedLocalEffectsExplanation Explain(FeatureTable data, int feature, OutputTarget? target = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        _model.EnsureAccepts(data, "the data");
        if ((uint)feature >= (uint)data.ColumnCount) throw new XaiException($"feature index {feature} does not exist");
        if (data.RowCount == 0) throw new XaiException("the data has no rows");
        var stopwatch = Stopwatch.StartNew();
        var targets = (target ?? OutputTarget.Output(0)).Resolve(_model);
        var edges = EdgesFor(data, feature);
        CheckRowsWithin(data, feature, edges);
        var sums = PartialSums(data, feature, edges, targets, progress, cancellationToken);
        return Combine(data, feature, edges, targets, sums.Counts, sums.Sums, stopwatch.Elapsed, sums.ModelEvaluations);
    }

    /// <summary>Fails (as <see cref="Explain(FeatureTable, int, OutputTarget?, IProgress{ExplanationProgress}?, CancellationToken)"/> does) when no row's feature lies within the edges.</summary>
    public static void CheckRowsWithin(FeatureTable data, int feature, IReadOnlyList<double> edges)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(edges);
        for (int r = 0; r < data.RowCount; r++)
        {
            double x = data[r, feature];
            if (x >= edges[0] && x <= edges[^1]) return;
        }
        throw new XaiException($"no row's '{data.FeatureNames[feature]}' lies within the ALE edges [{edges[0]}, {edges[^1]}]");
    }

    /// <summary>
    /// Over a block of rows: each bin's row count and the exact sums, per bin and target, of the rows' local effects
    /// f(x with x_j = z_k) - f(x with x_j = z_{k-1}). The merged sums and counts of the blocks of any partition of a
    /// table give, through <see cref="Combine"/>, the same result bit for bit as
    /// <see cref="Explain(FeatureTable, int, OutputTarget?, IProgress{ExplanationProgress}?, CancellationToken)"/> with the same edges.
    /// </summary>
    public AccumulatedLocalEffectsSums PartialSums(FeatureTable rows, int feature, IReadOnlyList<double> edges, ImmutableArray<int> targets,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(edges);
        _model.EnsureAccepts(rows, "the data");
        if ((uint)feature >= (uint)rows.ColumnCount) throw new XaiException($"feature index {feature} does not exist");
        var edgeArray = edges.ToArray();
        int bins = edgeArray.Length - 1;
        int m = _model.FeatureCount, k = _model.OutputCount(), t = targets.Length;

        // Assign rows to bins: (z_{k-1}, z_k], with z_0 itself in bin 1.
        var rowBins = new List<(int Row, int Bin)>(rows.RowCount);
        for (int r = 0; r < rows.RowCount; r++)
        {
            double x = rows[r, feature];
            if (x < edgeArray[0] || x > edgeArray[^1]) continue;
            int bin = Array.BinarySearch(edgeArray, x);
            bin = bin >= 0 ? Math.Max(bin, 1) : ~bin; // index of the first edge >= x
            rowBins.Add((r, bin));
        }

        var edgeFloat = edgeArray.Select(v => (float)v).ToArray();
        var evaluator = new BatchEvaluator(_model, _options, MethodName, 2L * rowBins.Count, progress, cancellationToken);
        var outputs = evaluator.Evaluate(2L * rowBins.Count, (first, count, dest) =>
        {
            for (int i = 0; i < count; i++)
            {
                long index = first + i;
                var (r, bin) = rowBins[(int)(index / 2)];
                var row = dest.Slice(i * m, m);
                rows.Row(r).CopyTo(row);
                row[feature] = edgeFloat[index % 2 == 0 ? bin - 1 : bin];
            }
        });

        var counts = new long[bins];
        var local = new ExactSum[bins * t];
        for (int i = 0; i < local.Length; i++) local[i] = new ExactSum();
        for (int i = 0; i < rowBins.Count; i++)
        {
            int bin = rowBins[i].Bin - 1;
            counts[bin]++;
            for (int s = 0; s < t; s++)
                local[bin * t + s].Add(outputs[(2L * i + 1) * k + targets[s]] - (double)outputs[2L * i * k + targets[s]]);
        }
        return new AccumulatedLocalEffectsSums(counts, local, evaluator.Evaluations);
    }

    /// <summary>The explanation of <paramref name="data"/>'s feature from the bin counts and exact local-effect sums over all its rows (merged <see cref="PartialSums"/>).</summary>
    public AccumulatedLocalEffectsExplanation Combine(FeatureTable data, int feature, IReadOnlyList<double> edges, ImmutableArray<int> targets,
        IReadOnlyList<long> counts, IReadOnlyList<ExactSum> sums, TimeSpan elapsed, long modelEvaluations)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(edges);
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(sums);
        int bins = edges.Count - 1, t = targets.Length;
        long within = counts.Sum();
        var effects = new double[(bins + 1) * t];
        for (int s = 0; s < t; s++)
        {
            for (int b = 0; b < bins; b++)
            {
                double mean = counts[b] == 0 ? 0 : sums[b * t + s].Value / counts[b];
                effects[(b + 1) * t + s] = effects[b * t + s] + mean;
            }
            double weighted = 0;
            for (int b = 0; b < bins; b++) weighted += (effects[b * t + s] + effects[(b + 1) * t + s]) / 2 * counts[b];
            double centre = weighted / within;
            for (int e = 0; e <= bins; e++) effects[e * t + s] -= centre;
        }
        return new AccumulatedLocalEffectsExplanation
        {
            Method = MethodName,
            OutputNames = targets.Select(o => _model.OutputNames[o]).ToImmutableArray(),
            Targets = targets,
            Feature = data.FeatureNames[feature],
            FeatureIndex = feature,
            Edges = edges.ToImmutableArray(),
            EffectValues = ImmutableArray.Create(effects),
            BinCounts = counts.Select(c => checked((int)c)).ToImmutableArray(),
            Elapsed = elapsed,
            ModelEvaluations = modelEvaluations,
        };
    }
}

/// <summary>ALE over a block of rows: rows per bin, exact local-effect sums [bin][target], and the model evaluations made.</summary>
/// <param name="Counts">Rows per bin.</param>
/// <param name="Sums">Exact sums of the rows' local effects, [bin][target].</param>
/// <param name="ModelEvaluations">Model evaluations made for the block.</param>
public sealed record AccumulatedLocalEffectsSums(long[] Counts, ExactSum[] Sums, long ModelEvaluations);
