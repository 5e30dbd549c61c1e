using System.Globalization;

namespace Interactive.Xai.Hosting;

/// <summary>The tables an explanation may draw on besides the rows it explains.</summary>
public sealed record ExplanationInputs
{
    /// <summary>The whole data set the explained rows come from: summarised into the default background, routed
    /// through trees for Tree SHAP covers, and LIME's training statistics (default: the explained rows).</summary>
    public FeatureTable? Reference { get; init; }

    /// <summary>Background rows for Shapley methods, used whole unless a background size is requested.</summary>
    public FeatureTable? Background { get; init; }

    /// <summary>A ready weighted background (for example a cached k-means summary); wins over <see cref="Background"/>.</summary>
    public WeightedBackground? WeightedBackground { get; init; }

    /// <summary>The labels permutation importance scores against, one per explained row.</summary>
    public IReadOnlyList<float>? Labels { get; init; }

    /// <summary>Integrated Gradients baseline rows (one row, or one per explained row), used when the request's
    /// baseline is neither "zeros" nor "mean".</summary>
    public FeatureTable? BaselineRows { get; init; }
}

/// <summary>
/// Runs an <see cref="ExplanationRequest"/> against a model and data: picks the explainer, builds its options, and
/// reuses explainers (with their background predictions and coalition designs) through an optional
/// <see cref="ExplainerCache"/>.
/// </summary>
public sealed class ExplanationRunner
{
    private readonly ExplainerCache? _cache;

    /// <summary>Creates a runner; with a cache, explainers built for one call are reused by later calls.</summary>
    public ExplanationRunner(ExplainerCache? cache = null) => _cache = cache;

