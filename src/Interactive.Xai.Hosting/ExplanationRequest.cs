namespace Interactive.Xai.Hosting;

/// <summary>
/// One explanation asked for by name, as the command line and the notebook's magic commands express it.
/// Method names: exact-shap, kernel-shap, tree-shap, permutation-importance, pdp, ice, ale, lime.
/// </summary>
public sealed record ExplanationRequest
{
    /// <summary>The method's name.</summary>
    public required string Method { get; init; }

    /// <summary>"all", an output index or an output name.</summary>
    public string Target { get; init; } = "0";

    /// <summary>The feature for pdp, ice and ale ("a,b" for a two-feature pdp).</summary>
    public string? Feature { get; init; }

    /// <summary>Explicit grid values for pdp/ice.</summary>
    public IReadOnlyList<double>? Grid { get; init; }

    /// <summary>Grid points for pdp/ice when no grid is given.</summary>
    public int GridPoints { get; init; } = 20;

    /// <summary>Explicit ALE edges.</summary>
    public IReadOnlyList<double>? Edges { get; init; }

    /// <summary>ALE quantile bins when no edges are given.</summary>
    public int Bins { get; init; } = 20;

    /// <summary>Kernel SHAP coalitions per row (null: 2M + 2048); LIME samples per row (null: 5000).</summary>
    public int? Samples { get; init; }

    /// <summary>Permutation importance shuffles per feature.</summary>
    public int Repeats { get; init; } = 5;

    /// <summary>Permutation importance metric name (mse, mae, r2, accuracy, log-loss); null picks mse for one output, accuracy for several.</summary>
    public string? Metric { get; init; }

    /// <summary>The random seed.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Summarise the background to this many weighted k-means rows (null: 10 when the background is the data, else use it whole).</summary>
    public int? BackgroundSize { get; init; }

    /// <summary>LIME: the most features a surrogate uses (K; null: 10).</summary>
    public int? LimeFeatures { get; init; }

    /// <summary>LIME: whether to discretise features into quartile bins (the lime package's default).</summary>
    public bool LimeDiscretize { get; init; } = true;

    /// <summary>All method names.</summary>
    public static IReadOnlyList<string> Methods { get; } = ["exact-shap", "kernel-shap", "tree-shap", "permutation-importance", "pdp", "ice", "ale", "lime"];

    /// <summary>All metric names.</summary>
    public static IReadOnlyList<string> MetricNames { get; } = ["mse", "mae", "r2", "accuracy", "log-loss"];
}
