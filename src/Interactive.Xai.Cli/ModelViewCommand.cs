using System.CommandLine;
using System.Globalization;
using Interactive.Xai.Charts;
using Interactive.Xai.Hosting;

namespace Interactive.Xai.Cli;

/// <summary>The options of `xai explain` that only the model views (force, surrogate, output-correlation) read.</summary>
internal sealed record ModelViewOptions(Option<int> Depth, Option<string> Order, Option<string?> Shap)
{
    public static ModelViewOptions Create()
    {
        var depth = new Option<int>("--depth") { Description = $"surrogate: the tree's depth, 1 to {GlobalSurrogate.MaxDepth}.", DefaultValueFactory = _ => 3 };
        var order = new Option<string>("--order") { Description = "force: how the stacked force plot orders the rows: similarity, prediction or original.", DefaultValueFactory = _ => "similarity" };
        CliApp.AcceptOnly(order, [.. ModelViewRunner.Orders]);
        var shap = new Option<string?>("--shap") { Description = "force: the SHAP method behind the plot: exact-shap, kernel-shap or tree-shap (default: tree-shap for tree models, exact-shap up to 12 features, else kernel-shap)." };
        CliApp.AcceptOnly(shap!, ["exact-shap", "kernel-shap", "tree-shap"]);
        return new ModelViewOptions(depth, order, shap);
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Depth);
        command.Options.Add(Order);
        command.Options.Add(Shap);
    }

    public ModelViewArguments Read(ParseResult parse) => new(parse.GetValue(Depth), parse.GetValue(Order) ?? "similarity", parse.GetValue(Shap));
}

/// <summary>The parsed model-view options.</summary>
internal sealed record ModelViewArguments(int Depth = 3, string Order = "similarity", string? Shap = null);

/// <summary>
/// `xai explain --method force|surrogate|output-correlation`: SHAP force plots (single rows and stacked), a global
/// surrogate tree with its fidelity, and the correlation of every feature with the model output.
/// </summary>
internal static class ModelViewCommand
{
    /// <summary>Single-row force plots in the HTML report (the first rows explained).</summary>
    public const int MaxSingleForcePlots = 5;