    /// <summary>
    /// Explains <paramref name="data"/>. The background (for Shapley methods) defaults to a k-means summary of the
    /// reference data (or of <paramref name="data"/>); labels are needed by permutation importance.
    /// </summary>
    public Explanation Run(IModel model, FeatureTable data, ExplanationRequest request, ExplanationInputs? inputs = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(request);
        if (TorchExplanations.Handles(request.Method)) return TorchExplanations.Run(model, data, request, progress, cancellationToken);
        inputs ??= new ExplanationInputs();
        model.EnsureAccepts(data, "the data");
        var reference = inputs.Reference ?? data;
        var labels = inputs.Labels;
        bool hasBackground = inputs.Background is not null || inputs.WeightedBackground is not null;
        var target = OutputTarget.Parse(request.Target, model.OutputNames);
        if (!target.IsPredicted || !PerRowMethods.Contains(request.Method)) target.Resolve(model);
        switch (request.Method)
        {
            case "exact-shap":
            {
                var summary = Background(model, reference, inputs, request);
                var options = new ExactShapleyOptions { Seed = request.Seed };
                var explainer = Cached(model, summary, options, () => new ExactShapleyExplainer(model, summary, options));
                return explainer.Explain(data, target, progress, cancellationToken);
            }
            case "kernel-shap":
            {
                var summary = Background(model, reference, inputs, request);
                var options = new KernelShapOptions { Samples = request.Samples, Seed = request.Seed };
                var explainer = Cached(model, summary, options, () => new KernelShapExplainer(model, summary, options));
                return explainer.Explain(data, target, progress, cancellationToken);
            }
            case "tree-shap":
            {
                var ensemble = model as TreeEnsemble ?? (model as ITreeEnsembleSource)?.TreeEnsemble
                    ?? throw new XaiException("tree-shap needs a tree ensemble model (FastTree, FastForest, LightGBM); use exact-shap or kernel-shap for other models");
                if (target.Index is not (null or 0)) throw new XaiException("tree-shap explains the ensemble's single raw score; use target 0");
                var options = new TreeShapOptions { Seed = request.Seed };
                if (hasBackground || request.BackgroundSize is not null)
                {
                    var summary = Background(model, reference, inputs, request);
                    var interventional = Cached(model, summary, options, () => new TreeShapExplainer(ensemble, summary, options));
                    return interventional.Explain(data, progress, cancellationToken);
                }
                // Path-dependent: ML.NET does not keep node covers, so they come from routing the data through the trees.
                var covered = ensemble.HasCovers ? ensemble : _cache?.Covered(ensemble, reference) ?? ensemble.WithCovers(reference);
                return new TreeShapExplainer(covered, options).Explain(data, progress, cancellationToken);
            }
            case "permutation-importance":
            {
                if (labels is null) throw new XaiException("permutation-importance needs labels (a label column)");
                var metric = request.Metric is null
                    ? (model.OutputCount() > 1 ? PermutationMetric.Accuracy : PermutationMetric.MeanSquaredError)
                    : ParseMetric(request.Metric);
                if (target.Index is null && metric is not (PermutationMetric.Accuracy or PermutationMetric.LogLoss))
                    throw new XaiException($"target 'all' does not apply to the {ExplanationJson.MetricName(metric)} metric; name one output");
                var options = new PermutationImportanceOptions { Metric = metric, Repeats = request.Repeats, Output = target.Index ?? 0, Seed = request.Seed };
                return new PermutationImportanceExplainer(model, options).Explain(data, labels, progress, cancellationToken);
            }
            case "pdp":
            case "ice":
            {
                string feature = RequireFeature(request, data);
                var explainer = new PartialDependenceExplainer(model, new PartialDependenceOptions { Grid = request.Grid, GridPoints = request.GridPoints, Seed = request.Seed, MaxIceCurves = request.MaxIceCurves });
                if (!data.FeatureNames.Contains(feature) && request.Method == "pdp" && feature.Split(',') is [var first, var second])
                    return explainer.Explain2D(data, first.Trim(), second.Trim(), target, progress, cancellationToken);
                return explainer.Explain(data, feature, target, progress, cancellationToken) with { Method = request.Method };
            }
            case "ale":
            {
                string feature = RequireFeature(request, data);
                var options = new AccumulatedLocalEffectsOptions { Edges = request.Edges, Bins = request.Bins, Seed = request.Seed };
                return new AccumulatedLocalEffectsExplainer(model, options).Explain(data, feature, target, progress, cancellationToken);
            }
            case "saliency":
            {
                var options = new SaliencyOptions { Absolute = request.Absolute, InputShape = Shape(request, model), Seed = request.Seed };
                return new SaliencyExplainer(Differentiable(model, request.Method), options).Explain(data, target, progress, cancellationToken);
            }
            case "smoothgrad":
            {
                var options = new SmoothGradOptions { Samples = request.Samples ?? 50, NoiseLevel = request.NoiseLevel, InputShape = Shape(request, model), Seed = request.Seed };
                return new SmoothGradExplainer(Differentiable(model, request.Method), options).Explain(data, target, progress, cancellationToken);
            }
            case "ig":
            {
                var differentiable = Differentiable(model, request.Method);
                var options = new IntegratedGradientsOptions
                {
                    Steps = request.Steps,
                    Rule = request.Rule is null ? IntegrationRule.GaussLegendre : IntegratedGradientsExplainer.ParseRule(request.Rule),
                    Baseline = IgBaseline(model, reference, inputs, request),
                    InputShape = Shape(request, model),
                    Seed = request.Seed,
                };
                return new IntegratedGradientsExplainer(differentiable, options).Explain(data, target, progress, cancellationToken);
            }
            case "occlusion":
            {
                var shape = Shape(request, model);
                var (patchHeight, patchWidth) = PatchSize(request.Patch, shape.IsEmpty, "patch");
                var (strideHeight, strideWidth) = PatchSize(request.Stride, shape.IsEmpty, "stride");
                var options = new OcclusionOptions
                {
                    InputShape = shape,
                    PatchHeight = patchHeight,
                    PatchWidth = patchWidth,
                    StrideHeight = strideHeight,
                    StrideWidth = strideWidth,
                    AcrossChannels = !request.PerChannel,
                    FillValue = request.FillValue,
                    Baseline = OcclusionBaseline(model, reference, inputs, request),
                    Seed = request.Seed,
                };
                return new OcclusionExplainer(model, options).Explain(data, target, progress, cancellationToken);
            }
            case "lime":
            {
                var options = new LimeOptions
                {
                    Samples = request.Samples ?? 5000,
                    FeatureCount = request.LimeFeatures ?? 10,
                    Discretize = request.LimeDiscretize,
                    Seed = request.Seed,
                };
                return new LimeExplainer(model, reference, options).Explain(data, target, progress, cancellationToken);
            }
            default:
                throw new XaiException($"unknown method '{request.Method}'; use one of: {string.Join(", ", ExplanationRequest.Methods)}");
        }
    }

    // Methods that explain each row for its own output and so accept target 'predicted'.
    private static readonly string[] PerRowMethods = ["saliency", "smoothgrad", "ig", "grad-cam", "occlusion"];

    private static IDifferentiableModel Differentiable(IModel model, string method) => model as IDifferentiableModel
        ?? throw new XaiException($"{method} needs a differentiable model (.pt: a TorchScript file or TorchSharp module); {model.GetType().Name} only gives outputs, not gradients");

    // The image shape explainers lay rows out by: the request's, else the model's own ([channels, height, width] of an
    // ONNX image model or a TorchScript model); a one-number shape such as [10] is a table, so none.
    private static System.Collections.Immutable.ImmutableArray<int> Shape(ExplanationRequest request, IModel model)
    {
        var shape = request.InputShape ?? (IReadOnlyList<int>)ModelFiles.InputShapeOf(model);
        return shape.Count <= 1 ? [] : [.. shape];
    }

