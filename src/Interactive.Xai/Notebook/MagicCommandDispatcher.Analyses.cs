using System.Globalization;
using Interactive.Xai.Hosting;
using Interactive.Xai.MLNet;
using Microsoft.ML;

namespace Interactive.Xai.Notebook;

public sealed partial class MagicCommandDispatcher
{
    /// <summary>The ML.NET trainers #!xai-rfe --trainer names.</summary>
    public static IReadOnlyList<string> EliminationTrainers { get; } = ["fasttree", "sdca", "lbfgs"];

    private void Lime(CommandContext context, Action<object> show)
    {
        var model = ResolveModel(context);
        var (data, _) = ResolveData(context, model, "data");
        var rows = SelectRows(data, context.Get("rows"));
        int seed = context.GetInt("seed") ?? 42;
        int[]? shape = InputShape(context) ?? ModelImageShape(model);
        if (shape is not null)
        {
            if (shape.Length != 3) throw new XaiException($"--input-shape {string.Join(",", shape)}: image LIME needs channels,height,width");
            var segmentation = context.Get("segmentation") ?? "grid";
            if (segmentation is not ("grid" or "slic")) throw new XaiException($"--segmentation {segmentation}: use grid or slic");
            var imageOptions = new ImageLimeOptions
            {
                Shape = shape,
                Segmentation = segmentation == "slic" ? Segmentation.Slic : Segmentation.Grid,
                CellSize = context.GetInt("cell-size"),
                Samples = context.GetInt("samples") ?? 1000,
                FeatureCount = context.GetInt("features"),
                Seed = seed,
            };
            string target = context.Get("target") ?? (model.OutputCount() > 1 ? "predicted" : "0");
            var explainer = new ImageLimeExplainer(model, imageOptions);
            show(explainer.Explain(rows, OutputTarget.Parse(target, model.OutputNames), context.Progress, context.CancellationToken));
            return;
        }
        if (context.Get("segmentation") is not null || context.Get("cell-size") is not null)
            throw new XaiException("--segmentation and --cell-size are for images; give --input-shape C,H,W for an image model");
        var options = new LimeOptions { Samples = context.GetInt("samples") ?? 5000, FeatureCount = context.GetInt("features") ?? 10, Seed = seed };
        // LIME's training statistics (means, scales, quartile edges) depend only on the model and --data: built once per session
        var lime = _cache.GetOrCreate(model, data, options.ToString(), () => new LimeExplainer(model, data, options));
        var tabularTarget = OutputTarget.Parse(context.Get("target") ?? "0", model.OutputNames);
        show(lime.Explain(rows, tabularTarget, context.Progress, context.CancellationToken));
    }

