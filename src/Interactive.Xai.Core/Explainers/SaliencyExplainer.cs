using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai.Engine;

namespace Interactive.Xai;

/// <summary>Options for <see cref="SaliencyExplainer"/>.</summary>
public sealed record SaliencyOptions : GradientAttributionOptions
{
    /// <summary>Report |gradient| instead of the signed gradient (signed by default).</summary>
    public bool Absolute { get; init; }
}

/// <summary>
/// Saliency (vanilla gradient): the attribution of feature j in row x for output o is d f_o / d x_j at x, or its
/// absolute value. One gradient evaluation per row and target. For a linear model it is the weight vector.
/// Saliency values do not add up to the prediction: base values are 0 and
/// <see cref="AttributionExplanation.AdditivityError"/> reports the largest |sum of a row's values - f(x)|.
/// </summary>
public sealed class SaliencyExplainer
{
    private readonly IDifferentiableModel _model;
    private readonly SaliencyOptions _options;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "saliency";

    /// <summary>Creates the explainer; the model must be an <see cref="IDifferentiableModel"/>.</summary>
    /// <exception cref="XaiException">The model gives no gradients, or an option is out of range.</exception>
    public SaliencyExplainer(IModel model, SaliencyOptions? options = null)
    {
        _model = GradientAttribution.RequireDifferentiable(model, MethodName);
        _options = options ?? new SaliencyOptions();
        GradientAttribution.Validate(_options, model);
    }

    /// <summary>Explains every row of <paramref name="rows"/> for the selected outputs (default: output 0).</summary>
    public AttributionExplanation Explain(FeatureTable rows, OutputTarget? target = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _model.EnsureAccepts(rows, "the data");
        var stopwatch = Stopwatch.StartNew();
        target ??= OutputTarget.Output(0);
        int n = rows.RowCount, m = _model.FeatureCount, k = _model.OutputCount();
        int slots = GradientAttribution.SlotCount(target, _model);
        long total = n + (long)n * slots;
        var evaluator = new BatchEvaluator(_model, _options, MethodName, total, progress, cancellationToken);
        var predictions = evaluator.Evaluate(n, (first, count, dest) => rows.Values.Slice((int)first * m, count * m).CopyTo(dest));
        var plan = GradientAttribution.Plan(target, _model, predictions, n);
        int t = plan.Slots;

        var values = new double[n * m * t];
        var batches = new GradientBatches(_model, _options, MethodName, total, evaluator.Evaluations, progress, cancellationToken);
        bool absolute = _options.Absolute;
        GradientAttribution.Run(batches, _model, n, plan, steps: 1,
            (row, _, input) => rows.Row(row).CopyTo(input),
            (row, slot, _, _, gradient) =>
            {
                for (int j = 0; j < m; j++) values[(row * m + j) * t + slot] = absolute ? Math.Abs(gradient[j]) : gradient[j];
            });

        var selected = GradientAttribution.SelectPredictions(predictions, n, k, plan);
        var details = ImmutableDictionary<string, string>.Empty
            .Add("absolute", _options.Absolute ? "true" : "false")
            .Add("rowsPerBatch", batches.RowsPerBatch.ToString(CultureInfo.InvariantCulture));
        return GradientAttribution.Explanation(MethodName, rows, plan, _options, values, new double[t], selected,
            GradientAttribution.LargestSumGap(values, selected, n, m, t), stopwatch.Elapsed,
            evaluator.Evaluations + batches.Evaluations, details);
    }
}