    // [h, w] as given; [n]: n x n for images, 1 x n for tables; null: 1 x 1.
    private static (int Height, int Width) PatchSize(IReadOnlyList<int>? size, bool tabular, string what) => size switch
    {
        null => (1, 1),
        [int n] => tabular ? (1, n) : (n, n),
        [int h, int w] => (h, w),
        _ => throw new XaiException($"occlusion {what}: give HxW or one number, not {size.Count} numbers"),
    };

    private static IReadOnlyList<float>? OcclusionBaseline(IModel model, FeatureTable reference, ExplanationInputs inputs, ExplanationRequest request)
    {
        switch (request.Baseline)
        {
            case "zeros": return null;
            case "mean":
                var table = inputs.Background ?? reference;
                model.EnsureAccepts(table, "the baseline reference");
                var means = new float[table.ColumnCount];
                for (int c = 0; c < means.Length; c++) means[c] = (float)table.Column(c).Average(v => (double)v);
                return means;
            default:
                var rows = inputs.BaselineRows
                    ?? throw new XaiException($"baseline '{request.Baseline}': use zeros (the fill value), mean or a CSV file of one baseline row");
                model.EnsureAccepts(rows, "the baseline");
                if (rows.RowCount != 1) throw new XaiException($"the occlusion baseline must be one row, got {rows.RowCount}");
                return rows.Row(0).ToArray();
        }
    }

