namespace Interactive.Xai.Notebook;

/// <summary>The magic commands of the model views: SHAP force plots, global surrogate, feature-output correlation, tree gain importance.</summary>
public static class ModelViewCommands
{
    private static readonly MagicCommandOption Model = new("model", "A notebook variable holding a model (IModel, ONNX/ML.NET/TorchSharp model), or a .onnx/.zip file path.", Required: true);
    private static readonly MagicCommandOption Data = new("data", "A variable holding a FeatureTable, DataFrame, Dataset, float[,] or float[][], or a .csv file path.", Required: true);
    private static readonly MagicCommandOption Label = new("label", "The label column of a DataFrame or CSV (left out of the features).");

    /// <summary>#!xai-force, #!xai-surrogate, #!xai-output-correlation and #!xai-tree-importance, in the order #!xai-help lists them.</summary>
    public static IReadOnlyList<MagicCommand> All { get; } =
    [
        new("xai-force", "SHAP force plots: each row's features as arrows pushing the output from the base value to its prediction (vermillion up, blue down), and many rows' force plots stacked side by side.",
            [Model, Data, new("rows", "Rows to explain: '0-49', '3' or '0,5,7' (default: all, at most 2000 for --order similarity)."),
             new("row", "The row (of those explained) drawn as a single force plot (default: the first)."),
             new("order", "How the stacked plot orders rows: similarity (default; clustered attributions), prediction or original."),
             new("method", "exact-shap, kernel-shap or tree-shap (default: tree-shap for tree models, exact-shap up to 12 features, else kernel-shap)."),
             new("target", "The output: an index or an output name (default 0)."), Label,
             new("background", "Background rows (variable or CSV); default: a k-means summary of --data."), new("samples", "Kernel SHAP coalitions per row."), new("seed", "Random seed (default 42).")],
            ["#!xai-force --model model --data diabetes --rows 0-99", "#!xai-force --model model --data diabetes --rows 0-99 --row 5 --order prediction"]),
        new("xai-surrogate", "A global surrogate: a shallow decision tree (CART) fitted to the model's predictions on the data, drawn with its fidelity (R² to the model's output, or accuracy on its predicted class).",
            [Model, Data, new("depth", "The tree's depth, 1 to 6 (default 3)."),
             new("target", "The output to imitate (index or name, default 0), or 'predicted' for a classification tree on the model's predicted class."), Label],
            ["#!xai-surrogate --model model --data diabetes --depth 3", "#!xai-surrogate --model classifier --data rows.csv --target predicted --depth 2"]),
        new("xai-output-correlation", "The Pearson and Spearman correlation of every feature with the model's output over the data, as sorted bars.",
            [Model, Data, new("target", "The output: an index or an output name (default 0)."), Label],
            ["#!xai-output-correlation --model model --data diabetes"]),
        new("xai-tree-importance", "A tree-ensemble model's gain-based feature importance (cover-weighted squared-error reduction of its splits) next to its split counts.",
            [Model, new("data", "Rows whose paths give the node covers, needed when the trees do not store them (ML.NET's do not)."), Label],
            ["#!xai-tree-importance --model model --data diabetes"]),
    ];
}
