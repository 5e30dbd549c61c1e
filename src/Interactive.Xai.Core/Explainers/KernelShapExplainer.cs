using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai.Engine;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>Options for <see cref="KernelShapExplainer"/>.</summary>
public sealed record KernelShapOptions : ExplainerOptions
{
    /// <summary>Coalitions evaluated per row; null means 2M + 2048 (SHAP's default). When 2^M - 2 is no larger,
    /// every coalition is enumerated and the result is the exact Shapley value.</summary>
    public int? Samples { get; init; }

    /// <summary>Whether to estimate standard errors of sampled values (cheap; see <see cref="KernelShapExplainer"/>).</summary>
    public bool ComputeStandardErrors { get; init; } = true;

    /// <summary>Upper bound on perturbed rows held in memory at once (rows are explained in blocks below it).</summary>
    public long MaxEvaluationsPerBlock { get; init; } = 1L << 20;
}

/// <summary>
/// Kernel SHAP (Lundberg and Lee 2017): Shapley values estimated by a Shapley-kernel weighted linear regression
/// on coalition values v(z) = sum over background rows b of weight_b * f(x_z, b_rest), with the efficiency
/// constraint sum(phi) = f(x) - E f(background) imposed exactly.
/// <para>
/// Coalition sizes are enumerated whole from the outside in (sizes 1 and M-1 first) while the budget covers
/// them, and the rest is sampled in complementary pairs. Fall-back rule: when 2^M - 2 coalitions fit in the
/// budget, all are enumerated and the values are exact (standard errors zero). Standard errors of sampled
/// values are sandwich (delta-method) estimates over the independent paired draws: with A = X'WX and
/// g_d = (R/2)(c_d - a_d phi) the draw's contribution to the normal equations, Cov(phi) ~ A^-1 Cov(g) A^-1 / D
/// (Covert and Lee 2021 use the same central-limit argument). Features whose value equals every background
/// row's value get exactly zero and are left out of the regression.
/// </para>
/// The coalition design and its regression projections depend only on M, the budget and the seed; they are
/// built once per explainer and reused for every row, as are the background predictions.
/// Pass a <see cref="WeightedBackground.KMeans"/> summary to keep the cost at (samples x clusters) per row.
/// </summary>
public sealed class KernelShapExplainer
{
    private readonly IModel _model;
    private readonly WeightedBackground _background;
    private readonly KernelShapOptions _options;
    private readonly ConcurrentDictionary<int, Lazy<KernelShapDesign>> _designs = new();
    private readonly Lock _gate = new();
    private float[]? _backgroundPredictions;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "kernel-shap";

    /// <summary>Creates the explainer.</summary>
    public KernelShapExplainer(IModel model, WeightedBackground background, KernelShapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(background);
        _options = options ?? new KernelShapOptions();
        _options.Validate();
        if (_options.Samples is < 2) throw new XaiException($"kernel-shap needs at least 2 samples, got {_options.Samples}");
        model.EnsureAccepts(background.Rows, "the background");
        _model = model;
        _background = background;
    }

    /// <summary>The background this explainer takes expectations over.</summary>
    public WeightedBackground Background => _background;

    /// <summary>The coalition budget per row.</summary>
    public int Samples => _options.Samples ?? 2 * _model.FeatureCount + 2048;

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

        // Features that differ from at least one background row; the others get exactly zero.
        var varying = new int[n][];
        var designs = new KernelShapDesign[n];
        long total = n;
        for (int r = 0; r < n; r++)
        {
            var x = rows.Row(r);
            var list = new List<int>(m);
            for (int j = 0; j < m; j++)
            {
                for (int b = 0; b < backgroundCount; b++)
                    if (_background.Rows[b, j] != x[j]) { list.Add(j); break; }
            }
            varying[r] = list.ToArray();
            designs[r] = Design(list.Count);
            total += (long)designs[r].CoalitionCount * backgroundCount;
        }

        var evaluator = new BatchEvaluator(_model, _options, MethodName, total, progress, cancellationToken);
        var backgroundPredictions = BackgroundPredictions(evaluator);
        var baseValues = new double[k];
        for (int b = 0; b < backgroundCount; b++)
            for (int o = 0; o < k; o++) baseValues[o] += _background.Weights[b] * backgroundPredictions[b * k + o];
        var predictions = evaluator.Evaluate(n, (first, count, dest) => rows.Values.Slice((int)first * m, count * m).CopyTo(dest));

