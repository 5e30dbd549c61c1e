using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Charts for permutation importance.</summary>
public static class PermutationImportanceCharts
{
    /// <summary>
    /// Horizontal bars of the mean importance (how much worse the metric gets when the feature is shuffled), error bars
    /// of one standard deviation over repeats, and every repeat's value as a dot. Largest on top.
    /// </summary>
    public static GenericChart Bar(PermutationImportanceExplanation explanation, int maxFeatures = 30)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFeatures, 1);
        var order = Enumerable.Range(0, explanation.FeatureNames.Length)
            .OrderByDescending(f => explanation.Mean[f]).ThenBy(f => f).Take(maxFeatures).Reverse().ToArray();
        var labels = order.Select(f => PlotText.Escape(explanation.FeatureNames[f])).ToArray();
        var positions = Enumerable.Range(0, order.Length).Select(i => (double)i).ToArray();
        string metric = MetricName(explanation.Metric);
        var bar = Figure.Trace("bar", ("orientation", "h"), ("name", "mean"),
            ("x", order.Select(f => explanation.Mean[f]).ToArray()), ("y", positions), ("text", labels), ("textposition", "none"),
            ("error_x", Figure.Object(("type", "data"), ("array", order.Select(f => explanation.StandardDeviation[f]).ToArray()), ("visible", true), ("color", "#444"))),
            ("marker", Figure.Object(("color", ChartTheme.Palette[5]))),
            ("hovertemplate", "%{text}: %{x:.4g} ± %{error_x.array:.3g}<extra>mean over repeats</extra>"));
        var dotsX = new List<double>();
        var dotsY = new List<double>();
        var dotsText = new List<string>();
        for (int i = 0; i < order.Length; i++)
        {
            var repeats = explanation.Values[order[i]];
            for (int k = 0; k < repeats.Length; k++)
            {
                dotsX.Add(repeats[k]);
                dotsY.Add(i + (repeats.Length == 1 ? 0 : -0.25 + 0.5 * k / (repeats.Length - 1)));
                dotsText.Add($"{labels[i]}, repeat {k + 1}");
            }
        }
        var dots = Figure.Trace("scatter", ("mode", "markers"), ("name", "repeats"), ("x", dotsX.ToArray()), ("y", dotsY.ToArray()),
            ("text", dotsText.ToArray()), ("marker", Figure.Object(("size", 5), ("color", "#222"), ("opacity", 0.6))),
            ("hovertemplate", "%{text}: %{x:.4g}<extra></extra>"));
        var layout = Figure.Layout(
            ("title", Figure.Title($"Permutation importance ({metric}, {explanation.Repeats} repeats, {explanation.RowCount} rows; baseline {Figure.Number(explanation.BaselineScore)})")),
            ("xaxis", Figure.Axis($"{metric}: how much worse when shuffled", ("zeroline", true))),
            ("yaxis", Figure.Axis("", ("tickvals", positions), ("ticktext", labels), ("range", new[] { -0.6, positions.Length - 0.4 }))),
            ("height", 140 + 28 * order.Length),
            ("showlegend", false));
        return Figure.Chart([bar, dots], layout);
    }

    internal static string MetricName(PermutationMetric metric) => metric switch
    {
        PermutationMetric.MeanSquaredError => "mean squared error",
        PermutationMetric.MeanAbsoluteError => "mean absolute error",
        PermutationMetric.R2 => "R²",
        PermutationMetric.Accuracy => "accuracy",
        PermutationMetric.LogLoss => "log-loss",
        _ => metric.ToString(),
    };
}
