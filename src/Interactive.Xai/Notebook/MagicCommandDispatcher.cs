using System.Collections.Immutable;
using System.Globalization;
using Interactive.Xai.Hosting;
using Microsoft.Data.Analysis;

namespace Interactive.Xai.Notebook;

/// <summary>Where a magic command finds notebook variables by name.</summary>
public interface IVariableSource
{
    /// <summary>The variable's value, or false when no variable has that name.</summary>
    bool TryGetValue(string name, out object? value);
}

/// <summary>Variables from a dictionary (tests) or a lookup function (the kernel).</summary>
public sealed class VariableSource : IVariableSource
{
    private readonly Func<string, (bool Found, object? Value)> _lookup;

    /// <summary>Looks variables up in a dictionary.</summary>
    public VariableSource(IReadOnlyDictionary<string, object?> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        _lookup = name => variables.TryGetValue(name, out var v) ? (true, v) : (false, null);
    }

    /// <summary>Looks variables up through a function returning (found, value).</summary>
    public VariableSource(Func<string, (bool Found, object? Value)> lookup) => _lookup = lookup ?? throw new ArgumentNullException(nameof(lookup));

    /// <inheritdoc />
    public bool TryGetValue(string name, out object? value)
    {
        (bool found, value) = _lookup(name);
        return found;
    }
}

/// <summary>What a magic command did.</summary>
/// <param name="Succeeded">False when it stopped on an error.</param>
/// <param name="Error">The one-line error, when it failed.</param>
/// <param name="Displayed">The objects it displayed, in order.</param>
public sealed record MagicCommandResult(bool Succeeded, string? Error, IReadOnlyList<object> Displayed);

/// <summary>
/// Parses, resolves and runs the #!xai-* magic commands. Values of --model and --data name notebook variables or
/// files; results go to a display callback (the kernel's Display, or a list in tests). Problems with the user's
/// input become one displayed <see cref="MagicCommandError"/> line, never an exception with a stack trace.
/// Explainer state is reused across cells through the session's <see cref="ExplainerCache"/>.
/// </summary>
public sealed partial class MagicCommandDispatcher
{
    private readonly ExplainerCache _cache;
    private readonly ResultCache _results;
    private readonly ExplanationRunner _runner;
    private readonly Dictionary<string, (string Version, LoadedModel Model)> _files = [];
    private readonly Lock _filesGate = new();

    /// <summary>Creates a dispatcher sharing <paramref name="cache"/> (a new one when null) and <paramref name="results"/> (a new one when null).</summary>
    public MagicCommandDispatcher(ExplainerCache? cache = null, ResultCache? results = null)
    {
        _cache = cache ?? new ExplainerCache();
        _results = results ?? new ResultCache();
        _runner = new ExplanationRunner(_cache);
    }

    /// <summary>The session cache of explainer state (what depends only on a model and its background or data).</summary>
    public ExplainerCache Cache => _cache;

    /// <summary>The session cache of whole results, keyed by command, options and the content of the models and data named.</summary>
    public ResultCache Results => _results;

    /// <summary>Runs a whole magic-command line such as "#!xai-pdp --model m --data d --feature bmi".</summary>
    public MagicCommandResult Execute(string line, IVariableSource variables, Action<object> display,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        try
        {
            var (name, options) = MagicCommandLine.Parse(line);
            return Execute(name, options, variables, display, progress, cancellationToken);
        }
        catch (XaiException e)
        {
            return Fail(e.Message, display, []);
        }
    }

