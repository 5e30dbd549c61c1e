using System.CommandLine;
using System.Globalization;
using Interactive.Xai.Charts;
using Interactive.Xai.Hosting;

namespace Interactive.Xai.Cli;

/// <summary>`xai counterfactual`: K diverse nearby inputs for one row that reach a class or an output range.</summary>
internal static class CounterfactualCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Option<string>("--model") { Description = "The model file: .onnx (ONNX Runtime), .zip (ML.NET) or .pt (TorchScript).", Required = true };
        var data = new Option<string>("--data") { Description = "CSV with a header, Parquet or Arrow IPC file: the training rows (ranges, scales, values to sample) and the row to explain.", Required = true };
        var row = new Option<int>("--row") { Description = "The 0-based index of the row of --data to explain.", Required = true };
        var desired = new Option<int?>("--desired") { Description = "Classifiers: the class the counterfactuals must reach (arg-max output; for one probability output, 1 means >= 0.5)." };
        var desiredRange = new Option<string?>("--desired-range") { Description = "Regressors: lo,hi: the range the output must reach." };
        var target = new Option<int>("--target") { Description = "The output --desired-range reads.", DefaultValueFactory = _ => 0 };
        var count = new Option<int>("--count") { Description = "Counterfactuals to find.", DefaultValueFactory = _ => 4 };
        var immutable = new Option<string?>("--immutable") { Description = "Features that may not change: NAME,NAME,..." };
        var integer = new Option<string?>("--integer") { Description = "Features that take whole numbers only: NAME,..." };
        var increase = new Option<string?>("--increase-only") { Description = "Features that may only go up: NAME,..." };
        var decrease = new Option<string?>("--decrease-only") { Description = "Features that may only go down: NAME,..." };
        var label = new Option<string?>("--label") { Description = "A label column of --data to leave out of the features." };
        var generations = new Option<int>("--generations") { Description = "Generations of the genetic search.", DefaultValueFactory = _ => 40 };
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 42 };
        var json = new Option<string?>("--json") { Description = "Write the result as JSON to this file; - prints it on standard output (without --json or --html, a short summary is printed)." };
        var html = new Option<string?>("--html") { Description = "Write a self-contained HTML report to this file." };
        var outputColumn = new Option<string?>("--output-column") { Description = "ML.NET models: the output column (default Probability, else Score)." };
        var matchColumns = ExplainCommand.MatchColumnsOption();
        var quiet = ExplainCommand.QuietOption();
        var inputShape = new Option<string?>("--input-shape") { Description = "For .pt models: the shape of one input, for example 10 (features; the default is the width of --data) or 1,8,8." };
        var command = new Command("counterfactual", "Find diverse nearby inputs that change a model's prediction to a desired class or range.")
        {
            model, data, row, desired, desiredRange, target, count, immutable, integer, increase, decrease, label, generations, seed, json, html, outputColumn, matchColumns, inputShape, quiet,
        };
        command.SetAction(parse => Execute(new CounterfactualRequest
        {
            Model = parse.GetValue(model)!,
            Data = parse.GetValue(data)!,
            Row = parse.GetValue(row),
            Desired = parse.GetValue(desired),
            DesiredRange = parse.GetValue(desiredRange),
            Target = parse.GetValue(target),
            Count = parse.GetValue(count),
            Immutable = parse.GetValue(immutable),
            Integer = parse.GetValue(integer),
            IncreaseOnly = parse.GetValue(increase),
            DecreaseOnly = parse.GetValue(decrease),
            Label = parse.GetValue(label),
            Generations = parse.GetValue(generations),
            Seed = parse.GetValue(seed),
            Json = parse.GetValue(json),
            Html = parse.GetValue(html),
            OutputColumn = parse.GetValue(outputColumn),
            MatchColumns = ExplainCommand.ParseMatching(parse.GetValue(matchColumns)),
            InputShape = parse.GetValue(inputShape),
            Quiet = parse.GetValue(quiet),
        }, output, error));
        return command;
    }

    // One line that says what was found: a row that already meets the goal, found vs requested, how many are valid.
    private static string Summary(CounterfactualRequest request, CounterfactualExplanation explanation, CounterfactualSet set)
    {
        var inv = CultureInfo.InvariantCulture;
        string cost = string.Create(inv, $"{explanation.ModelEvaluations} model evaluations in {explanation.Elapsed.TotalSeconds:F3} s");
        string prediction = string.Join(", ", set.OriginalPrediction.Select(v => v.ToString("G6", inv)));
        if (set.AlreadyMeetsGoal)
            return $"counterfactual: row {request.Row} already meets the goal ({explanation.Goal}; prediction {prediction}); nothing to change; {cost}";
        string found = set.Count < request.Count
            ? string.Create(inv, $"found {set.Count} of {request.Count} requested (the search found no more distinct candidates)")
            : string.Create(inv, $"found {set.Count} of {request.Count} requested");
        string valid = set.Count == 0 ? "none valid" : set.ValidCount == set.Count ? $"all {set.Count} valid" : $"{set.ValidCount} valid";
        return string.Create(inv, $"counterfactual: row {request.Row}: {found}, {valid} (validity {set.Validity:G3}); {cost}");
    }

    public static int Execute(CounterfactualRequest request, TextWriter output, TextWriter? error = null)
    {
        using var files = OutputFiles.Prepare(("--json", request.Json), ("--html", request.Html));
        if (request.Desired is null == request.DesiredRange is null)
            throw new XaiException("give exactly one goal: --desired CLASS (classifiers) or --desired-range lo,hi (regressors)");
        if (request.Count < 1) throw new XaiException($"--count must be at least 1, got {request.Count}");
        CounterfactualGoal goal;
        if (request.Desired is { } desiredClass) goal = CounterfactualGoal.Class(desiredClass);
        else
        {
            var bounds = ExplanationRunner.ParseNumbers(request.DesiredRange!, "--desired-range");
            if (bounds.Length != 2) throw new XaiException($"--desired-range takes two numbers lo,hi, got {bounds.Length}");
            if (bounds[0] > bounds[1]) throw new XaiException($"--desired-range: lo {bounds[0].ToString(CultureInfo.InvariantCulture)} is above hi {bounds[1].ToString(CultureInfo.InvariantCulture)}");
            goal = CounterfactualGoal.Range(bounds[0], bounds[1], request.Target);
        }
        var shape = request.InputShape is null ? null : ExplanationRunner.ParseShape(request.InputShape, "--input-shape");
        var table = TableReader.Read(request.Data);
        if (request.Label is not null) table = table.SplitColumn(request.Label).Features;
        // A TorchScript file does not record its input shape: without --input-shape it takes rows of the data's width.
        if (shape is null && ModelFiles.IsTorchScript(request.Model)) shape = [table.ColumnCount];
        using var loaded = ExplainCommand.LoadModel(request.Model, request.OutputColumn, shape, request.InputShape is null);
        var model = loaded.Model;
        if (shape is not null && shape.Aggregate(1L, (product, d) => product * d) is var values && values != model.FeatureCount)
            throw new XaiException($"--input-shape {request.InputShape} holds {values} values but the model takes {model.FeatureCount} features");
        table = ExplanationRunner.MatchModelColumns(table, model, request.Data, request.MatchColumns);
        if (request.Row < 0 || request.Row >= table.RowCount)
            throw new XaiException($"--row {request.Row} is out of range; {request.Data} has {table.RowCount} rows (0 to {table.RowCount - 1})");

        var constraints = new Dictionary<string, FeatureConstraint>(StringComparer.Ordinal);
        FeatureConstraint For(string name) => constraints.TryGetValue(name, out var c) ? c : new FeatureConstraint { Feature = name };
        void Apply(string? list, string option, Func<FeatureConstraint, FeatureConstraint> change)
        {
            if (list is null) return;
            foreach (var name in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!table.FeatureNames.Contains(name))
                    throw new XaiException($"{option}: no feature named '{name}'; the features are: {string.Join(", ", table.FeatureNames)}");
                constraints[name] = change(For(name));
            }
        }
        Apply(request.Immutable, "--immutable", c => c with { Immutable = true });
        Apply(request.Integer, "--integer", c => c with { Integer = true });
        Apply(request.IncreaseOnly, "--increase-only", c => c with { Direction = MonotoneDirection.IncreaseOnly });
        Apply(request.DecreaseOnly, "--decrease-only", c => c with { Direction = c.Direction == MonotoneDirection.IncreaseOnly
            ? throw new XaiException($"feature '{c.Feature}' is both --increase-only and --decrease-only; use --immutable")
            : MonotoneDirection.DecreaseOnly });

        var options = new CounterfactualOptions
        {
            Count = request.Count,
            Constraints = constraints.Values.ToArray(),
            Generations = request.Generations,
            Seed = request.Seed,
        };
        var progress = error is null ? null : ProgressReporter.For(error, request.Quiet);
        CounterfactualExplanation explanation;
        try
        {
            explanation = new CounterfactualExplainer(model, table, options).Explain(table.SelectRows([request.Row]), goal, progress);
        }
        finally
        {
            progress?.Finish();
        }
        var set = explanation.Sets[0];
        explanation = explanation with { SourceRows = [request.Row] };

        string jsonText = ExplanationJson.Serialize(explanation);
        files.Set("--json", jsonText);
        if (request.Html is not null)
        {
            var report = new HtmlReport($"Counterfactuals for row {request.Row} — {Path.GetFileName(request.Model)}");
            report.AddParagraph($"Model {Path.GetFileName(request.Model)}, data {Path.GetFileName(request.Data)}, row {request.Row.ToString(CultureInfo.InvariantCulture)} (shown as row 0).");
            if (set.AlreadyMeetsGoal) report.AddParagraph($"Row {request.Row.ToString(CultureInfo.InvariantCulture)} already meets the goal ({goal}): there is nothing to change.");
            report.AddExplanation(explanation);
            files.Set("--html", report.ToHtml());
        }
        AtomicFile.WriteOrPrint(output, jsonText, files, Summary(request, explanation, set), request.Json);
        return 0;
    }
}

/// <summary>The parsed arguments of `xai counterfactual`.</summary>
internal sealed record CounterfactualRequest
{
    public required string Model { get; init; }
    public required string Data { get; init; }
    public int Row { get; init; }
    public int? Desired { get; init; }
    public string? DesiredRange { get; init; }
    public int Target { get; init; }
    public int Count { get; init; } = 4;
    public string? Immutable { get; init; }
    public string? Integer { get; init; }
    public string? IncreaseOnly { get; init; }
    public string? DecreaseOnly { get; init; }
    public string? Label { get; init; }
    public int Generations { get; init; } = 40;
    public int Seed { get; init; } = 42;
    public string? Json { get; init; }
    public string? Html { get; init; }
    public string? OutputColumn { get; init; }
    public ColumnMatching MatchColumns { get; init; }
    public string? InputShape { get; init; }
    public bool Quiet { get; init; }
}
