using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Interactive.Xai.Engine;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>Options for <see cref="SmoothGradExplainer"/>.</summary>
public sealed record SmoothGradOptions : GradientAttributionOptions
{
    /// <summary>Noisy copies of each row.</summary>
    public int Samples { get; init; } = 50;

    /// <summary>
    /// The noise standard deviation as a fraction of each row's value range (max - min over its features), as in the
    /// SmoothGrad paper (10-20% works well on images). A constant row gets no noise. Ignored when
    /// <see cref="NoiseStandardDeviations"/> is set.
    /// </summary>
    public double NoiseLevel { get; init; } = 0.15;

    /// <summary>
    /// Absolute noise standard deviations, as Captum's <c>stdevs</c>: one value for every feature, or one per feature.
    /// Null (default) uses <see cref="NoiseLevel"/> x each row's range, which suits images (all pixels on one scale) but
    /// not tabular rows whose features have different units: for those give per-feature scales, for example
    /// <see cref="FeatureScales"/> (a fraction of each feature's standard deviation in a reference table).
    /// </summary>
    public IReadOnlyList<double>? NoiseStandardDeviations { get; init; }

    /// <summary>
    /// Per-feature noise scales for mixed-scale tabular data: <paramref name="level"/> x the sample standard deviation
    /// of each feature (column) of <paramref name="reference"/>, for <see cref="NoiseStandardDeviations"/>.
    /// </summary>
    /// <exception cref="XaiException">The reference has fewer than two rows, or the level is negative or not finite.</exception>
    public static IReadOnlyList<double> FeatureScales(FeatureTable reference, double level = 0.15)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.RowCount < 2) throw new XaiException($"per-feature noise scales need a reference table of at least 2 rows, got {reference.RowCount}");
        if (!double.IsFinite(level) || level < 0) throw new XaiException($"the noise level must be a finite number of at least 0, got {level.ToString(CultureInfo.InvariantCulture)}");
        return Enumerable.Range(0, reference.ColumnCount)
            .Select(j => level * Statistics.StandardDeviation(reference.Column(j).Select(v => (double)v).ToArray()))
            .ToArray();
    }

    /// <summary>Average squared gradients instead of gradients (SmoothGrad-Squared); the values are then never negative.</summary>
    public bool Squared { get; init; }
}

/// <summary>
/// SmoothGrad: the average gradient d f_o / d x over <see cref="SmoothGradOptions.Samples"/> copies of the row with
/// Gaussian noise of standard deviation sigma = NoiseLevel x (max - min of the row) added to every feature (or the
/// absolute per-feature <see cref="SmoothGradOptions.NoiseStandardDeviations"/>, for mixed-scale tabular data), or the
/// average squared gradient (SmoothGrad-Squared). <see cref="AttributionExplanation.StandardErrors"/> holds the
/// standard error of each average (sample standard deviation / sqrt(samples)). The noise of sample s of row r comes
/// from its own stream seeded by (Seed, r, s), so results do not depend on batch size, parallelism or the targets
/// asked for (all targets of a row see the same noisy copies). Like saliency, the values are not additive (base values
/// are 0).
/// </summary>
public sealed class SmoothGradExplainer
{
    private readonly IDifferentiableModel _model;
    private readonly SmoothGradOptions _options;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "smoothgrad";

    /// <summary>Creates the explainer; the model must be an <see cref="IDifferentiableModel"/>.</summary>
    /// <exception cref="XaiException">The model gives no gradients, or an option is out of range.</exception>
    public SmoothGradExplainer(IModel model, SmoothGradOptions? options = null)
    {
        _model = GradientAttribution.RequireDifferentiable(model, MethodName);
        _options = options ?? new SmoothGradOptions();
        GradientAttribution.Validate(_options, model);
        if (_options.Samples < 1) throw new XaiException($"smoothgrad needs at least 1 sample, got {_options.Samples}");
        if (!double.IsFinite(_options.NoiseLevel) || _options.NoiseLevel < 0)
            throw new XaiException($"the noise level must be a finite number of at least 0, got {_options.NoiseLevel.ToString(CultureInfo.InvariantCulture)}");
        if (_options.NoiseStandardDeviations is { } sd)
        {
            if (sd.Count != 1 && sd.Count != model.FeatureCount)
                throw new XaiException($"the noise standard deviations have {sd.Count} values; give one, or one per feature ({model.FeatureCount})");
            if (sd.Any(v => !double.IsFinite(v) || v < 0))
                throw new XaiException("every noise standard deviation must be a finite number of at least 0");
        }
    }