    /// <summary>Runs the command <paramref name="name"/> with already separated options (names without dashes).</summary>
    public MagicCommandResult Execute(string name, IReadOnlyDictionary<string, string> options, IVariableSource variables,
        Action<object> display, IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
        => Execute(name, options, variables, display, null, progress, cancellationToken);

    /// <summary>
    /// As <see cref="Execute(string, IReadOnlyDictionary{string, string}, IVariableSource, Action{object}, IProgress{ExplanationProgress}?, CancellationToken)"/>;
    /// <paramref name="live"/> displays a value and returns the action that redraws it in place (the kernel's
    /// DisplayedValue.Update), for views that change while shown (#!xai-training of a monitor still training).
    /// </summary>
    public MagicCommandResult Execute(string name, IReadOnlyDictionary<string, string> options, IVariableSource variables,
        Action<object> display, Func<object, Action<object>>? live, IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(variables);
        ArgumentNullException.ThrowIfNull(display);
        var shown = new List<object>();
        void Show(object value)
        {
            shown.Add(value);
            display(value);
        }
        try
        {
            var command = MagicCommands.Find(name) ?? throw new XaiException($"unknown magic command #!{name}; #!xai-help lists them");
            foreach (var key in options.Keys)
                if (command.Options.All(o => o.Name != key))
                    throw new XaiException($"#!{command.Name} has no option --{key}; it takes {(command.Options.Count == 0 ? "none" : string.Join(", ", command.Options.Select(o => "--" + o.Name)))}");
            foreach (var required in command.Options.Where(o => o.Required))
                if (!options.ContainsKey(required.Name)) throw new XaiException($"#!{command.Name} needs --{required.Name}: {required.Description}");
            var context = new CommandContext(command.Name, options, variables, progress, cancellationToken) { Live = live };
            // a repeated command (same options, same model and data content) shows its earlier result again
            string? resultKey = ResultKey(command, options, variables);
            if (resultKey is not null && _results.TryGet(resultKey, out var cached))
            {
                foreach (var value in cached) Show(value);
                return new MagicCommandResult(true, null, shown);
            }
            switch (command.Name)
            {
                case "xai-help": Show(new MagicCommandHelp(MagicCommands.All)); break;
                case "xai-explain": Explain(context, Show); break;
                case "xai-importance": Importance(context, Show); break;
                case "xai-pdp": Effects(context, "pdp", Show); break;
                case "xai-ale": Effects(context, "ale", Show); break;
                case "xai-inspect": Inspect(context, Show); break;
                case "xai-compare": Compare(context, Show); break;
                case "xai-lime": Lime(context, Show); break;
                case "xai-counterfactual": Counterfactual(context, Show); break;
                case "xai-correlation": Correlation(context, Show); break;
                case "xai-rfe": FeatureElimination(context, Show); break;
                case "xai-attention": Attention(context, Show); break;
                case "xai-visualize": Visualize(context, Show); break;
                case "xai-outputs": Outputs(context, Show); break;
                case "xai-training": Training(context, Show); break;
                case "xai-force": Force(context, Show); break;
                case "xai-surrogate": Surrogate(context, Show); break;
                case "xai-output-correlation": OutputCorrelation(context, Show); break;
                case "xai-tree-importance": TreeImportance(context, Show); break;
                case "xai-layer-gradient": LayerGradient(context, Show); break;
                case "xai-activation-functions": ActivationFunctionsCommand(context, Show); break;
                case "xai-distributions": Distributions(context, Show); break;
                default: throw new XaiException($"#!{command.Name} is not implemented");
            }
            if (resultKey is not null) _results.Add(resultKey, [.. shown], shown.Sum(ResultCache.EstimateBytes));
            return new MagicCommandResult(true, null, shown);
        }
        catch (XaiException e)
        {
            return Fail(e.Message, display, shown);
        }
        catch (OperationCanceledException)
        {
            return Fail("cancelled", display, shown);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or StackOverflowException or AccessViolationException))
        {
            // A fault below the engine (a model that throws, a native runtime error): still one line, never a stack trace.
            return Fail($"#!{name} failed unexpectedly ({e.GetType().Name}): {e.Message}", display, shown);
        }
    }

    private static MagicCommandResult Fail(string message, Action<object> display, List<object> shown)
    {
        string line = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        var error = new MagicCommandError(line);
        shown.Add(error);
        display(error);
        return new MagicCommandResult(false, line, shown);
    }

    private void Explain(CommandContext context, Action<object> show)
    {
        var model = ResolveModel(context);
        var (data, _) = ResolveData(context, model, "data");
        string method = context.Get("method") ?? DefaultMethod(model);
        if (context.Get("cluster") is { } cluster)
        {
            ExplainOnCluster(context, model, data, method, cluster, show);
            return;
        }
        if (GradientMethods.Contains(method))
        {
            ExplainGradients(context, model, data, method, show);
            return;
        }
        if (method is not ("exact-shap" or "kernel-shap" or "tree-shap"))
            throw new XaiException(method switch
            {
                "lime" => "#!xai-explain --method lime: LIME has its own command, #!xai-lime (same --model, --data and --rows)",
                "counterfactual" => "#!xai-explain --method counterfactual: use #!xai-counterfactual",
                "permutation-importance" => "#!xai-explain --method permutation-importance: use #!xai-importance",
                "pdp" or "ice" => "#!xai-explain --method " + method + ": use #!xai-pdp",
                "ale" => "#!xai-explain --method ale: use #!xai-ale",
                _ => $"#!xai-explain --method {method}: use exact-shap, kernel-shap, tree-shap or {string.Join(", ", GradientMethods)}; #!xai-help lists the other analyses' commands",
            });
        var rows = SelectRows(data, context.Get("rows"));
        FeatureTable? background = context.Get("background") is { } b ? ResolveData(context, model, "background", b).Table : null;
        var request = new ExplanationRequest
        {
            Method = method,
            Target = context.Get("target") ?? "0",
            Samples = context.GetInt("samples"),
            Seed = context.GetInt("seed") ?? 42,
        };
        // The default background summarises all of --data, not only the selected rows; Tree SHAP covers come from it too.
        var inputs = new ExplanationInputs { Reference = data, Background = background };
        ShowAttribution(context, (AttributionExplanation)_runner.Run(model, rows, request, inputs, context.Progress, context.CancellationToken), show);
    }

