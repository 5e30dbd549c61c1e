using System.Globalization;

namespace Interactive.Xai.Hosting;

/// <summary>The tables an explanation may draw on besides the rows it explains.</summary>
public sealed record ExplanationInputs
{
    /// <summary>The whole data set the explained rows come from: summarised into the default background and routed
    /// through trees for Tree SHAP covers (default: the explained rows).</summary>
    public FeatureTable? Reference { get; init; }

    /// <summary>Background rows for Shapley methods, used whole unless a background size is requested.</summary>
    public FeatureTable? Background { get; init; }

    /// <summary>A ready weighted background (for example a cached k-means summary); wins over <see cref="Background"/>.</summary>
    public WeightedBackground? WeightedBackground { get; init; }

    /// <summary>The labels permutation importance scores against, one per explained row.</summary>
    public IReadOnlyList<float>? Labels { get; init; }
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
        inputs ??= new ExplanationInputs();
        model.EnsureAccepts(data, "the data");
        var reference = inputs.Reference ?? data;
        var labels = inputs.Labels;
        bool hasBackground = inputs.Background is not null || inputs.WeightedBackground is not null;
        var target = OutputTarget.Parse(request.Target, model.OutputNames);
        target.Resolve(model);
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
                var explainer = new PartialDependenceExplainer(model, new PartialDependenceOptions { Grid = request.Grid, GridPoints = request.GridPoints, Seed = request.Seed });
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
            default:
                throw new XaiException($"unknown method '{request.Method}'; use one of: {string.Join(", ", ExplanationRequest.Methods)}");
        }
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

    private static string RequireFeature(ExplanationRequest request, FeatureTable data)
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
    /// Uses the model's own feature names to pick and order a table's columns when it knows them and the table has
    /// them all; otherwise the column counts must match.
    /// </summary>
    public static FeatureTable MatchModelColumns(FeatureTable table, IModel model, string source)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(model);
        if (model.FeatureNames is { } names && !names.SequenceEqual(table.FeatureNames) && names.All(table.FeatureNames.Contains))
            return table.SelectColumns(names);
        if (table.ColumnCount != model.FeatureCount)
            throw new XaiException($"{source} has {table.ColumnCount} feature columns but the model takes {model.FeatureCount}"
                + (model.FeatureNames is { } known ? $" ({string.Join(", ", known.Take(12))}{(known.Count > 12 ? ", ..." : "")})" : ""));
        return table;
    }
}
