namespace Interactive.Xai.Hosting;

/// <summary>
/// What the command line and the notebook share for the model views: SHAP force plots (the attributions behind
/// them), global surrogate trees, feature-output correlation and tree gain importance, by name and option text.
/// </summary>
public static class ModelViewRunner
{
    /// <summary>The force-plot view (its result is SHAP attributions).</summary>
    public const string Force = "force";

    /// <summary>The global surrogate tree.</summary>
    public const string Surrogate = "surrogate";

    /// <summary>Correlation of every feature with the model output.</summary>
    public const string OutputCorrelation = Interactive.Xai.OutputCorrelation.MethodName;

    /// <summary>The view names `xai explain --method` accepts besides the explainers.</summary>
    public static IReadOnlyList<string> Methods { get; } = [Force, Surrogate, OutputCorrelation];

    /// <summary>The stacked force plot's row orders, as options name them.</summary>
    public static IReadOnlyList<string> Orders { get; } = ["similarity", "prediction", "original"];

    /// <summary>The SHAP method a force plot uses by default: tree-shap for tree models, exact-shap up to 12 features, else kernel-shap.</summary>
    public static string DefaultShapMethod(IModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model is TreeEnsemble or ITreeEnsembleSource ? "tree-shap" : model.FeatureCount <= 12 ? "exact-shap" : "kernel-shap";
    }

    /// <summary>The rows' SHAP values for a force plot, by <paramref name="shapMethod"/> (null: <see cref="DefaultShapMethod"/>).</summary>
    public static AttributionExplanation ForceAttributions(ExplanationRunner runner, IModel model, FeatureTable rows, string? shapMethod, ExplanationRequest request,
        ExplanationInputs? inputs = null, IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(request);
        string method = shapMethod ?? DefaultShapMethod(model);
        if (method is not ("exact-shap" or "kernel-shap" or "tree-shap"))
            throw new XaiException($"--shap {method}: a force plot shows SHAP values; use exact-shap, kernel-shap or tree-shap");
        if (request.Target is "all" or "predicted")
            throw new XaiException($"--target {request.Target}: a force plot shows one output; give its index or name");
        return (AttributionExplanation)runner.Run(model, rows, request with { Method = method }, inputs, progress, cancellationToken);
    }

    /// <summary>Parses a stacked force plot's order (similarity, prediction or original).</summary>
    public static ForceOrder ParseOrder(string? text) => text switch
    {
        null or "similarity" => ForceOrder.Similarity,
        "prediction" => ForceOrder.Prediction,
        "original" => ForceOrder.Original,
        _ => throw new XaiException($"--order {text}: use similarity, prediction or original"),
    };

    /// <summary>
    /// A global surrogate of depth <paramref name="depth"/>: a regression tree on output <paramref name="target"/>
    /// (index or name, default 0), or with target "predicted" a classification tree on the model's predicted class.
    /// </summary>
    public static SurrogateTree FitSurrogate(IModel model, FeatureTable data, int depth, string? target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (depth < 1 || depth > GlobalSurrogate.MaxDepth) throw new XaiException($"--depth {depth}: a surrogate tree's depth is 1 to {GlobalSurrogate.MaxDepth}");
        var options = new GlobalSurrogateOptions { MaxDepth = depth };
        if (target is "predicted") return GlobalSurrogate.Fit(model, data, options, task: SurrogateTask.Classification, cancellationToken: cancellationToken);
        return GlobalSurrogate.Fit(model, data, options, OutputIndex(model, target), SurrogateTask.Regression, cancellationToken);
    }

    /// <summary>The correlation of every feature of <paramref name="data"/> with output <paramref name="target"/> (index or name, default 0).</summary>
    public static OutputCorrelation CorrelateWithOutput(IModel model, FeatureTable data, string? target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        return OutputCorrelationAnalysis.Compute(model, data, OutputIndex(model, target), cancellationToken);
    }

    /// <summary>A tree model's trees, or null for other models.</summary>
    public static TreeEnsemble? Trees(object model) => model as TreeEnsemble ?? (model is ITreeEnsembleSource { } source ? TryTrees(source) : null);

    /// <summary>Split counts and gains of a tree model's features; covers counted on <paramref name="data"/> when the trees have none.</summary>
    public static TreeFeatureImportance TreeGains(TreeEnsemble ensemble, FeatureTable? data) => TreeGainImportance.Compute(ensemble, data);

    private static TreeEnsemble? TryTrees(ITreeEnsembleSource source)
    {
        try
        {
            return source.TreeEnsemble;
        }
        catch (XaiException)
        {
            return null; // an ML.NET model that is not a supported tree ensemble
        }
    }

    private static int OutputIndex(IModel model, string? target)
    {
        var parsed = OutputTarget.Parse(target ?? "0", model.OutputNames);
        if (parsed.IsPredicted || parsed.Index is null)
            throw new XaiException($"--target {target}: name one output (an index or an output name)");
        return parsed.Resolve(model)[0];
    }
}