    // The explanation's default view, or the one chart --chart names (for --row's waterfall).
    private static void ShowAttribution(CommandContext context, AttributionExplanation explanation, Action<object> show)
    {
        string? chart = context.Get("chart");
        if (chart is null)
        {
            show(explanation);
            return;
        }
        if (chart is not ("bar" or "beeswarm" or "waterfall" or "heatmap" or "dependence"))
            throw new XaiException($"--chart {chart}: use bar, beeswarm, waterfall, heatmap or dependence");
        int row = context.GetInt("row") ?? 0;
        if (chart == "waterfall" && (row < 0 || row >= explanation.RowCount))
            throw new XaiException($"--row {row} is outside the {explanation.RowCount} explained rows");
        show(new ExplanationView(explanation, chart, row));
    }

    private void Importance(CommandContext context, Action<object> show)
    {
        var model = ResolveModel(context);
        var (data, labels) = ResolveData(context, model, "data");
        if (labels is null) throw new XaiException("#!xai-importance needs labels: --label NAME for a DataFrame or CSV, or a Dataset variable");
        var request = new ExplanationRequest
        {
            Method = "permutation-importance",
            Target = context.Get("target") ?? "0",
            Metric = context.Get("metric"),
            Repeats = context.GetInt("repeats") ?? 5,
            Seed = context.GetInt("seed") ?? 42,
        };
        show(_runner.Run(model, data, request, new ExplanationInputs { Labels = labels }, context.Progress, context.CancellationToken));
    }

    private void Effects(CommandContext context, string method, Action<object> show)
    {
        var model = ResolveModel(context);
        var (data, _) = ResolveData(context, model, "data");
        var request = new ExplanationRequest
        {
            Method = method,
            Target = context.Get("target") ?? "0",
            Feature = context.Get("feature"),
            Grid = context.Get("grid") is { } g ? ExplanationRunner.ParseNumbers(g, "--grid") : null,
            GridPoints = context.GetInt("grid-points") ?? 20,
            Edges = context.Get("edges") is { } e ? ExplanationRunner.ParseNumbers(e, "--edges") : null,
            Bins = context.GetInt("bins") ?? 20,
        };
        show(_runner.Run(model, data, request, null, context.Progress, context.CancellationToken));
    }

    /// <summary>
    /// Adds an inspection for #!xai-inspect --what <paramref name="what"/> (structure, weights, activations or
    /// gradients) of models the function recognises: it gets the model object and the --data value (a variable's
    /// value or a file path, or null) and returns the object to display, or null when the model is not its kind.
    /// Adapters (the TorchSharp one) register activations and gradients here.
    /// </summary>
    public static void RegisterInspector(string what, Func<object, object?, object?> inspect)
    {
        ArgumentNullException.ThrowIfNull(what);
        ArgumentNullException.ThrowIfNull(inspect);
        lock (Inspectors) Inspectors.Add((what, inspect));
    }

    private static readonly List<(string What, Func<object, object?, object?> Inspect)> Inspectors = [];

