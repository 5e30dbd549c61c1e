namespace Interactive.Xai.Hosting;

/// <summary>
/// One explanation asked for by name, as the command line and the notebook's magic commands express it.
/// Method names: exact-shap, kernel-shap, tree-shap, permutation-importance, pdp, ice, ale, saliency, smoothgrad, ig, occlusion, lime.
/// </summary>
public sealed record ExplanationRequest
{
    /// <summary>The method's name.</summary>
    public required string Method { get; init; }

    /// <summary>"all", an output index, an output name, or "predicted" (each row's top output; gradient methods only).</summary>
    public string Target { get; init; } = "0";

    /// <summary>The feature for pdp, ice and ale ("a,b" for a two-feature pdp).</summary>
    public string? Feature { get; init; }

    /// <summary>Explicit grid values for pdp/ice.</summary>
    public IReadOnlyList<double>? Grid { get; init; }

    /// <summary>Grid points for pdp/ice when no grid is given.</summary>
    public int GridPoints { get; init; } = 20;

    /// <summary>pdp/ice: the most rows whose ICE curves are kept (evenly spaced); null keeps every row's curve.</summary>
    public int? MaxIceCurves { get; init; } = 100;

    /// <summary>Explicit ALE edges.</summary>
    public IReadOnlyList<double>? Edges { get; init; }

    /// <summary>ALE quantile bins when no edges are given.</summary>
    public int Bins { get; init; } = 20;

    /// <summary>Kernel SHAP coalitions per row (null: 2M + 2048); SmoothGrad noisy samples per row (null: 50); LIME samples per row (null: 5000).</summary>
    public int? Samples { get; init; }

    /// <summary>Permutation importance shuffles per feature.</summary>
    public int Repeats { get; init; } = 5;

    /// <summary>Permutation importance metric name (mse, mae, r2, accuracy, log-loss); null picks mse for one output, accuracy for several.</summary>
    public string? Metric { get; init; }

    /// <summary>The random seed.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Summarise the background to this many weighted k-means rows (null: 10 when the background is the data, else use it whole).</summary>
    public int? BackgroundSize { get; init; }

    /// <summary>The shape of one input for flattened images (for example [1, 8, 8]); gradient methods pass it to the result.</summary>
    public IReadOnlyList<int>? InputShape { get; init; }

    /// <summary>Integrated Gradients steps along the path.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>Integrated Gradients and occlusion baseline: "zeros" (occlusion: <see cref="FillValue"/>), "mean" (feature
    /// means of the background, else the reference data), or anything else to use <see cref="ExplanationInputs.BaselineRows"/>
    /// (the command line passes the CSV's path; occlusion takes one row).</summary>
    public string Baseline { get; init; } = "zeros";

    /// <summary>Integrated Gradients rule name (riemann-left, riemann-right, riemann-middle, riemann-trapezoid, gauss-legendre); null: gauss-legendre.</summary>
    public string? Rule { get; init; }

    /// <summary>SmoothGrad noise standard deviation as a fraction of each row's value range.</summary>
    public double NoiseLevel { get; init; } = 0.15;

    /// <summary>Saliency: report |gradient| (signed by default).</summary>
    public bool Absolute { get; init; }

    /// <summary>Occlusion patch: [height, width], or [n] for n x n on images and 1 x n on tables; null: 1 x 1.</summary>
    public IReadOnlyList<int>? Patch { get; init; }

    /// <summary>Occlusion stride: [height, width], or [n] as for <see cref="Patch"/>; null: 1 x 1.</summary>
    public IReadOnlyList<int>? Stride { get; init; }

    /// <summary>Occlusion: the value occluded pixels take when <see cref="Baseline"/> is "zeros" (the default fill).</summary>
    public float FillValue { get; init; }

    /// <summary>Occlusion: occlude each channel on its own (by default a patch covers every channel).</summary>
    public bool PerChannel { get; init; }

    /// <summary>LIME: the most features a surrogate uses (K; null: 10).</summary>
    public int? LimeFeatures { get; init; }

    /// <summary>LIME: whether to discretise features into quartile bins (the lime package's default).</summary>
    public bool LimeDiscretize { get; init; } = true;

    /// <summary>All method names.</summary>
    public static IReadOnlyList<string> Methods { get; } = ["exact-shap", "kernel-shap", "tree-shap", "permutation-importance", "pdp", "ice", "ale", "saliency", "smoothgrad", "ig", "occlusion", "lime"];

    /// <summary>All Integrated Gradients rule names.</summary>
    public static IReadOnlyList<string> RuleNames { get; } = Enum.GetValues<IntegrationRule>().Select(IntegratedGradientsExplainer.RuleName).ToArray();

    /// <summary>All metric names.</summary>
    public static IReadOnlyList<string> MetricNames { get; } = ["mse", "mae", "r2", "accuracy", "log-loss"];

    /// <summary>Grad-CAM: the convolutional layer's name (a named module of the TorchSharp or TorchScript model).</summary>
    public string? Layer { get; init; }

    /// <summary>Methods that need a TorchSharp model (.pt): grad-cam.</summary>
    public static IReadOnlyList<string> TorchMethods { get; } = [TorchExplanations.GradCam];
}