    /// <summary>Explains every row of <paramref name="rows"/> for the selected outputs (default: output 0).</summary>
    public AttributionExplanation Explain(FeatureTable rows, OutputTarget? target = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _model.EnsureAccepts(rows, "the data");
        var stopwatch = Stopwatch.StartNew();
        target ??= OutputTarget.Output(0);
        int n = rows.RowCount, m = _model.FeatureCount, k = _model.OutputCount(), samples = _options.Samples;
        int slots = GradientAttribution.SlotCount(target, _model);
        long total = n + (long)n * slots * samples;
        var evaluator = new BatchEvaluator(_model, _options, MethodName, total, progress, cancellationToken);
        var predictions = evaluator.Evaluate(n, (first, count, dest) => rows.Values.Slice((int)first * m, count * m).CopyTo(dest));
        var plan = GradientAttribution.Plan(target, _model, predictions, n);
        int t = plan.Slots;

        // sigma[row][feature]: the row's range x NoiseLevel for every feature, or the given absolute deviations.
        var sigma = new double[n * m];
        var absolute = _options.NoiseStandardDeviations;
        for (int r = 0; r < n; r++)
        {
            var row = rows.Row(r);
            double range = _options.NoiseLevel * (TensorPrimitives.Max(row) - TensorPrimitives.Min(row));
            for (int j = 0; j < m; j++) sigma[r * m + j] = absolute is null ? range : absolute[absolute.Count == 1 ? 0 : j];
        }

        // Running means and sums of squared deviations (Welford): samples arrive in order 0 .. samples-1 per row and slot.
        var values = new double[n * m * t];
        var deviations = new double[n * m * t];
        bool squared = _options.Squared;
        int seed = _options.Seed;
        var batches = new GradientBatches(_model, _options, MethodName, total, evaluator.Evaluations, progress, cancellationToken);
        GradientAttribution.Run(batches, _model, n, plan, samples,
            (row, sample, input) =>
            {
                var x = rows.Row(row);
                var noise = GaussianNoise.For(seed, row, sample);
                var s = sigma.AsSpan(row * m, m);
                for (int j = 0; j < m; j++) input[j] = (float)(x[j] + s[j] * noise.Next());
            },
            (row, slot, sample, _, gradient) =>
            {
                for (int j = 0; j < m; j++)
                {
                    double g = gradient[j];
                    if (squared) g *= g;
                    int index = (row * m + j) * t + slot;
                    double delta = g - values[index];
                    values[index] += delta / (sample + 1);
                    deviations[index] += delta * (g - values[index]);
                }
            });

        var errors = new double[values.Length];
        if (samples > 1)
            for (int i = 0; i < errors.Length; i++) errors[i] = Math.Sqrt(deviations[i] / (samples - 1) / samples);

        var selected = GradientAttribution.SelectPredictions(predictions, n, k, plan);
        var details = ImmutableDictionary<string, string>.Empty
            .Add("samples", samples.ToString(CultureInfo.InvariantCulture))
            .Add("noiseLevel", _options.NoiseStandardDeviations is null ? _options.NoiseLevel.ToString("R", CultureInfo.InvariantCulture) : "absolute")
            .Add("squared", squared ? "true" : "false")
            .Add("rowsPerBatch", batches.RowsPerBatch.ToString(CultureInfo.InvariantCulture));
        return GradientAttribution.Explanation(MethodName, rows, plan, _options, values, new double[t], selected,
            GradientAttribution.LargestSumGap(values, selected, n, m, t), stopwatch.Elapsed,
            evaluator.Evaluations + batches.Evaluations, details) with { StandardErrors = ImmutableArray.Create(errors) };
    }
}