    private void Inspect(CommandContext context, Action<object> show)
    {
        string what = context.Get("what") ?? "structure";
        if (what is not ("structure" or "weights" or "activations" or "gradients"))
            throw new XaiException($"--what {what}: use structure, weights, activations or gradients");
        string reference = context.Get("model")!;
        object subject;
        string? path = null;
        if (context.Variables.TryGetValue(reference, out var value))
        {
            switch (value)
            {
                case null: throw new XaiException($"--model {reference}: the variable is null");
                case string p: path = p; subject = LoadFile(p, InputShape(context)); break;
                case LoadedModel loaded: subject = loaded.Model; break;
                default: subject = value; break;
            }
        }
        else if (File.Exists(reference))
        {
            path = reference;
            subject = LoadFile(reference, InputShape(context));
        }
        else throw new XaiException($"--model {reference}: no notebook variable or file has that name");

        if (subject is Interactive.Xai.Torch.TrainedTorchModel trained) subject = trained.Model;
        if (subject is Interactive.Xai.Torch.TorchModel torchModel)
        {
            InspectTorch(context, torchModel, what, show);
            return;
        }

        object? data = null;
        if (context.Get("data") is { } d) data = context.Variables.TryGetValue(d, out var dv) ? dv : File.Exists(d) ? d : throw new XaiException($"--data {d}: no notebook variable or file has that name");
        (string, Func<object, object?, object?>)[] inspectors;
        lock (Inspectors) inspectors = [.. Inspectors];
        foreach (var (name, inspect) in inspectors)
            if (name == what && inspect(subject, data) is { } shown)
            {
                show(shown);
                return;
            }

        string type = subject.GetType().Name;
        switch (what)
        {
            case "structure":
            {
                var structure = path is not null ? ModelFiles.ReadStructure(path) : ModelStructures.TryDescribe(subject);
                if (structure is not null) show(structure);
                else if (subject is IModel model) show(ModelStructures.Summarize(model));
                else throw new XaiException($"--model {reference}: a {type} is not a model this extension knows (an IModel such as OnnxModel or MLNetModel, an ML.NET ITransformer, or a file path)");
                break;
            }
            case "weights":
            {
                var structure = path is not null ? ModelFiles.ReadStructure(path) : ModelStructures.TryDescribe(subject);
                if (structure is null || structure.Parameters.Length == 0)
                    throw new XaiException($"--what weights: the {type} exposes no weight tensors (ONNX graphs and TorchSharp modules do)");
                show(new WeightsView(structure));
                break;
            }
            default:
                throw new XaiException($"--what {what} needs a differentiable TorchSharp model (Interactive.Xai.Torch); the {type} does not expose its layers' {what}");
        }
    }

    private void Compare(CommandContext context, Action<object> show)
    {
        var model = ResolveModel(context);
        var (data, _) = ResolveData(context, model, "data");
        int row = context.GetInt("row") ?? 0;
        if (row < 0 || row >= data.RowCount) throw new XaiException($"--row {row} is outside the {data.RowCount} rows of --data");
        var methods = (context.Get("methods") ?? DefaultComparison(model)).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (methods.Length == 0) throw new XaiException("--methods names no method");
        var one = data.SelectRows([row]);
        var inputs = new ExplanationInputs { Reference = data };
        var results = ImmutableArray.CreateBuilder<AttributionExplanation>();
        foreach (var method in methods)
        {
            if (method is not ("exact-shap" or "kernel-shap" or "tree-shap"))
                throw new XaiException($"--methods: '{method}' is not an attribution method; use exact-shap, kernel-shap or tree-shap");
            var request = new ExplanationRequest { Method = method, Target = context.Get("target") ?? "0", Seed = context.GetInt("seed") ?? 42 };
            results.Add((AttributionExplanation)_runner.Run(model, one, request, inputs, context.Progress, context.CancellationToken));
        }
        show(new AttributionComparison(row, results.ToImmutable()));
    }

    private static string DefaultMethod(IModel model) =>
        model is TreeEnsemble or ITreeEnsembleSource ? "tree-shap" : model.FeatureCount <= 12 ? "exact-shap" : "kernel-shap";

    private static string DefaultComparison(IModel model) =>
        model is TreeEnsemble or ITreeEnsembleSource ? "tree-shap,exact-shap,kernel-shap" : model.FeatureCount <= 16 ? "exact-shap,kernel-shap" : "kernel-shap";

    private IModel ResolveModel(CommandContext context)
    {
        string reference = context.Get("model")!;
        if (context.Variables.TryGetValue(reference, out var value))
        {
            return value switch
            {
                IModel model => model,
                LoadedModel loaded => loaded.Model,
                Interactive.Xai.Torch.TrainedTorchModel trained => trained.Model,
                string path => LoadFile(path, InputShape(context)),
                null => throw new XaiException($"--model {reference}: the variable is null"),
                _ => throw new XaiException($"--model {reference}: the variable is a {value.GetType().Name}, not a model (an IModel such as OnnxModel, MLNetModel, TreeEnsemble or DelegateModel, or a file path)"),
            };
        }
        if (File.Exists(reference)) return LoadFile(reference, InputShape(context));
        throw new XaiException($"--model {reference}: no notebook variable or file has that name");
    }

