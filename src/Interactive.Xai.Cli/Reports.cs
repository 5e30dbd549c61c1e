using System.Globalization;
using Interactive.Xai.Charts;

namespace Interactive.Xai.Cli;

/// <summary>The HTML reports the command line writes.</summary>
internal static class Reports
{
    /// <summary>The report of one `xai explain` run.</summary>
    public static string ForExplanation(Explanation explanation, string modelPath, string dataPath)
    {
        var report = new HtmlReport($"{ExplanationReport.Heading(explanation)} — {Path.GetFileName(modelPath)}");
        report.AddParagraph(string.Create(CultureInfo.InvariantCulture,
            $"Model {Path.GetFileName(modelPath)}, data {Path.GetFileName(dataPath)}; {explanation.Method} used {explanation.ModelEvaluations:N0} model evaluations in {explanation.Elapsed.TotalSeconds:F3} s."));
        report.AddExplanation(explanation);
        return report.ToHtml();
    }

    /// <summary>The demo report: every method's result on the built-in diabetes model.</summary>
    public static string ForDemo(IReadOnlyList<Explanation> results, IModel model)
    {
        var report = new HtmlReport("Interactive.Xai demo — diabetes progression, ML.NET FastTree");
        report.AddParagraph(
            "A FastTree regression (100 trees of 8 leaves) trained in process on scikit-learn's diabetes data (442 patients, " +
            $"{model.FeatureCount} features: age, sex, body-mass index, blood pressure and six blood serum measurements, in their original units; " +
            "the target is a measure of disease progression one year after baseline). " +
            "Every chart is interactive: hover for values, drag to zoom, double-click to reset. In the attribution sections, " +
            "click a dot in the beeswarm or a cell in the heatmap to see that patient's waterfall.");
        report.AddTable(["method", "model evaluations", "seconds", "quality"], results.Select(r => (IReadOnlyList<string>)
        [
            r.Method,
            r.ModelEvaluations.ToString("N0", CultureInfo.InvariantCulture),
            r.Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture),
            r is AttributionExplanation a ? "additivity error " + a.AdditivityError.ToString("G3", CultureInfo.InvariantCulture) : "",
        ]), "What each method cost");
        foreach (var result in results)
        {
            if (result is PartialDependenceExplanation { Method: "ice" } ice)
            {
                report.AddHeading($"Centred ICE curves for {ice.Feature}");
                report.AddParagraph("Each thin line is one patient's prediction as the feature varies, shifted to start at zero; the thick line is their mean (centred partial dependence). Spread between lines points to interactions.");
                report.AddChart(PartialDependenceCharts.Line(ice, centered: true));
                continue;
            }
            report.AddExplanation(result);
        }
        return report.ToHtml();
    }
}