        var values = new double[n * m * t];
        var errors = new double[n * m * t];
        // The blocks of rows, then one set of buffers sized for the largest block and reused by every block
        // (a block's outputs are 4 MB at the default bound: allocated per block they piled up as garbage).
        var blocks = new List<(int Start, int End)>();
        long largest = 0;
        int largestRows = 0, largestCoalitions = 0;
        for (int start = 0; start < n;)
        {
            int end = start, coalitions = 0;
            long block = 0;
            while (end < n)
            {
                long rowEvaluations = (long)designs[end].CoalitionCount * backgroundCount;
                if (end > start && block + rowEvaluations > _options.MaxEvaluationsPerBlock) break;
                block += rowEvaluations;
                coalitions += designs[end].CoalitionCount;
                end++;
            }
            blocks.Add((start, end));
            largest = Math.Max(largest, block);
            largestRows = Math.Max(largestRows, end - start);
            largestCoalitions = Math.Max(largestCoalitions, coalitions);
            start = end;
        }
        if (largest * k > Array.MaxLength)
            throw new XaiException($"{largest} model evaluations at once are too many to hold in memory; explain fewer rows per call");
        var buffers = new BlockBuffers(new float[largest * k], new long[largestRows + 1]);
        if (MaskedRowFill.IsSupported(m))
        {
            buffers.LaneMasks = new uint[largestCoalitions];
            buffers.PaddedRows = new float[largestRows * MaskedRowFill.Chunks(m) * 8];
            buffers.PaddedBackground = MaskedRowFill.Pad(_background.Rows.Values, backgroundCount, m);
        }
        foreach (var (start, end) in blocks)
            ExplainBlock(rows, start, end, varying, designs, evaluator, predictions, baseValues, targets, values, errors, buffers, cancellationToken);

