using System.Globalization;

namespace Interactive.Xai.Charts;

/// <summary>Report sections for a classifier's outputs.</summary>
public static class OutputReport
{
    /// <summary>
    /// Adds a section: accuracy, a per-class table (rows, precision, recall), the confusion matrix and, when given,
    /// the class-probability heatmap and the first row's probabilities.
    /// </summary>
    public static HtmlReport AddClassifierOutputs(this HtmlReport report, ConfusionMatrix matrix, ClassProbabilities? probabilities = null,
        string heading = "Classifier outputs")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(matrix);
        report.AddHeading(heading);
        report.AddParagraph(string.Create(CultureInfo.InvariantCulture,
            $"{matrix.Total:N0} rows, {matrix.ClassCount} classes, accuracy {matrix.Accuracy * 100:F1}%."));
        report.AddTable(["class", "rows", "predicted as it", "precision", "recall"], Enumerable.Range(0, matrix.ClassCount).Select(c => (IReadOnlyList<string>)
        [
            matrix.ClassNames[c],
            matrix.ActualCount(c).ToString(CultureInfo.InvariantCulture),
            matrix.PredictedCount(c).ToString(CultureInfo.InvariantCulture),
            Rate(matrix.Precision(c)),
            Rate(matrix.Recall(c)),
        ]), "Per class");
        report.AddChart(OutputCharts.ConfusionMatrix(matrix));
        if (probabilities is not null && probabilities.RowCount > 0)
        {
            report.AddChart(OutputCharts.ProbabilityHeatmap(probabilities));
            report.AddChart(OutputCharts.Probabilities(probabilities, 0));
        }
        return report;
    }

    private static string Rate(double value) => double.IsNaN(value) ? "-" : value.ToString("F3", CultureInfo.InvariantCulture);
}