    /// <summary>Parses an occlusion patch or stride: "HxW", "H,W" or one number; <paramref name="option"/> names the source in errors.</summary>
    public static int[] ParsePatch(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(['x', 'X', ','], StringSplitOptions.TrimEntries);
        if (parts.Length > 2) throw new XaiException($"{option}: '{text}' is not HxW or one number (for example 2x2)");
        var size = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out size[i]) || size[i] < 1)
                throw new XaiException($"{option}: '{parts[i]}' is not a positive whole number (expected HxW such as 2x2)");
        }
        return size;
    }

    private static IntegratedGradientsBaseline IgBaseline(IModel model, FeatureTable reference, ExplanationInputs inputs, ExplanationRequest request)
    {
        switch (request.Baseline)
        {
            case "zeros": return IntegratedGradientsBaseline.Zeros;
            case "mean":
                var table = inputs.Background ?? reference;
                model.EnsureAccepts(table, "the baseline reference");
                return IntegratedGradientsBaseline.MeanOf(table);
            default:
                var rows = inputs.BaselineRows
                    ?? throw new XaiException($"baseline '{request.Baseline}': use zeros, mean or a CSV file of baseline rows");
                model.EnsureAccepts(rows, "the baseline");
                return IntegratedGradientsBaseline.FromRows(rows);
        }
    }

    /// <summary>Parses "C,H,W" (positive integers) into an input shape; <paramref name="option"/> names the source in errors.</summary>
    public static int[] ParseShape(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var shape = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]) || shape[i] < 1)
                throw new XaiException($"{option}: '{parts[i]}' is not a positive whole number (expected a shape such as 1,8,8)");
        }
        return shape;
    }

    private T Cached<T>(IModel model, WeightedBackground background, ExplainerOptions options, Func<T> create) where T : class
        => _cache is null ? create() : _cache.GetOrCreate(model, background, options, create);

    private WeightedBackground Background(IModel model, FeatureTable data, ExplanationInputs inputs, ExplanationRequest request)
    {
        if (request.BackgroundSize is < 1) throw new XaiException($"the background size must be at least 1, got {request.BackgroundSize}");
        if (inputs.WeightedBackground is { } weighted)
        {
            model.EnsureAccepts(weighted.Rows, "the background");
            return weighted;
        }
        var background = inputs.Background;
        if (background is null)
        {
            int size = request.BackgroundSize ?? 10;
            return _cache?.Summary(data, size, request.Seed) ?? WeightedBackground.KMeans(data, size, request.Seed);
        }
        model.EnsureAccepts(background, "the background");
        if (request.BackgroundSize is { } k) return _cache?.Summary(background, k, request.Seed) ?? WeightedBackground.KMeans(background, k, request.Seed);
        return _cache?.Whole(background) ?? WeightedBackground.FromTable(background);
    }

    // The request's feature (a name of the data, or "a,b" for two-feature pdp); one line when missing or unknown.
    internal static string RequireFeature(ExplanationRequest request, FeatureTable data)
    {
        if (request.Feature is null)
            throw new XaiException($"{request.Method} needs --feature NAME (one of: {string.Join(", ", data.FeatureNames.Take(12))}{(data.ColumnCount > 12 ? ", ..." : "")})");
        if (!data.FeatureNames.Contains(request.Feature) && !(request.Method == "pdp" && request.Feature.Contains(',', StringComparison.Ordinal)))
            data.IndexOf(request.Feature);
        return request.Feature;
    }

    /// <summary>Parses a metric name.</summary>
    public static PermutationMetric ParseMetric(string text) => text switch
    {
        "mse" => PermutationMetric.MeanSquaredError,
        "mae" => PermutationMetric.MeanAbsoluteError,
        "r2" => PermutationMetric.R2,
        "accuracy" => PermutationMetric.Accuracy,
        "log-loss" => PermutationMetric.LogLoss,
        _ => throw new XaiException($"unknown metric '{text}'; use one of: {string.Join(", ", ExplanationRequest.MetricNames)}"),
    };

    /// <summary>Parses "v1,v2,..." into finite numbers; <paramref name="option"/> names the source in errors.</summary>
    public static double[] ParseNumbers(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
                throw new XaiException($"{option}: '{parts[i]}' is not a finite number");
        }
        return values;
    }

    /// <summary>
    /// Lines a table's columns up with the model's inputs. By name (the default whenever the model knows its feature
    /// names): the columns are picked and reordered to the model's order, and any name the model does not know, or any
    /// model feature the table lacks, is refused in one line listing them. By position (when the model knows no names,
    /// or <paramref name="matching"/> asks for it): the column counts must match, and the columns take the model's
    /// names when it has them. <paramref name="source"/> names the table in errors.
    /// </summary>
    public static FeatureTable MatchModelColumns(FeatureTable table, IModel model, string source, ColumnMatching matching = ColumnMatching.Auto)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(model);
        var names = model.FeatureNames;
        if (matching == ColumnMatching.Name && names is null)
            throw new XaiException($"{source}: the model records no feature names, so columns cannot be matched by name; use --match-columns position");
        if (names is not null && matching != ColumnMatching.Position)
        {
            if (names.SequenceEqual(table.FeatureNames)) return table;
            var known = new HashSet<string>(names, StringComparer.Ordinal);
            var present = new HashSet<string>(table.FeatureNames, StringComparer.Ordinal);
            var missing = names.Where(n => !present.Contains(n)).ToList();
            var unknown = table.FeatureNames.Where(n => !known.Contains(n)).ToList();
            if (missing.Count == 0 && unknown.Count == 0) return table.SelectColumns(names);
            var parts = new List<string>();
            if (missing.Count > 0) parts.Add($"missing {List(missing)}");
            if (unknown.Count > 0) parts.Add($"unknown {List(unknown)}");
            string hint = missing.Count == 0 && unknown.Count == 1
                ? $"; if '{unknown[0]}' is a label, leave it out with --label {unknown[0]}"
                : "; rename the columns, or use --match-columns position to feed them in file order";
            string takes = table.ColumnCount == names.Count
                ? $"the model takes {List(names)}"
                : $"{table.ColumnCount} feature columns but the model takes {names.Count}: {List(names)}";
            throw new XaiException($"{source}: the columns do not match the model's feature names: {string.Join("; ", parts)} ({takes}){hint}");
        }
        if (table.ColumnCount != model.FeatureCount)
        {
            string hint = table.ColumnCount == model.FeatureCount + 1 ? "; if one column is a label, leave it out with --label NAME" : "";
            throw new XaiException($"{source} has {table.ColumnCount} feature columns but the model takes {model.FeatureCount}"
                + (names is { } known ? $" ({List(names)})" : "") + hint);
        }
        if (names is not null && !names.SequenceEqual(table.FeatureNames))
            return FeatureTable.FromRowMajor(table.Values, table.RowCount, table.ColumnCount, names);
        return table;
    }

    private static string List(IReadOnlyList<string> names)
        => string.Join(", ", names.Take(12).Select(n => $"'{Printable(n)}'")) + (names.Count > 12 ? $", ... ({names.Count} in all)" : "");

    /// <summary>A name safe to print on a terminal: control characters (escape codes among them) shown as \uXXXX.</summary>
    public static string Printable(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Any(char.IsControl)) return text;
        var builder = new System.Text.StringBuilder(text.Length + 8);
        foreach (char ch in text)
            builder.Append(char.IsControl(ch) ? $"\\u{(int)ch:X4}" : ch.ToString());
        return builder.ToString();
    }
}

/// <summary>How data columns are lined up with a model's inputs.</summary>
public enum ColumnMatching
{
    /// <summary>By name when the model knows its feature names, else by position.</summary>
    Auto,

    /// <summary>By name; refused when the model knows no names.</summary>
    Name,

    /// <summary>By position: the file's column order is the model's input order.</summary>
    Position,
}
