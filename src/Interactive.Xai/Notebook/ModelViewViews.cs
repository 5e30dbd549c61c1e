using System.Globalization;
using System.Text;
using Interactive.Xai.Charts;
using Microsoft.DotNet.Interactive.Formatting;

namespace Interactive.Xai.Notebook;

/// <summary>SHAP values shown as force plots (#!xai-force): the stacked plot of every row and the single plot of one.</summary>
/// <param name="Explanation">The SHAP values.</param>
/// <param name="Order">The stacked plot's row order.</param>
/// <param name="Row">The row drawn on its own.</param>
public sealed record ForceView(AttributionExplanation Explanation, ForceOrder Order, int Row = 0);

/// <summary>HTML for the model views: force plots, surrogate trees, feature-output correlation and tree gain importance.</summary>
public static class ModelViewHtml
{
    /// <summary>Registers the views' text/html formatters (called from <see cref="NotebookFormatters.Register"/>).</summary>
    internal static void Register()
    {
        Formatter.Register<ForceView>((v, writer) => writer.Write(Html(v)), "text/html");
        Formatter.Register<SurrogateTree>((s, writer) => writer.Write(Html(s)), "text/html");
        Formatter.Register<OutputCorrelation>((c, writer) => writer.Write(Html(c)), "text/html");
        Formatter.Register<TreeFeatureImportance>((t, writer) => writer.Write(Html(t)), "text/html");
    }

    /// <summary>Force plots: a summary line, the stacked plot (several rows) and the chosen row's plot.</summary>
    public static string Html(ForceView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var e = view.Explanation;
        var html = Open("xai-force", $"SHAP force plots ({e.Method}, {e.RowCount} rows)");
        html.Append("<p class=\"xai-hint\">").Append(NotebookHtml.Encode(
            "Each row's prediction is its base value (the average output over the background) plus its features' SHAP values: "
            + "vermillion arrows push the output up, blue ones push it down.")).Append("</p>");
        if (e.RowCount > 1) NotebookHtml.AppendChart(html, ForceCharts.Stacked(e, view.Order));
        NotebookHtml.AppendChart(html, ForceCharts.Force(e, view.Row));
        return Close(html);
    }

    /// <summary>A surrogate tree: its figures and the tree chart.</summary>
    public static string Html(SurrogateTree surrogate)
    {
        ArgumentNullException.ThrowIfNull(surrogate);
        var html = Open("xai-surrogate", $"Global surrogate tree (depth {surrogate.Tree.Depth}, {surrogate.Tree.LeafCount} leaves)");
        NotebookHtml.AppendFacts(html,
        [
            ("imitates", surrogate.Task == SurrogateTask.Regression ? $"output {surrogate.OutputName} (regression tree, squared error)" : "the predicted class (classification tree, Gini)"),
            ("fidelity", $"{surrogate.FidelityName} = {surrogate.Fidelity.ToString("F3", CultureInfo.InvariantCulture)} on the {surrogate.RowCount} rows it was fitted to (agreement with the model, not accuracy on labels)"),
            ("model evaluations", surrogate.ModelEvaluations.ToString("N0", CultureInfo.InvariantCulture)),
        ]);
        NotebookHtml.AppendChart(html, SurrogateCharts.Tree(surrogate));
        return Close(html);
    }

    /// <summary>Feature-output correlations: the bar chart.</summary>
    public static string Html(OutputCorrelation correlation)
    {
        ArgumentNullException.ThrowIfNull(correlation);
        var html = Open("xai-output-correlation", $"Correlation of each feature with {correlation.OutputName}");
        html.Append("<p class=\"xai-hint\">").Append(NotebookHtml.Encode(
            "One feature at a time: a feature the model uses through interactions or non-monotone effects can still show little correlation.")).Append("</p>");
        NotebookHtml.AppendChart(html, OutputCorrelationCharts.Bars(correlation));
        return Close(html);
    }

    /// <summary>Tree gain importance beside split counts.</summary>
    public static string Html(TreeFeatureImportance importance)
    {
        ArgumentNullException.ThrowIfNull(importance);
        var html = Open("xai-tree-importance", $"Gain importance over {importance.TreeCount} trees");
        NotebookHtml.AppendChart(html, TreeImportanceCharts.GainAndSplits(importance));
        return Close(html);
    }

    private static StringBuilder Open(string kind, string heading)
        => new StringBuilder(NotebookHtml.PlotlyBootstrap()).Append(NotebookHtml.Style).Append($"<div class=\"xai-view {kind}\">")
            .Append("<h3>").Append(NotebookHtml.Encode(heading)).Append("</h3>\n");

    private static string Close(StringBuilder html) => html.Append("</div>").ToString();
}
