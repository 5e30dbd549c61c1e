using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Interactive.Xai.Engine;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>
/// The reference input x' Integrated Gradients integrates from: all zeros, the feature means of a reference table,
/// or given rows (one row for every explained row, or one row per explained row, paired in order).
/// </summary>
public sealed class IntegratedGradientsBaseline
{
    private IntegratedGradientsBaseline(string kind, FeatureTable? rows)
    {
        Kind = kind;
        Rows = rows;
    }

    /// <summary>"zeros", "mean" or "rows".</summary>
    public string Kind { get; }

    /// <summary>The baseline rows (one, or one per explained row); null for zeros.</summary>
    public FeatureTable? Rows { get; }

    /// <summary>The all-zero input (a black image for pixel data).</summary>
    public static IntegratedGradientsBaseline Zeros { get; } = new("zeros", null);

    /// <summary>The feature means of <paramref name="reference"/> (for example the training data), one row.</summary>
    public static IntegratedGradientsBaseline MeanOf(FeatureTable reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.RowCount == 0) throw new XaiException("the mean baseline needs at least one reference row");
        var means = new float[reference.ColumnCount];
        for (int j = 0; j < means.Length; j++)
        {
            double sum = 0;
            for (int r = 0; r < reference.RowCount; r++) sum += reference[r, j];
            means[j] = (float)(sum / reference.RowCount);
        }
        return new("mean", FeatureTable.FromRowMajor(means, 1, means.Length, reference.FeatureNames));
    }

    /// <summary>Given baseline rows: one row used for every explained row, or one row per explained row.</summary>
    public static IntegratedGradientsBaseline FromRows(FeatureTable rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.RowCount == 0) throw new XaiException("the baseline table has no rows");
        return new("rows", rows);
    }

    /// <inheritdoc />
    public override string ToString() => Rows is null ? Kind : $"{Kind} ({Rows.RowCount} row{(Rows.RowCount == 1 ? "" : "s")})";
}

/// <summary>Options for <see cref="IntegratedGradientsExplainer"/>.</summary>
public sealed record IntegratedGradientsOptions : GradientAttributionOptions
{
    /// <summary>Points on the path from the baseline to the input (gradient evaluations per row and target).</summary>
    public int Steps { get; init; } = 50;

    /// <summary>How the path integral is approximated (Gauss-Legendre by default, as in Captum).</summary>
    public IntegrationRule Rule { get; init; } = IntegrationRule.GaussLegendre;

    /// <summary>The baseline x' (zeros by default).</summary>
    public IntegratedGradientsBaseline Baseline { get; init; } = IntegratedGradientsBaseline.Zeros;
}

/// <summary>
/// Integrated Gradients: attr_j(x) = (x_j - x'_j) * integral over alpha in [0, 1] of d f_o / d x_j at
/// x' + alpha (x - x'), approximated by the chosen rule with <see cref="IntegratedGradientsOptions.Steps"/> points.
/// Every (row, target, step) is one row of a large <see cref="IDifferentiableModel.PredictWithGradient"/> call;
/// <see cref="ExplainerOptions.BatchSize"/> is the internal batch size (interpolated rows per model call, and so
/// per worker in memory). Completeness says the attributions of a row add up to f(x) - f(x');
/// <see cref="AttributionExplanation.ConvergenceDeltas"/> holds sum(attr) - (f(x) - f(x')) per row and target, and
/// <see cref="AttributionExplanation.AdditivityError"/> its largest absolute value. Base values are f(x') (the mean
/// over baseline rows when each row has its own baseline, or when each row has its own predicted target).
/// For a linear model the result is w (x - x') exactly, whatever the rule and steps.
/// </summary>
public sealed class IntegratedGradientsExplainer
{
    private readonly IDifferentiableModel _model;
    private readonly IntegratedGradientsOptions _options;
    private readonly double[] _points, _weights;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "ig";

    /// <summary>Creates the explainer; the model must be an <see cref="IDifferentiableModel"/>.</summary>
    /// <exception cref="XaiException">The model gives no gradients, or an option is out of range.</exception>
    public IntegratedGradientsExplainer(IModel model, IntegratedGradientsOptions? options = null)
    {
        _model = GradientAttribution.RequireDifferentiable(model, MethodName);
        _options = options ?? new IntegratedGradientsOptions();
        GradientAttribution.Validate(_options, model);
        if (_options.Steps is < 1 or > 100_000) throw new XaiException($"steps must be between 1 and 100000, got {_options.Steps}");
        ArgumentNullException.ThrowIfNull(_options.Baseline, "options.Baseline");
        if (_options.Baseline.Rows is { } baseline) model.EnsureAccepts(baseline, "the baseline");
        (_points, _weights) = Quadrature.OnUnitInterval(_options.Rule, _options.Steps);
    }

