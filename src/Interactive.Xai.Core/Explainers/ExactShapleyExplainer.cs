using System.Collections.Immutable;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.Intrinsics.X86;
using Interactive.Xai.Engine;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>Options for <see cref="ExactShapleyExplainer"/>.</summary>
public sealed record ExactShapleyOptions : ExplainerOptions
{
    /// <summary>The largest feature count accepted (the work grows as 2^features).</summary>
    public int MaxFeatures { get; init; } = 20;

    /// <summary>Upper bound on perturbed rows held in memory at once (rows are explained in blocks below it).</summary>
    public long MaxEvaluationsPerBlock { get; init; } = 1L << 22;
}

/// <summary>
/// Exact interventional Shapley values: v(S) = sum over background rows b of weight_b * f(x_S, b_rest), and
/// phi_i = sum over S not containing i of |S|!(M-|S|-1)!/M! (v(S u {i}) - v(S)).
/// <para>
/// Evaluation order reuses work. For a row x and background row b, f(x_S, b_rest) depends only on S n D_b, where
/// D_b is the set of features in which x and b differ, so only 2^|D_b| distinct inputs exist, not 2^M; of these
/// the empty set is b itself (its prediction is computed once per explainer and kept) and the full set is x
/// (evaluated once per row). The explainer evaluates only the remaining 2^|D_b| - 2 inputs and scatters them to all
/// 2^M coalitions. Rows that share values with the background (integer and categorical features, k-means
/// summaries snapped to data values) need far fewer evaluations.
/// </para>
/// Build it once per model and background; it keeps the background predictions and explains any rows.
/// </summary>
public sealed class ExactShapleyExplainer
{
    private readonly IModel _model;
    private readonly WeightedBackground _background;
    private readonly ExactShapleyOptions _options;
    private readonly Lock _gate = new();
    private float[]? _backgroundPredictions;

    /// <summary>Creates the explainer.</summary>
    public ExactShapleyExplainer(IModel model, WeightedBackground background, ExactShapleyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(background);
        _options = options ?? new ExactShapleyOptions();
        _options.Validate();
        if (_options.MaxFeatures is < 1 or > 24) throw new XaiException($"MaxFeatures must be between 1 and 24, got {_options.MaxFeatures}");
        model.EnsureAccepts(background.Rows, "the background");
        if (model.FeatureCount > _options.MaxFeatures)
            throw new XaiException($"exact Shapley values need 2^{model.FeatureCount} coalitions per row; the limit is {_options.MaxFeatures} features: use kernel-shap");
        _model = model;
        _background = background;
    }

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "exact-shap";

    /// <summary>The background this explainer takes expectations over.</summary>
    public WeightedBackground Background => _background;