    private void Counterfactual(CommandContext context, Action<object> show)
    {
        var model = ResolveModel(context);
        var (data, _) = ResolveData(context, model, "data");
        string? desired = context.Get("desired"), range = context.Get("desired-range");
        if (desired is null == range is null)
            throw new XaiException("#!xai-counterfactual needs exactly one goal: --desired CLASS (classifiers) or --desired-range lo,hi (regressors)");
        CounterfactualGoal goal;
        if (desired is not null) goal = CounterfactualGoal.Class(context.GetInt("desired")!.Value);
        else
        {
            var bounds = ExplanationRunner.ParseNumbers(range!, "--desired-range");
            if (bounds.Length != 2) throw new XaiException($"--desired-range takes two numbers lo,hi, got {bounds.Length}");
            if (bounds[0] > bounds[1]) throw new XaiException($"--desired-range: lo {bounds[0].ToString(CultureInfo.InvariantCulture)} is above hi {bounds[1].ToString(CultureInfo.InvariantCulture)}");
            goal = CounterfactualGoal.Range(bounds[0], bounds[1], context.GetInt("target") ?? 0);
        }
        int row = context.GetInt("row") ?? 0;
        if (row < 0 || row >= data.RowCount) throw new XaiException($"--row {row} is outside the {data.RowCount} rows of --data");
        int count = context.GetInt("count") ?? 4;
        if (count < 1) throw new XaiException($"--count must be at least 1, got {count}");

        var constraints = new SortedDictionary<string, FeatureConstraint>(StringComparer.Ordinal);
        FeatureConstraint For(string name) => constraints.TryGetValue(name, out var c) ? c : new FeatureConstraint { Feature = name };
        void Apply(string option, Func<FeatureConstraint, FeatureConstraint> change)
        {
            if (context.Get(option) is not { } list) return;
            foreach (var name in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!data.FeatureNames.Contains(name))
                    throw new XaiException($"--{option}: no feature named '{name}'; the features are: {string.Join(", ", data.FeatureNames)}");
                constraints[name] = change(For(name));
            }
        }
        Apply("immutable", c => c with { Immutable = true });
        Apply("integer", c => c with { Integer = true });
        Apply("increase-only", c => c with { Direction = MonotoneDirection.IncreaseOnly });
        Apply("decrease-only", c => c with
        {
            Direction = c.Direction == MonotoneDirection.IncreaseOnly
                ? throw new XaiException($"feature '{c.Feature}' is both --increase-only and --decrease-only; use --immutable")
                : MonotoneDirection.DecreaseOnly,
        });
        var options = new CounterfactualOptions
        {
            Count = count,
            Constraints = [.. constraints.Values],
            Generations = context.GetInt("generations") ?? 40,
            Seed = context.GetInt("seed") ?? 42,
        };
        // the search's feature scales and ranges come from --data: built once per (model, data, options)
        string key = options with { Constraints = null } + "|" + string.Join(";", constraints.Values);
        var explainer = _cache.GetOrCreate(model, data, key, () => new CounterfactualExplainer(model, data, options));
        // the explanation holds the one selected row (its row 0), as the command line's counterfactual does
        // (SourceRows maps it back to the data's row number for titles and JSON)
        show(explainer.Explain(data.SelectRows([row]), goal, context.Progress, context.CancellationToken) with { SourceRows = [row] });
    }

    private void Correlation(CommandContext context, Action<object> show)
    {
        var (data, _) = ResolveData(context, null, "data");
        var method = context.Get("method") ?? "pearson";
        var correlation = method switch
        {
            "pearson" => CorrelationMethod.Pearson,
            "spearman" => CorrelationMethod.Spearman,
            _ => throw new XaiException($"--method {method}: use pearson or spearman"),
        };
        show(CorrelationAnalysis.Compute(data, correlation, context.CancellationToken));
    }

    private void FeatureElimination(CommandContext context, Action<object> show)
    {
        var (data, labels) = ResolveData(context, null, "data");
        if (labels is null) throw new XaiException("#!xai-rfe needs labels: --label NAME for a DataFrame or CSV, or a Dataset variable");
        int seed = context.GetInt("seed") ?? 42;
        Func<FeatureSubsetTask, FeatureSubsetScore> retrain;
        if (context.Get("retrain") is { } name)
        {
            if (context.Get("trainer") is not null || context.Get("task") is not null)
                throw new XaiException("--retrain is your own retrain-and-score function; leave out --trainer and --task");
            if (!context.Variables.TryGetValue(name, out var value)) throw new XaiException($"--retrain {name}: no notebook variable has that name");
            retrain = value as Func<FeatureSubsetTask, FeatureSubsetScore>
                ?? throw new XaiException($"--retrain {name}: the variable is {(value is null ? "null" : "a " + value.GetType().Name)}, not a Func<FeatureSubsetTask, FeatureSubsetScore> (for example MLNetFeatureElimination.RetrainAndScore(new MLContext(), ml => ml.Regression.Trainers.Sdca()))");
        }
        else
        {
            string trainer = context.Get("trainer") ?? "fasttree";
            var task = (context.Get("task") ?? "regression") switch
            {
                "regression" => MLNetTask.Regression,
                "binary" => MLNetTask.BinaryClassification,
                var other => throw new XaiException($"--task {other}: use regression or binary"),
            };
            Func<MLContext, IEstimator<ITransformer>> estimator = (trainer, task) switch
            {
                ("sdca", MLNetTask.Regression) => ml => ml.Regression.Trainers.Sdca(),
                ("sdca", _) => ml => ml.BinaryClassification.Trainers.SdcaLogisticRegression(),
                ("fasttree", MLNetTask.Regression) => ml => ml.Regression.Trainers.FastTree(),
                ("fasttree", _) => ml => ml.BinaryClassification.Trainers.FastTree(),
                ("lbfgs", MLNetTask.Regression) => ml => ml.Regression.Trainers.LbfgsPoissonRegression(),
                ("lbfgs", _) => ml => ml.BinaryClassification.Trainers.LbfgsLogisticRegression(),
                _ => throw new XaiException($"--trainer {trainer}: use {string.Join(", ", EliminationTrainers)}, or --retrain with your own function"),
            };
            if (task == MLNetTask.BinaryClassification && labels.Any(v => v is not (0f or 1f)))
                throw new XaiException("--task binary needs labels 0 or 1");
            retrain = MLNetFeatureElimination.RetrainAndScore(new MLContext(seed), estimator, task, seed);
        }
        var options = new RecursiveFeatureEliminationOptions
        {
            Step = context.GetInt("step") ?? 1,
            FeaturesToSelect = context.GetInt("select"),
            Folds = context.GetInt("folds"),
            Seed = seed,
        };
        show(new RecursiveFeatureElimination(retrain, options).Explain(data, labels, context.Progress, context.CancellationToken));
    }

    private void Outputs(CommandContext context, Action<object> show)
    {
        var model = ResolveModel(context);
        var (data, labels) = ResolveData(context, model, "data");
        int k = model.OutputCount();
        if (k < 2) throw new XaiException($"#!xai-outputs shows a classifier's classes; the model has {k} output (a regression); use #!xai-explain or #!xai-pdp");
        IReadOnlyList<string>? classes = context.Get("classes") is { } c ? c.Split(',', StringSplitOptions.TrimEntries) : null;
        if (classes is not null && classes.Count != k) throw new XaiException($"--classes names {classes.Count} classes for a model with {k} outputs");
        var scores = (context.Get("scores") ?? "auto") switch
        {
            "auto" => ClassScores.Auto,
            "logits" => ClassScores.Logits,
            "probabilities" => ClassScores.Probabilities,
            var other => throw new XaiException($"--scores {other}: use auto, logits or probabilities"),
        };
        if (labels is not null) show(ConfusionMatrix.FromModel(model, data, labels, classes));
        var selected = context.Get("rows") is { } r ? ParseRows(r, data.RowCount) : null;
        var rows = selected is null ? data : data.SelectRows(selected);
        var picked = labels is null ? null : selected is null ? labels : selected.Select(i => labels[i]).ToArray();
        show(ClassProbabilities.FromOutputs(model.Predict(rows), classes ?? model.OutputNames, scores, picked));
    }

    private static void Training(CommandContext context, Action<object> show)
    {
        string reference = context.Get("monitor")!;
        if (!context.Variables.TryGetValue(reference, out var value)) throw new XaiException($"--monitor {reference}: no notebook variable has that name");
        string chart = context.Get("chart") ?? "dashboard";
        switch (value)
        {
            case TrainingMonitor monitor:
                var snapshot = monitor.Snapshot();
                TrainingView.Check(snapshot, chart);
                if (chart == "dashboard" && !monitor.IsCompleted && context.Live is { } host)
                {
                    // still training (on another thread): one output redrawn as values come, until the monitor completes
                    var live = LiveTraining.ShowLive(monitor, host);
                    EventHandler<TrainingSnapshot>? stop = null;
                    stop = (_, s) =>
                    {
                        if (!s.IsCompleted) return;
                        monitor.Updated -= stop;
                        live.Dispose();
                    };
                    monitor.Updated += stop;
                    return;
                }
                show(new TrainingView(snapshot, chart));
                return;
            case TrainingSnapshot s:
                TrainingView.Check(s, chart);
                show(new TrainingView(s, chart));
                return;
            case null:
                throw new XaiException($"--monitor {reference}: the variable is null");
            default:
                throw new XaiException($"--monitor {reference}: the variable is a {value.GetType().Name}, not a TrainingMonitor or TrainingSnapshot");
        }
    }
}