    private IModel LoadFile(string path, IReadOnlyList<int>? inputShape = null)
    {
        // a TorchScript file is loaded once per input shape (the file does not record it)
        var full = Path.GetFullPath(path) + (inputShape is null ? "" : "|" + string.Join(",", inputShape));
        // an edited file (new length or write time) is loaded again
        var written = ResultCache.FileKey(path);
        lock (_filesGate)
        {
            if (_files.TryGetValue(full, out var entry) && entry.Version == written) return entry.Model.Model;
            var loaded = ModelFiles.Load(path, null, inputShape);
            if (_files.TryGetValue(full, out var stale)) stale.Model.Dispose();
            _files[full] = (written, loaded);
            return loaded.Model;
        }
    }

    private (FeatureTable Table, float[]? Labels) ResolveData(CommandContext context, IModel? model, string option, string? reference = null)
    {
        reference ??= context.Get(option)!;
        string? label = context.Get("label");
        FeatureTable table;
        float[]? labels = null;
        if (context.Variables.TryGetValue(reference, out var value))
        {
            switch (value)
            {
                case FeatureTable t:
                    table = t;
                    if (label is not null && t.FeatureNames.Contains(label)) (table, labels) = t.SplitColumn(label);
                    break;
                case Dataset d:
                    table = d.Features;
                    labels = d.Labels;
                    break;
                case DataFrame frame:
                    table = frame.ToFeatureTable(label is not null && frame.Columns.IndexOf(label) >= 0 ? label : null, out labels);
                    break;
                case float[,] array:
                    table = FeatureTable.FromArray(array, model?.FeatureNames);
                    break;
                case float[][] jagged:
                    table = FeatureTable.FromRows(jagged, model?.FeatureNames);
                    break;
                case string path:
                    (table, labels) = ReadCsv(path, label);
                    break;
                case null:
                    throw new XaiException($"--{option} {reference}: the variable is null");
                default:
                    throw new XaiException($"--{option} {reference}: the variable is a {value.GetType().Name}; use a FeatureTable, DataFrame, Dataset, float[,], float[][] or a CSV path");
            }
        }
        else if (File.Exists(reference))
        {
            (table, labels) = ReadCsv(reference, label);
        }
        else
        {
            throw new XaiException($"--{option} {reference}: no notebook variable or file has that name");
        }
        if (model is not null) table = ExplanationRunner.MatchModelColumns(table, model, $"--{option} {reference}");
        return (_cache.Intern(table), labels);
    }

    private static (FeatureTable, float[]?) ReadCsv(string path, string? label)
    {
        var table = TableReader.Read(path); // CSV, Parquet or Arrow IPC
        return label is not null && table.FeatureNames.Contains(label) ? table.SplitColumn(label) : (table, null);
    }

    private static FeatureTable SelectRows(FeatureTable data, string? rows)
    {
        if (rows is null) return data;
        var indices = new List<int>();
        foreach (var part in rows.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length == 1 && int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out int single)) indices.Add(single);
            else if (bounds.Length == 2 && int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out int from)
                     && int.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out int to) && from <= to)
                indices.AddRange(Enumerable.Range(from, to - from + 1));
            else throw new XaiException($"--rows {rows}: use '0-9', '3' or '0,5,7'");
        }
        if (indices.Count == 0) throw new XaiException($"--rows {rows} selects no row");
        var outside = indices.FirstOrDefault(i => i >= data.RowCount, -1);
        if (outside >= 0) throw new XaiException($"--rows {rows}: row {outside} is outside the {data.RowCount} rows of the data");
        return data.SelectRows(indices);
    }

    private sealed record CommandContext(string Command, IReadOnlyDictionary<string, string> Options, IVariableSource Variables,
        IProgress<ExplanationProgress>? Progress, CancellationToken CancellationToken)
    {
        public Func<object, Action<object>>? Live { get; init; }

        public string? Get(string name) => Options.TryGetValue(name, out var v) ? v : null;

        public int? GetInt(string name)
        {
            if (Get(name) is not { } text) return null;
            return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
                ? value
                : throw new XaiException($"#!{Command} --{name} {text}: not a whole number");
        }
    }
}