    /// <summary>Explains every row of <paramref name="rows"/> for the selected outputs (default: output 0).</summary>
    public AttributionExplanation Explain(FeatureTable rows, OutputTarget? target = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _model.EnsureAccepts(rows, "the data");
        var stopwatch = Stopwatch.StartNew();
        target ??= OutputTarget.Output(0);
        int n = rows.RowCount, m = _model.FeatureCount, k = _model.OutputCount(), steps = _options.Steps;
        var baselines = BaselineRows(n, m);
        int baselineCount = baselines.Length / m;
        bool paired = baselineCount > 1;

        int slots = GradientAttribution.SlotCount(target, _model);
        long total = n + baselineCount + (long)n * slots * steps;
        var evaluator = new BatchEvaluator(_model, _options, MethodName, total, progress, cancellationToken);
        // f(x) for every row, then f(x') for every baseline row, in one pass.
        var predictions = evaluator.Evaluate(n + baselineCount, (first, count, dest) =>
        {
            for (int i = 0; i < count; i++)
            {
                long row = first + i;
                var source = row < n ? rows.Row((int)row) : baselines.AsSpan((int)(row - n) * m, m);
                source.CopyTo(dest.Slice(i * m, m));
            }
        });
        var plan = GradientAttribution.Plan(target, _model, predictions, n);
        int t = plan.Slots;

        // Weighted gradient sums, [row][slot][feature] so each step adds one contiguous vector (in step order).
        var sums = new double[n * t * m];
        var scratch = new double[m];
        var points = _points;
        var weights = _weights;
        var batches = new GradientBatches(_model, _options, MethodName, total, evaluator.Evaluations, progress, cancellationToken);
        GradientAttribution.Run(batches, _model, n, plan, steps,
            (row, step, input) =>
            {
                var x = rows.Row(row);
                var b = baselines.AsSpan(paired ? row * m : 0, m);
                // x' + alpha (x - x')
                TensorPrimitives.Subtract(x, b, input);
                TensorPrimitives.MultiplyAdd(input, (float)points[step], b, input);
            },
            (row, slot, step, _, gradient) =>
            {
                // Batches are consumed one at a time, so one scratch vector serves every call.
                TensorPrimitives.ConvertTruncating(gradient, scratch.AsSpan());
                var sum = sums.AsSpan((row * t + slot) * m, m);
                TensorPrimitives.MultiplyAdd(scratch, weights[step], sum, sum);
            });

        var values = new double[n * m * t];
        var deltas = new double[n * t];
        var baseValues = new double[t];
        double worst = 0;
        for (int r = 0; r < n; r++)
        {
            var x = rows.Row(r);
            var b = baselines.AsSpan(paired ? r * m : 0, m);
            int baselineRow = n + (paired ? r : 0);
            for (int s = 0; s < t; s++)
            {
                int output = plan.Output(r, s);
                double sum = 0;
                for (int j = 0; j < m; j++)
                {
                    int index = (r * m + j) * t + s;
                    values[index] = ((double)x[j] - b[j]) * sums[(r * t + s) * m + j];
                    sum += values[index];
                }
                double fx = predictions[r * k + output], fb = predictions[baselineRow * k + output];
                double delta = sum - (fx - fb);
                deltas[r * t + s] = delta;
                worst = Math.Max(worst, Math.Abs(delta));
                baseValues[s] += fb;
            }
        }
        bool shared = !paired && plan.RowTargets.IsEmpty;
        for (int s = 0; s < t; s++)
            baseValues[s] = shared ? predictions[n * k + plan.Targets[s]] : baseValues[s] / Math.Max(n, 1);

        var details = ImmutableDictionary<string, string>.Empty
            .Add("steps", steps.ToString(CultureInfo.InvariantCulture))
            .Add("rule", RuleName(_options.Rule))
            .Add("baseline", _options.Baseline.ToString())
            .Add("rowsPerBatch", batches.RowsPerBatch.ToString(CultureInfo.InvariantCulture));
        return GradientAttribution.Explanation(MethodName, rows, plan, _options, values, baseValues,
            GradientAttribution.SelectPredictions(predictions, n, k, plan), worst, stopwatch.Elapsed,
            evaluator.Evaluations + batches.Evaluations, details) with { ConvergenceDeltas = ImmutableArray.Create(deltas) };
    }

    /// <summary>The command-line name of a rule.</summary>
    public static string RuleName(IntegrationRule rule) => rule switch
    {
        IntegrationRule.RiemannLeft => "riemann-left",
        IntegrationRule.RiemannRight => "riemann-right",
        IntegrationRule.RiemannMiddle => "riemann-middle",
        IntegrationRule.RiemannTrapezoid => "riemann-trapezoid",
        IntegrationRule.GaussLegendre => "gauss-legendre",
        _ => throw new ArgumentOutOfRangeException(nameof(rule)),
    };

    /// <summary>Parses a rule's command-line name.</summary>
    public static IntegrationRule ParseRule(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var rule in Enum.GetValues<IntegrationRule>())
            if (RuleName(rule).Equals(text, StringComparison.OrdinalIgnoreCase)) return rule;
        throw new XaiException($"unknown integration rule '{text}'; use one of: {string.Join(", ", Enum.GetValues<IntegrationRule>().Select(RuleName))}");
    }

    // One baseline row for all rows, or one per row (flat, row-major).
    private float[] BaselineRows(int n, int m)
    {
        var rows = _options.Baseline.Rows;
        if (rows is null) return new float[m];
        if (rows.RowCount == 1 || rows.RowCount == n) return rows.Values.ToArray();
        throw new XaiException($"the baseline has {rows.RowCount} rows; give one row, or one per explained row ({n})");
    }
}