        double additivity = 0;
        var predictionSelected = new double[n * t];
        for (int r = 0; r < n; r++)
        {
            for (int s = 0; s < t; s++)
            {
                double fx = predictions[r * k + targets[s]], sum = baseValues[targets[s]];
                for (int j = 0; j < m; j++) sum += values[(r * m + j) * t + s];
                additivity = Math.Max(additivity, Math.Abs(sum - fx));
                predictionSelected[r * t + s] = fx;
            }
        }
        bool allExact = designs.All(d => d.IsExact);
        var fullDesign = Design(m);
        return new AttributionExplanation
        {
            Method = MethodName,
            FeatureNames = rows.FeatureNames,
            OutputNames = targets.Select(o => _model.OutputNames[o]).ToImmutableArray(),
            Targets = targets,
            Data = rows,
            Values = ImmutableArray.Create(values),
            StandardErrors = ImmutableArray.Create(errors),
            BaseValues = targets.Select(o => baseValues[o]).ToImmutableArray(),
            Predictions = ImmutableArray.Create(predictionSelected),
            AdditivityError = additivity,
            Elapsed = stopwatch.Elapsed,
            ModelEvaluations = evaluator.Evaluations,
            Details = ImmutableDictionary<string, string>.Empty
                .Add("backgroundRows", backgroundCount.ToString(CultureInfo.InvariantCulture))
                .Add("samples", Samples.ToString(CultureInfo.InvariantCulture))
                .Add("coalitions", fullDesign.CoalitionCount.ToString(CultureInfo.InvariantCulture))
                .Add("exact", allExact ? "true" : "false")
                .Add("standardErrors", allExact ? "exact (zero)" : _options.ComputeStandardErrors ? "sandwich estimate over paired draws" : "off"),
        };
    }

    private KernelShapDesign Design(int features) =>
        _designs.GetOrAdd(features, f => new Lazy<KernelShapDesign>(
            () => KernelShapDesign.Create(f, Samples, _options.Seed))).Value;

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

    // Buffers every block reuses: model outputs, the blocks' evaluation offsets, and for the vectorised fill the
    // coalitions' lane masks and the padded rows and background.
    private sealed class BlockBuffers(float[] outputs, long[] offsets)
    {
        public float[] Outputs { get; } = outputs;
        public long[] Offsets { get; } = offsets;
        public uint[]? LaneMasks { get; set; }
        public float[]? PaddedRows { get; set; }
        public float[]? PaddedBackground { get; set; }
    }

    private void ExplainBlock(FeatureTable rows, int start, int end, int[][] varying, KernelShapDesign[] designs,
        BatchEvaluator evaluator, float[] predictions, double[] baseValues, ImmutableArray<int> targets,
        double[] values, double[] errors, BlockBuffers buffers, CancellationToken cancellationToken)
    {
        int m = _model.FeatureCount, k = _model.OutputCount(), t = targets.Length;
        int backgroundCount = _background.Count;
        var offsets = buffers.Offsets;
        offsets[0] = 0;
        for (int r = start; r < end; r++)
            offsets[r - start + 1] = offsets[r - start] + (long)designs[r].CoalitionCount * backgroundCount;
        int blockRows = end - start;

        // Each coalition as a lane mask over all m features (bit j set: feature j comes from x); row r's masks start
        // at its first coalition's place in the block.
        bool vectorised = MaskedRowFill.IsSupported(m) && buffers.LaneMasks is not null;
        int chunks = MaskedRowFill.Chunks(m);
        uint[]? laneMasks = null;
        float[]? paddedRows = null, paddedBackground = null;
        if (vectorised)
        {
            laneMasks = buffers.LaneMasks!;
            int first = 0;
            for (int r = start; r < end; r++)
            {
                var members = designs[r].Members;
                var masks = laneMasks.AsSpan(first, members.Length);
                for (int c = 0; c < members.Length; c++)
                {
                    uint mask = 0;
                    foreach (int position in members[c]) mask |= 1u << varying[r][position];
                    masks[c] = mask;
                }
                first += members.Length;
            }
            paddedRows = buffers.PaddedRows!;
            int width = chunks * 8;
            var source = rows.Values.Slice(start * m, blockRows * m);
            for (int r = 0; r < blockRows; r++) source.Slice(r * m, m).CopyTo(paddedRows.AsSpan(r * width, m));
            paddedBackground = buffers.PaddedBackground!;
        }

        var outputs = buffers.Outputs;
        evaluator.Evaluate(offsets[blockRows], (first, count, dest) =>
        {
            var backgroundValues = _background.Rows.Values;
            var rowValues = rows.Values;
            int local = 0;
            while (offsets[local + 1] <= first) local++;
            long within = first - offsets[local];
            int coalition = (int)(within / backgroundCount), b = (int)(within % backgroundCount);
            int maskStart = vectorised ? (int)(offsets[local] / backgroundCount) : 0;
            if (vectorised) MaskedRowFill.CheckRoom(dest, count, m);
            ref float target = ref MaskedRowFill.Start(dest);
            int width = chunks * 8;
            for (int i = 0; i < count; i++)
            {
                if (offsets[local] + (long)coalition * backgroundCount + b >= offsets[local + 1])
                {
                    do local++; while (offsets[local + 1] == offsets[local]);
                    coalition = 0;
                    b = 0;
                    if (vectorised) maskStart = (int)(offsets[local] / backgroundCount);
                }
                int r = start + local;
                if (vectorised)
                {
                    var xs = new MaskedRowFill.Row(paddedRows.AsSpan(local * width, width), chunks);
                    var bs = new MaskedRowFill.Row(paddedBackground.AsSpan(b * width, width), chunks);
                    MaskedRowFill.Blend(ref target, (nuint)(i * m), laneMasks![maskStart + coalition], chunks, xs, bs);
                }
                else
                {
                    var features = varying[r];
                    var row = dest.Slice(i * m, m);
                    backgroundValues.Slice(b * m, m).CopyTo(row);
                    var x = rowValues.Slice(r * m, m);
                    foreach (int position in designs[r].Members[coalition])
                    {
                        int j = features[position];
                        row[j] = x[j];
                    }
                }
                if (++b == backgroundCount) { b = 0; coalition++; }
            }
        }, outputs);

        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism ?? Environment.ProcessorCount };
        // Per-worker scratch (every value is written before it is read), not three arrays per row.
        int mostCoalitions = 0;
        for (int r = start; r < end; r++) mostCoalitions = Math.Max(mostCoalitions, designs[r].CoalitionCount);
        Parallel.For(start, end, parallel, () => (new double[mostCoalitions], new double[m], new double[m]), (r, _, scratch) =>
        {
            var design = designs[r];
            var features = varying[r];
            int mv = features.Length, n = design.CoalitionCount;
            long offset = offsets[r - start];
            var adjusted = scratch.Item1.AsSpan(0, n);
            var phi = scratch.Item2.AsSpan(0, mv);
            var errors2 = scratch.Item3.AsSpan(0, mv);
            for (int s = 0; s < t; s++)
            {
                int output = targets[s];
                double delta = predictions[r * k + output] - baseValues[output];
                if (mv == 0) continue;
                if (mv == 1)
                {
                    values[(r * m + features[0]) * t + s] = delta;
                    continue;
                }
                for (int c = 0; c < n; c++)
                {
                    double v = 0;
                    long baseIndex = (offset + (long)c * backgroundCount) * k + output;
                    for (int b = 0; b < backgroundCount; b++) v += _background.Weights[b] * outputs[baseIndex + (long)b * k];
                    adjusted[c] = v - baseValues[output] - design.Masks[c * mv + mv - 1] * delta;
                }
                Solve(design.Projection, adjusted, delta, phi);
                for (int f = 0; f < mv; f++) values[(r * m + features[f]) * t + s] = phi[f];
                if (!design.IsExact && _options.ComputeStandardErrors && design.DrawCount > 1)
                {
                    SandwichErrors(design, adjusted, phi, errors2);
                    for (int f = 0; f < mv; f++) errors[(r * m + features[f]) * t + s] = errors2[f];
                }
            }
            return scratch;
        }, _ => { });
    }

    /// <summary>
    /// Standard errors from the delta method: phi_rest = A^-1 c with A and c means over D independent paired draws
    /// (plus fixed enumerated parts), so Cov(phi_rest) ~ A^-1 Cov(g) A^-1 / D with g_d = (R/2)(c_d - a_d phi_rest),
    /// where a_d and c_d sum x x' and x y' over the draw's two coalitions. phi_last = delta - sum(phi_rest).
    /// </summary>
    private static void SandwichErrors(KernelShapDesign design, ReadOnlySpan<double> adjusted, ReadOnlySpan<double> phi, Span<double> errors)
    {
        int mv = design.FeatureCount, p = mv - 1, pairs = design.PairDraws.Length;
        var mean = new double[p];
        var g = new double[pairs * p];
        var x = new double[p];
        for (int pair = 0; pair < pairs; pair++)
        {
            for (int member = 0; member < 2; member++)
            {
                int c = design.EnumeratedCount + 2 * pair + member;
                int last = design.Masks[c * mv + p];
                double fitted = 0;
                for (int j = 0; j < p; j++)
                {
                    x[j] = design.Masks[c * mv + j] - last;
                    fitted += x[j] * phi[j];
                }
                double residual = adjusted[c] - fitted;
                for (int j = 0; j < p; j++) g[pair * p + j] += design.SampledWeight / 2 * x[j] * residual;
            }
            int count = design.PairDraws[pair];
            for (int j = 0; j < p; j++) mean[j] += count * g[pair * p + j];
        }
        int draws = design.DrawCount;
        for (int j = 0; j < p; j++) mean[j] /= draws;
        var covariance = new double[p * p];
        for (int pair = 0; pair < pairs; pair++)
        {
            int count = design.PairDraws[pair];
            if (count == 0) continue;
            for (int i = 0; i < p; i++)
            {
                double di = g[pair * p + i] - mean[i];
                for (int j = 0; j < p; j++) covariance[i * p + j] += count * di * (g[pair * p + j] - mean[j]);
            }
        }
        // Cov(phi_rest) = A^-1 (Cov(g) / D) A^-1 with the sample covariance Cov(g) = sum / (D - 1).
        double scale = 1.0 / ((double)draws * (draws - 1));
        var left = new double[p * p];
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++)
            {
                double sum = 0;
                for (int l = 0; l < p; l++) sum += design.Inverse[i * p + l] * covariance[l * p + j];
                left[i * p + j] = sum * scale;
            }
        var full = new double[p * p];
        for (int i = 0; i < p; i++)
            for (int j = 0; j < p; j++)
            {
                double sum = 0;
                for (int l = 0; l < p; l++) sum += left[i * p + l] * design.Inverse[l * p + j];
                full[i * p + j] = sum;
            }
        double lastVariance = 0;
        for (int i = 0; i < p; i++)
        {
            errors[i] = Math.Sqrt(Math.Max(full[i * p + i], 0));
            for (int j = 0; j < p; j++) lastVariance += full[i * p + j];
        }
        errors[p] = Math.Sqrt(Math.Max(lastVariance, 0));
    }

    private static void Solve(double[] projection, ReadOnlySpan<double> adjusted, double delta, Span<double> phi)
    {
        int p = phi.Length - 1, n = adjusted.Length;
        double sum = 0;
        for (int i = 0; i < p; i++)
        {
            double value = 0;
            for (int c = 0; c < n; c++) value += projection[i * n + c] * adjusted[c];
            phi[i] = value;
            sum += value;
        }
        phi[p] = delta - sum;
    }
}