    public static int Execute(ExplainRequest request, IModel model, FeatureTable rows, FeatureTable? reference, FeatureTable? background,
        ExplanationRequest explanationRequest, OutputFiles files, TextWriter output, TextWriter? error)
    {
        var arguments = request.ModelView;
        var inv = CultureInfo.InvariantCulture;
        string json, summary;
        HtmlReport? report = request.Html is null ? null : new HtmlReport($"{Title(request.Method)} — {Path.GetFileName(request.Model)}");
        report?.AddParagraph($"Model {Path.GetFileName(request.Model)}, data {Path.GetFileName(request.Data)}.");
        switch (request.Method)
        {
            case ModelViewRunner.Force:
            {
                var order = ModelViewRunner.ParseOrder(arguments.Order);
                if (order == ForceOrder.Similarity && rows.RowCount > ForcePlot.MaxClusteredRows && request.Html is not null)
                    throw new XaiException($"--order similarity clusters at most {ForcePlot.MaxClusteredRows} rows and --data has {rows.RowCount}: use --order prediction, or fewer --rows");
                var progress = error is null ? null : ProgressReporter.For(error, request.Quiet);
                AttributionExplanation shap;
                try
                {
                    shap = ModelViewRunner.ForceAttributions(new ExplanationRunner(), model, rows, arguments.Shap, explanationRequest,
                        new ExplanationInputs { Reference = reference, Background = background }, progress);
                }
                finally
                {
                    progress?.Finish();
                }
                json = ExplanationJson.Serialize(shap);
                if (report is not null)
                {
                    report.AddParagraph(string.Create(inv, $"SHAP values by {shap.Method} ({shap.ModelEvaluations:N0} model evaluations in {shap.Elapsed.TotalSeconds:F3} s). ")
                        + "Each force plot starts at the base value (the average output over the background) and ends at the row's prediction: "
                        + "vermillion features push the output up, blue ones push it down, longer arrows push harder.");
                    if (shap.RowCount > 1) report.AddChart(ForceCharts.Stacked(shap, order));
                    for (int r = 0; r < Math.Min(shap.RowCount, MaxSingleForcePlots); r++) report.AddChart(ForceCharts.Force(shap, r));
                }
                summary = string.Create(inv, $"force: SHAP values ({shap.Method}) of {shap.RowCount:N0} rows, {shap.ModelEvaluations:N0} model evaluations in {shap.Elapsed.TotalSeconds:F3} s");
                break;
            }
            case ModelViewRunner.Surrogate:
            {
                string? target = request.Target == "0" ? null : request.Target;
                var surrogate = ModelViewRunner.FitSurrogate(model, rows, arguments.Depth, target);
                json = ExplanationJson.Serialize(surrogate);
                string fitted = surrogate.Task == SurrogateTask.Regression ? $"output {surrogate.OutputName} (squared error)" : "predicted class (Gini impurity)";
                report?.AddParagraph(string.Create(inv, $"A decision tree of depth at most {surrogate.MaxDepth} fitted (CART) to the model's {fitted} "
                    + $"on {surrogate.RowCount:N0} rows; fidelity {surrogate.FidelityName} = {surrogate.Fidelity:F3} is how closely it reproduces the model on those rows, not accuracy on labels."));
                report?.AddChart(SurrogateCharts.Tree(surrogate));
                var tree = surrogate.Tree;
                string root = tree.IsLeaf(0) ? "no split" : string.Create(inv, $"root split {ExplanationRunner.Printable(surrogate.FeatureNames[tree.Feature[0]])} <= {tree.Threshold[0]:G4}");
                summary = string.Create(inv, $"surrogate: depth-{tree.Depth} tree of {tree.LeafCount} leaves, fidelity {surrogate.FidelityName} {surrogate.Fidelity:F3} on {surrogate.RowCount:N0} rows; {root}");
                break;
            }
            default:
            {
                string? target = request.Target == "0" ? null : request.Target;
                var correlation = ModelViewRunner.CorrelateWithOutput(model, rows, target);
                json = ExplanationJson.Serialize(correlation);
                if (report is not null)
                {
                    report.AddParagraph("Pearson's r measures how linearly each feature moves with the model's output over these rows; Spearman's ρ how monotonically (ranks). " +
                        "Both look at one feature at a time: a feature can matter to the model and still show little correlation (interactions, non-monotone effects).");
                    report.AddChart(OutputCorrelationCharts.Bars(correlation));
                    report.AddTable(["feature", "Pearson r", "Spearman ρ"], Enumerable.Range(0, correlation.FeatureCount).Select(f => (IReadOnlyList<string>)
                        [correlation.FeatureNames[f], Format(correlation.Pearson[f]), Format(correlation.Spearman[f])]), $"Correlation with {correlation.OutputName} over {correlation.RowCount} rows");
                }
                var top = Enumerable.Range(0, correlation.FeatureCount).Where(f => !double.IsNaN(correlation.Pearson[f]))
                    .OrderByDescending(f => Math.Abs(correlation.Pearson[f])).Take(3)
                    .Select(f => $"{ExplanationRunner.Printable(correlation.FeatureNames[f])} {Format(correlation.Pearson[f])}");
                summary = string.Create(inv, $"output-correlation: {correlation.FeatureCount} features with {ExplanationRunner.Printable(correlation.OutputName)} over {correlation.RowCount:N0} rows; strongest Pearson r: {string.Join(", ", top)}");
                break;
            }
        }
        files.Set("--json", json);
        if (report is not null) files.Set("--html", report.ToHtml());
        AtomicFile.WriteOrPrint(output, json, files, summary, request.Json);
        return 0;
    }

    private static string Title(string method) => method switch
    {
        ModelViewRunner.Force => "SHAP force plots",
        ModelViewRunner.Surrogate => "Global surrogate tree",
        _ => "Correlation of features with the model output",
    };

    private static string Format(double r) => double.IsNaN(r) ? "constant" : r.ToString("F3", CultureInfo.InvariantCulture);
}