    /// <summary>Explains every row of <paramref name="rows"/> for the selected outputs (default: output 0).</summary>
    public AttributionExplanation Explain(FeatureTable rows, OutputTarget? target = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _model.EnsureAccepts(rows, "the data");
        var stopwatch = Stopwatch.StartNew();
        var targets = (target ?? OutputTarget.Output(0)).Resolve(_model);
        int m = _model.FeatureCount, k = _model.OutputCount(), t = targets.Length, n = rows.RowCount;
        int backgroundCount = _background.Count;

        // Count the distinct inputs each (row, background row) pair needs.
        var differing = new int[n * backgroundCount][];
        long total = n;
        for (int r = 0; r < n; r++)
        {
            var x = rows.Row(r);
            for (int b = 0; b < backgroundCount; b++)
            {
                var bg = _background.Rows.Row(b);
                var list = new List<int>(m);
                for (int j = 0; j < m; j++) if (x[j] != bg[j]) list.Add(j);
                differing[r * backgroundCount + b] = list.ToArray();
                total += DistinctInputs(list.Count);
            }
        }

        var evaluator = new BatchEvaluator(_model, _options, MethodName, total + (_backgroundPredictions is null ? backgroundCount : 0), progress, cancellationToken);
        var backgroundPredictions = BackgroundPredictions(evaluator);
        var baseValues = new double[k];
        for (int b = 0; b < backgroundCount; b++)
            for (int o = 0; o < k; o++) baseValues[o] += _background.Weights[b] * backgroundPredictions[b * k + o];

        var predictions = evaluator.Evaluate(n, (first, count, dest) => rows.Values.Slice((int)first * m, count * m).CopyTo(dest));
        var values = new double[n * m * t];
        var shapleyWeights = Combinatorics.ShapleyWeights(m);

        int start = 0;
        while (start < n)
        {
            // A block of rows whose perturbations fit the memory bound (always at least one row).
            int end = start;
            long blockEvaluations = 0;
            while (end < n)
            {
                long rowEvaluations = 0;
                for (int b = 0; b < backgroundCount; b++) rowEvaluations += DistinctInputs(differing[end * backgroundCount + b].Length);
                if (end > start && blockEvaluations + rowEvaluations > _options.MaxEvaluationsPerBlock) break;
                blockEvaluations += rowEvaluations;
                end++;
            }
            ExplainBlock(rows, start, end, differing, evaluator, backgroundPredictions, predictions, targets, shapleyWeights, values, cancellationToken);
            start = end;
        }

        double additivity = 0;
        var baseSelected = targets.Select(o => baseValues[o]).ToImmutableArray();
        var predictionSelected = new double[n * t];
        for (int r = 0; r < n; r++)
        {
            for (int s = 0; s < t; s++)
            {
                double fx = predictions[r * k + targets[s]], sum = baseSelected[s];
                for (int j = 0; j < m; j++) sum += values[(r * m + j) * t + s];
                additivity = Math.Max(additivity, Math.Abs(sum - fx));
                predictionSelected[r * t + s] = fx;
            }
        }

        return new AttributionExplanation
        {
            Method = MethodName,
            FeatureNames = rows.FeatureNames,
            OutputNames = targets.Select(o => _model.OutputNames[o]).ToImmutableArray(),
            Targets = targets,
            Data = rows,
            Values = ImmutableArray.Create(values),
            BaseValues = baseSelected,
            Predictions = ImmutableArray.Create(predictionSelected),
            AdditivityError = additivity,
            Elapsed = stopwatch.Elapsed,
            ModelEvaluations = evaluator.Evaluations,
            Details = ImmutableDictionary<string, string>.Empty
                .Add("backgroundRows", backgroundCount.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Add("coalitionsPerRow", (1L << m).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
    }

    private static long DistinctInputs(int differingCount) => differingCount < 2 ? 0 : (1L << differingCount) - 2;

    private float[] BackgroundPredictions(BatchEvaluator evaluator)
    {
        lock (_gate)
        {
            if (_backgroundPredictions is null)
            {
                int m = _model.FeatureCount;
                var rows = _background.Rows;
                _backgroundPredictions = evaluator.Evaluate(rows.RowCount, (first, count, dest) => rows.Values.Slice((int)first * m, count * m).CopyTo(dest));
            }
            return _backgroundPredictions;
        }
    }

    private void ExplainBlock(FeatureTable rows, int start, int end, int[][] differing, BatchEvaluator evaluator,
        float[] backgroundPredictions, float[] predictions, ImmutableArray<int> targets, double[] shapleyWeights,
        double[] values, CancellationToken cancellationToken)
    {
        int m = _model.FeatureCount, k = _model.OutputCount(), t = targets.Length;
        int backgroundCount = _background.Count;
        int pairs = (end - start) * backgroundCount;
        var offsets = new long[pairs + 1];
        for (int p = 0; p < pairs; p++)
            offsets[p + 1] = offsets[p] + DistinctInputs(differing[start * backgroundCount + p].Length);

        bool vectorised = MaskedRowFill.HasBitDeposit && MaskedRowFill.IsSupported(m);
        int chunks = MaskedRowFill.Chunks(m);
        float[]? paddedRows = null, paddedBackground = null;
        if (vectorised)
        {
            paddedRows = MaskedRowFill.Pad(rows.Values.Slice(start * m, (end - start) * m), end - start, m);
            paddedBackground = MaskedRowFill.Pad(_background.Rows.Values, backgroundCount, m);
        }
        var outputs = evaluator.Evaluate(offsets[pairs], (first, count, dest) =>
        {
            var backgroundValues = _background.Rows.Values;
            var rowValues = rows.Values;
            int pair = UpperBound(offsets, first) - 1;
            long index = first;
            int written = 0;
            while (written < count)
            {
                while (index >= offsets[pair + 1]) pair++;
                int r = start + pair / backgroundCount, b = pair % backgroundCount;
                var features = differing[start * backgroundCount + pair];
                // Consecutive indices of one pair are consecutive subsets of its differing features.
                long subset = index - offsets[pair] + 1; // skips the empty subset (the background row itself)
                int run = (int)Math.Min(count - written, offsets[pair + 1] - index);
                if (vectorised)
                {
                    uint mask = 0;
                    foreach (var j in features) mask |= 1u << j;
                    FillVectorised(dest[(written * m)..], run, m, chunks, (uint)subset, mask,
                        paddedRows.AsSpan((r - start) * chunks * 8, chunks * 8), paddedBackground.AsSpan(b * chunks * 8, chunks * 8));
                }
                else
                {
                    var source = backgroundValues.Slice(b * m, m);
                    var x = rowValues.Slice(r * m, m);
                    for (int i = 0; i < run; i++, subset++)
                    {
                        var row = dest.Slice((written + i) * m, m);
                        source.CopyTo(row);
                        for (ulong bits = (ulong)subset; bits != 0; bits &= bits - 1)
                        {
                            int j = features[BitOperations.TrailingZeroCount(bits)];
                            row[j] = x[j];
                        }
                    }
                }
                written += run;
                index += run;
            }
        });

        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism ?? Environment.ProcessorCount };
        Parallel.For(start, end, parallel, r =>
        {
            int coalitions = 1 << m;
            var v = new double[coalitions * t];
            for (int b = 0; b < backgroundCount; b++)
            {
                int pair = (r - start) * backgroundCount + b;
                var features = differing[r * backgroundCount + b];
                uint mask = 0;
                foreach (var j in features) mask |= 1u << j;
                int full = (1 << features.Length) - 1;
                double weight = _background.Weights[b];
                for (int s = 0; s < coalitions; s++)
                {
                    int subset = (int)Extract((uint)s, mask);
                    for (int o = 0; o < t; o++)
                    {
                        int output = targets[o];
                        float value = subset == 0 ? backgroundPredictions[b * k + output]
                            : subset == full ? predictions[r * k + output]
                            : outputs[(offsets[pair] + subset - 1) * k + output];
                        v[s * t + o] += weight * value;
                    }
                }
            }
            for (int s = 0; s < coalitions; s++)
            {
                int size = BitOperations.PopCount((uint)s);
                if (size == m) continue;
                double w = shapleyWeights[size];
                for (int j = 0; j < m; j++)
                {
                    if ((s & (1 << j)) != 0) continue;
                    int with = s | (1 << j);
                    for (int o = 0; o < t; o++) values[(r * m + j) * t + o] += w * (v[with * t + o] - v[s * t + o]);
                }
            }
        });
    }

    /// <summary>
    /// Writes <paramref name="run"/> rows for consecutive subsets starting at <paramref name="subset"/> of the features in
    /// <paramref name="differing"/>: each row blends x and the background row by the subset's bits deposited onto the
    /// differing features.
    /// </summary>
    private static void FillVectorised(Span<float> destination, int run, int m, int chunks, uint subset, uint differing,
        ReadOnlySpan<float> x, ReadOnlySpan<float> background)
    {
        MaskedRowFill.CheckRoom(destination, run, m);
        ref float target = ref MaskedRowFill.Start(destination);
        var xs = new MaskedRowFill.Row(x, chunks);
        var bs = new MaskedRowFill.Row(background, chunks);
        for (int i = 0; i < run; i++, subset++)
            MaskedRowFill.Blend(ref target, (nuint)(i * m), Bmi2.ParallelBitDeposit(subset, differing), chunks, xs, bs);
    }

    private static uint Extract(uint value, uint mask)
    {
        if (Bmi2.IsSupported) return Bmi2.ParallelBitExtract(value, mask);
        uint result = 0;
        int bit = 0;
        while (mask != 0)
        {
            uint lowest = mask & (uint)-(int)mask;
            if ((value & lowest) != 0) result |= 1u << bit;
            bit++;
            mask &= mask - 1;
        }
        return result;
    }

    private static int UpperBound(long[] offsets, long value)
    {
        int lo = 0, hi = offsets.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (offsets[mid] <= value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
