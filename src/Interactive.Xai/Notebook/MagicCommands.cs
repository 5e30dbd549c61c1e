namespace Interactive.Xai.Notebook;

/// <summary>One option of a magic command.</summary>
/// <param name="Name">The option without dashes, for example "model".</param>
/// <param name="Description">What it means.</param>
/// <param name="Required">Whether the command needs it.</param>
public sealed record MagicCommandOption(string Name, string Description, bool Required = false);

/// <summary>A magic command: its name (without #!), what it does, its options and examples.</summary>
/// <param name="Name">For example "xai-explain".</param>
/// <param name="Description">One sentence.</param>
/// <param name="Options">The options it takes.</param>
/// <param name="Examples">Complete example lines.</param>
public sealed record MagicCommand(string Name, string Description, IReadOnlyList<MagicCommandOption> Options, IReadOnlyList<string> Examples);

/// <summary>The magic commands the extension registers.</summary>
public static class MagicCommands
{
    private static readonly MagicCommandOption Model = new("model", "A notebook variable holding a model (IModel, ONNX/ML.NET/TorchSharp model), or a .onnx/.zip file path.", Required: true);
    private static readonly MagicCommandOption Data = new("data", "A variable holding a FeatureTable, DataFrame, Dataset, float[,] or float[][], or a .csv file path.", Required: true);
    private static readonly MagicCommandOption Label = new("label", "The label column of a DataFrame or CSV (left out of the features).");
    private static readonly MagicCommandOption Target = new("target", "The output: an index, an output name, or 'all' (default 0).");
    private static readonly MagicCommandOption Rows = new("rows", "Rows to explain: '0-9', '3' or '0,5,7' (default: all).");
    private static readonly MagicCommandOption Feature = new("feature", "The feature (pdp also takes two: a,b).", Required: true);
    private static readonly MagicCommandOption Seed = new("seed", "Random seed (default 42).");
    private static readonly MagicCommandOption InputShape = new("input-shape", "The shape of one input, for example 1,8,8 (a .pt file needs it; a TorchModel knows its own).");

    /// <summary>Every command, in the order #!xai-help lists them.</summary>
    public static IReadOnlyList<MagicCommand> All { get; } =
    [
        new("xai-explain", "Per-row feature attributions (SHAP) drawn as importance bar, beeswarm and waterfall.",
            [Model, Data, new("method", "exact-shap, kernel-shap or tree-shap (default: tree-shap for tree models, exact-shap up to 12 features, else kernel-shap); for neural networks and images saliency, smoothgrad, ig, occlusion or grad-cam."),
             Target, Rows, Label, new("background", "Background rows (variable or CSV); default: a k-means summary of --data."),
             new("samples", "Kernel SHAP coalitions per row."), new("chart", "bar, beeswarm, waterfall, heatmap or dependence (default: bar, beeswarm and the first row's waterfall)."),
             new("row", "The row for a waterfall chart."), Seed, InputShape,
             new("layer", "grad-cam: the convolutional layer (for example conv2)."), new("steps", "ig: integration steps (default 50).")],
            ["#!xai-explain --model model --data diabetes --rows 0-49", "#!xai-explain --model model.onnx --data test.csv --method kernel-shap --target all",
             "#!xai-explain --model cnn --data digits --rows 0-4 --method ig --target predicted --steps 64",
             "#!xai-explain --model cnn --data digits --rows 0-4 --method grad-cam --layer conv2"]),
        new("xai-importance", "Permutation feature importance with its spread over repeats.",
            [Model, Data, Label, new("metric", "mse, mae, r2, accuracy or log-loss."), new("repeats", "Shuffles per feature (default 5)."), Target, Seed],
            ["#!xai-importance --model model --data diabetes --metric r2 --repeats 10", "#!xai-importance --model model.zip --data test.csv --label target"]),
        new("xai-pdp", "Partial dependence with ICE curves (or a 2-D partial dependence for two features).",
            [Model, Data, Feature, Target, Label, new("grid-points", "Grid points (default 20)."), new("grid", "Explicit grid v1,v2,...")],
            ["#!xai-pdp --model model --data diabetes --feature bmi", "#!xai-pdp --model model --data diabetes --feature bmi,s5"]),
        new("xai-ale", "Accumulated local effects of one feature, with bin counts.",
            [Model, Data, Feature, Target, Label, new("bins", "Quantile bins (default 20)."), new("edges", "Explicit edges e0,e1,...")],
            ["#!xai-ale --model model --data diabetes --feature bmi --bins 10"]),
        new("xai-inspect", "What a model is: inputs, outputs, structure (layers, graph nodes or pipeline), weights, activations and gradients where the model exposes them.",
            [Model, new("what", "structure (default), weights, activations or gradients."), new("data", "Input rows for activations and gradients."),
             new("label", "The label column (or a Dataset's labels): gradient flow's loss target (cross-entropy on the label class, else the predicted class; MSE for one output)."),
             new("rows", "Rows fed through the network for activations and gradients (default: the first 16)."), InputShape],
            ["#!xai-inspect --model model.onnx", "#!xai-inspect --model net --what weights", "#!xai-inspect --model cnn --what gradients --data digits"]),
        new("xai-compare", "Several attribution methods side by side for one row.",
            [Model, Data, new("row", "The row to explain (default 0)."), new("methods", "Comma-separated methods (default exact-shap,kernel-shap, plus tree-shap for tree models)."), Target, Label, Seed],
            ["#!xai-compare --model model --data diabetes --row 3 --methods exact-shap,kernel-shap"]),
        new("xai-help", "Lists these commands with examples.", [], ["#!xai-help"]),
    ];

    /// <summary>The command with this name (with or without #!), or null.</summary>
    public static MagicCommand? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith("#!", StringComparison.Ordinal)) name = name[2..];
        return All.FirstOrDefault(c => c.Name == name);
    }
}
