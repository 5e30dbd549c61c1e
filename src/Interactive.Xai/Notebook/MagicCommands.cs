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
             new("layer", "grad-cam: the convolutional layer (for example conv2)."), new("steps", "ig: integration steps (default 50)."),
             new("cluster", "Run as a job on xai workers (exact-shap, kernel-shap, ig): their gateways host:port[,host:port...], or redis://CONNECTION; --model must be a model file every worker can read.")],
            ["#!xai-explain --model model --data diabetes --rows 0-49", "#!xai-explain --model model.onnx --data test.csv --method kernel-shap --target all",
             "#!xai-explain --model model.onnx --data test.csv --method kernel-shap --cluster localhost:30000,localhost:30001",
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
        new("xai-lime", "LIME local surrogate models: weighted linear fits around each row (tabular), or superpixel weights for images (with --input-shape or an image TorchModel).",
            [Model, Data, Rows, Target, Label, new("samples", "Perturbed samples per row (default 5000 for tables, 1000 for images)."),
             new("features", "The most features (tables) or superpixels (images) a surrogate uses (default 10 for tables, all superpixels for images)."), Seed, InputShape,
             new("segmentation", "Images: grid (default) or slic superpixels."), new("cell-size", "Images, grid segmentation: the cell size in pixels (default: about 8 cells a side).")],
            ["#!xai-lime --model model --data diabetes --rows 0-4", "#!xai-lime --model digits_cnn.onnx --data digits --rows 0-1 --input-shape 1,8,8 --target predicted"]),
        new("xai-counterfactual", "Diverse nearby inputs that bring a row to a desired class (--desired) or output range (--desired-range), with validity, proximity, sparsity and diversity.",
            [Model, Data, new("row", "The row of --data to explain (default 0)."), new("desired", "Classifiers: the class to reach."), new("desired-range", "Regressors: lo,hi, the range the output must reach."),
             new("target", "The output --desired-range reads (default 0)."), new("count", "Counterfactuals to find (default 4)."),
             new("immutable", "Features that may not change: a,b,..."), new("integer", "Features that take whole numbers only: a,b,..."),
             new("increase-only", "Features that may only go up: a,b,..."), new("decrease-only", "Features that may only go down: a,b,..."),
             Label, new("generations", "Generations of the genetic search (default 40)."), Seed],
            ["#!xai-counterfactual --model model --data diabetes --row 3 --desired-range 0,150 --immutable age,sex", "#!xai-counterfactual --model classifier4.onnx --data rows.csv --row 0 --desired 2"]),
        new("xai-correlation", "Pearson or Spearman correlation between features, ordered by clustering on 1 - |r|.",
            [new("data", "A variable holding a FeatureTable, DataFrame, Dataset, float[,] or float[][], or a .csv file path.", Required: true), Label,
             new("method", "pearson (default) or spearman.")],
            ["#!xai-correlation --data diabetes", "#!xai-correlation --data notebooks/data/diabetes.csv --label target --method spearman"]),
        new("xai-rfe", "Recursive feature elimination (RFECV with --folds): retrains a model on smaller and smaller feature sets and keeps the best. The model is an ML.NET trainer named by --trainer, or your own retrain-and-score function (a Func<FeatureSubsetTask, FeatureSubsetScore> variable) given by --retrain.",
            [new("data", "A variable holding a Dataset, FeatureTable, DataFrame, or a .csv file path, with labels.", Required: true), Label,
             new("trainer", "An ML.NET trainer: fasttree (default; boosted trees), sdca (linear) or lbfgs (regression: Poisson, non-negative labels; binary: logistic regression)."),
             new("retrain", "A variable holding a Func<FeatureSubsetTask, FeatureSubsetScore> (for example MLNetFeatureElimination.RetrainAndScore(...)); instead of --trainer."),
             new("task", "regression (default) or binary (labels 0/1), for --trainer."), new("select", "Features to keep without --folds (default half)."),
             new("step", "Features dropped per round (default 1)."), new("folds", "Cross-validation folds (RFECV): the best feature count is chosen by held-out score."), Seed],
            ["#!xai-rfe --data diabetes --trainer fasttree --folds 3", "#!xai-rfe --data diabetes.csv --label target --retrain myRetrain --select 4"]),
        new("xai-attention", "Per-head attention weights of a TorchSharp MultiheadAttention layer for input rows.",
            [Model, Data, new("layer", "The attention layer's path in the module tree (for example attention).", Required: true),
             new("heads", "The layer's number of heads (TorchSharp does not expose it).", Required: true), new("rows", "Input rows (default: the first 4)."),
             new("tokens", "Labels of the positions: a,b,c,... (default: position numbers)."), InputShape],
            ["#!xai-attention --model net --data sequences --layer attention --heads 2 --rows 0-1"]),
        new("xai-visualize", "Feature visualisation: the input that makes units of a layer respond most (activation maximisation) of a TorchSharp model.",
            [Model, new("layer", "The layer (for example conv2).", Required: true), new("units", "Channels or neurons: '0-3', '5' or '0,2' (default 0-3)."),
             new("steps", "Gradient ascent steps (default 200)."), Seed, InputShape],
            ["#!xai-visualize --model cnn --layer conv2 --units 0-7 --steps 100"]),
        new("xai-outputs", "A classifier's outputs: the confusion matrix (with labels) and class probabilities per row.",
            [Model, Data, Label, new("rows", "Rows for the probability charts (default: all)."), new("classes", "Class names a,b,c,... (default: the model's output names)."),
             new("scores", "auto (default: softmax unless rows already sum to 1), logits or probabilities.")],
            ["#!xai-outputs --model cnn --data digits", "#!xai-outputs --model classifier4.onnx --data rows.csv --label class"]),
        new("xai-training", "A training monitor's dashboard (loss and metrics per split, learning rate, gradient norms), live while the model trains.",
            [new("monitor", "A variable holding a TrainingMonitor or TrainingSnapshot.", Required: true),
             new("chart", "dashboard (default), loss, learning-rate, gradients, or the name of a logged metric.")],
            ["#!xai-training --monitor monitor", "#!xai-training --monitor monitor --chart accuracy"]),
        .. ModelViewCommands.All,
        new("xai-layer-gradient", "The gradient of a TorchSharp network's output with respect to an inner convolutional layer's feature maps, drawn as images: the sum over channels of |gradient| per row (upsampled to the input), and one row per channel.",
            [Model, Data, new("layer", "The layer whose output is differentiated (for example conv2); it must give C x H x W feature maps.", Required: true),
             new("target", "The output to differentiate: an index, or 'predicted' (default: each row's largest output)."),
             new("rows", "Rows to draw (default: the first 10)."), InputShape],
            ["#!xai-layer-gradient --model cnn --data digits --layer conv2 --rows 0-9"]),
        new("xai-activation-functions", "The activation functions a TorchSharp network uses (ReLU, GELU, Tanh, Sigmoid, ...), each drawn over the range its inputs reach on the data, with the histogram of those pre-activations.",
            [Model, Data, new("rows", "Rows run through the network (default: the first 256)."), new("bins", "Histogram bins (default 40)."), InputShape],
            ["#!xai-activation-functions --model cnn --data digits"]),
        new("xai-distributions", "Per-tensor weight and gradient distributions over training (quantile bands by epoch and per-epoch histograms), as logged with ParameterDistributions.Log.",
            [new("monitor", "A variable holding a TrainingMonitor, TrainingSnapshot or TrainingDistributions.", Required: true),
             new("kind", "weights, gradients or both (default both)."), new("tensor", "The tensor whose histograms to draw (default: the first), for example conv1.weight.")],
            ["#!xai-distributions --monitor monitor", "#!xai-distributions --monitor monitor --kind gradients --tensor fc.weight"]),
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
