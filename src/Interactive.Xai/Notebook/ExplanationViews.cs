using System.Globalization;
using System.Text;
using Interactive.Xai.Charts;
using Plotly.NET;

namespace Interactive.Xai.Notebook;

/// <summary>HTML for explanations: a heading, the quality figures and the charts that suit the explanation.</summary>
public static class ExplanationViews
{
    /// <summary>The charts an explanation shows by default (attributions: importance bar, beeswarm, first row's waterfall).</summary>
    public static IReadOnlyList<GenericChart> DefaultCharts(Explanation explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        return explanation switch
        {
            // images (saliency, IG, Grad-CAM, occlusion with an input shape): overlays of the first rows and the mean |attribution| map
            AttributionExplanation image when ImageAttributionCharts.IsImage(image) => [ImageAttributionCharts.Grid(image), ImageAttributionCharts.MeanAbsoluteMap(image)],
            AttributionExplanation a => [AttributionCharts.Importance(a), AttributionCharts.Beeswarm(a), AttributionCharts.Waterfall(a, 0)],
            _ => ExplanationReport.Charts(explanation),
        };
    }

    /// <summary>The chart named <paramref name="chart"/> (bar, beeswarm, waterfall, heatmap, dependence) for an attribution explanation.</summary>
    public static GenericChart Chart(AttributionExplanation explanation, string chart, int row = 0)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        return chart switch
        {
            "bar" => AttributionCharts.Importance(explanation),
            "beeswarm" => AttributionCharts.Beeswarm(explanation),
            "waterfall" => AttributionCharts.Waterfall(explanation, row),
            "heatmap" => AttributionCharts.Heatmap(explanation),
            "dependence" => AttributionCharts.Dependence(explanation, explanation.FeatureNames[TopFeature(explanation)]),
            _ => throw new XaiException($"unknown chart '{chart}'; use bar, beeswarm, waterfall, heatmap or dependence"),
        };
    }

    /// <summary>An explanation with its facts and default charts.</summary>
    public static string Html(Explanation explanation) => Html(explanation, DefaultCharts(explanation));

    /// <summary>An explanation shown as one chart.</summary>
    public static string Html(ExplanationView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var chart = view.Explanation is AttributionExplanation a
            ? Chart(a, view.Chart, view.Row)
            : ExplanationReport.Charts(view.Explanation)[0];
        return Html(view.Explanation, [chart]);
    }

    /// <summary>Several methods' attributions of one row: a grouped bar chart and a table of values.</summary>
    public static string Html(AttributionComparison comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        var html = new StringBuilder(NotebookHtml.PlotlyBootstrap()).Append(NotebookHtml.Style).Append("<div class=\"xai-view xai-comparison\">");
        html.Append("<h3>").Append(NotebookHtml.Encode($"Row {comparison.Row}: {string.Join(" vs ", comparison.Explanations.Select(e => e.Method))}")).Append("</h3>\n");
        if (comparison.Explanations.Length > 0)
        {
            // Each explanation holds only the compared row (as its row 0); comparison.Row is its number in the data.
            NotebookHtml.AppendChart(html, ComparisonCharts.Bars(comparison.Explanations, 0, rowLabel: comparison.Row));
            var first = comparison.Explanations[0];
            var header = new List<string> { "feature" };
            header.AddRange(comparison.Explanations.Select(e => e.Method));
            var rows = new List<IReadOnlyList<string>>();
            for (int f = 0; f < first.FeatureCount; f++)
            {
                var cells = new List<string> { first.FeatureNames[f] };
                cells.AddRange(comparison.Explanations.Select(e => NotebookHtml.Number(e.Value(0, f, 0))));
                rows.Add(cells);
            }
            var baseRow = new List<string> { "base value" };
            baseRow.AddRange(comparison.Explanations.Select(e => NotebookHtml.Number(e.BaseValue(0))));
            rows.Add(baseRow);
            var errors = new List<string> { "additivity error" };
            errors.AddRange(comparison.Explanations.Select(e => e.AdditivityError.ToString("G3", CultureInfo.InvariantCulture)));
            rows.Add(errors);
            var time = new List<string> { "elapsed s" };
            time.AddRange(comparison.Explanations.Select(e => e.Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture)));
            rows.Add(time);
            NotebookHtml.AppendTable(html, header, rows, "Attributions");
        }
        return html.Append("</div>").ToString();
    }

    /// <summary>The #!xai-help listing.</summary>
    public static string Html(MagicCommandHelp help)
    {
        ArgumentNullException.ThrowIfNull(help);
        var html = new StringBuilder(NotebookHtml.Style).Append("<div class=\"xai-view xai-help\"><h3>Interactive.Xai magic commands</h3>");
        html.Append("<p class=\"xai-hint\">--model and --data take a notebook variable or a file path (.onnx or .zip models, .csv data).</p>");
        foreach (var command in help.Commands)
        {
            html.Append("<h4><code>#!").Append(NotebookHtml.Encode(command.Name)).Append("</code></h4><p style=\"text-align:left\">").Append(NotebookHtml.Encode(command.Description)).Append("</p>");
            if (command.Options.Count > 0)
            {
                // Left-aligned by an inline style on every cell: Jupyter's own stylesheet right-aligns table cells
                // (.rendered_html td, .jp-RenderedHTMLCommon td) and drops an output's <style> element in an untrusted
                // notebook, so the view's stylesheet alone cannot be relied on.
                html.Append("<table class=\"xai-table xai-help-options\" style=\"text-align:left\"><thead><tr>")
                    .Append(HelpCell("th", "option")).Append(HelpCell("th", "meaning")).Append("</tr></thead><tbody>");
                foreach (var o in command.Options)
                    html.Append("<tr>").Append(HelpCell("td", "--" + o.Name + (o.Required ? " (required)" : ""), nowrap: true)).Append(HelpCell("td", o.Description)).Append("</tr>");
                html.Append("</tbody></table>\n");
            }
            html.Append("<pre>");
            foreach (var example in command.Examples) html.Append(NotebookHtml.Encode(example)).Append('\n');
            html.Append("</pre>");
        }
        return html.Append("</div>").ToString();
    }

    private static string HelpCell(string tag, string text, bool nowrap = false)
        => $"<{tag} style=\"text-align:left;vertical-align:top{(nowrap ? ";white-space:nowrap" : "")}\">{NotebookHtml.Encode(text)}</{tag}>";

    /// <summary>The plain-text #!xai-help listing.</summary>
    public static string Text(MagicCommandHelp help)
    {
        ArgumentNullException.ThrowIfNull(help);
        var text = new StringBuilder();
        foreach (var command in help.Commands)
        {
            text.Append("#!").Append(command.Name).Append(": ").Append(command.Description).Append('\n');
            foreach (var o in command.Options) text.Append("    --").Append(o.Name).Append(o.Required ? " (required)" : "").Append(": ").Append(o.Description).Append('\n');
            foreach (var e in command.Examples) text.Append("    e.g. ").Append(e).Append('\n');
        }
        return text.ToString();
    }

    private static string Html(Explanation explanation, IReadOnlyList<GenericChart> charts)
    {
        var html = new StringBuilder(NotebookHtml.PlotlyBootstrap()).Append(NotebookHtml.Style).Append("<div class=\"xai-view xai-explanation\">");
        html.Append("<h3>").Append(NotebookHtml.Encode(ExplanationReport.Heading(explanation))).Append("</h3>\n");
        html.Append("<details><summary>").Append(NotebookHtml.Encode(Summary(explanation))).Append("</summary>");
        NotebookHtml.AppendFacts(html, ExplanationReport.Facts(explanation));
        html.Append("</details>\n");
        foreach (var chart in charts) NotebookHtml.AppendChart(html, chart);
        return html.Append("</div>").ToString();
    }

    // The method's own quality figure (additivity error for Shapley values, the largest convergence delta for Integrated
    // Gradients, fidelity for LIME, validity for counterfactuals); none for saliency, Grad-CAM or occlusion, whose values
    // are not meant to add up to the prediction (the facts below say so).
    private static string Summary(Explanation explanation)
    {
        string quality = ExplanationReport.QualitySummary(explanation);
        return string.Create(CultureInfo.InvariantCulture, $"{explanation.ModelEvaluations:N0} model evaluations in {explanation.Elapsed.TotalSeconds:F2} s")
               + (quality.Length > 0 ? "; " + quality : "");
    }

    private static int TopFeature(AttributionExplanation a)
    {
        var means = a.MeanAbsoluteValues(0);
        int best = 0;
        for (int f = 1; f < means.Length; f++) if (means[f] > means[best]) best = f;
        return best;
    }
}
