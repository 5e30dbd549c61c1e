using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>The correlation of every feature with the model's output, as sorted bars.</summary>
public static class OutputCorrelationCharts
{
    /// <summary>
    /// Pearson and Spearman correlation of each feature with the output, features sorted by the larger of the two
    /// sizes (strongest at the top), on a fixed -1..1 axis. Constant features have no correlation and are named in
    /// the subtitle.
    /// </summary>
    public static GenericChart Bars(OutputCorrelation correlation)
    {
        ArgumentNullException.ThrowIfNull(correlation);
        double Strength(int f) => Math.Max(Size(correlation.Pearson[f]), Size(correlation.Spearman[f]));
        var shown = Enumerable.Range(0, correlation.FeatureCount)
            .Where(f => !double.IsNaN(correlation.Pearson[f]) || !double.IsNaN(correlation.Spearman[f]))
            .OrderBy(Strength).ThenByDescending(f => f).ToArray();
        var constant = Enumerable.Range(0, correlation.FeatureCount).Except(shown).Select(f => PlotText.Escape(correlation.FeatureNames[f])).ToArray();
        var labels = shown.Select(f => PlotText.Escape(correlation.FeatureNames[f])).ToArray();
        var positions = Enumerable.Range(0, shown.Length).Select(i => (double)i).ToArray();
        Trace Bar(string name, IReadOnlyList<double> values, string colour) => Figure.Trace("bar", ("orientation", "h"), ("name", name),
            ("x", shown.Select(f => double.IsNaN(values[f]) ? 0 : values[f]).ToArray()), ("y", positions), ("text", labels), ("textposition", "none"),
            ("hovertemplate", $"%{{text}}: {name} r = %{{x:.3f}}<extra></extra>"), ("marker", Figure.Object(("color", colour))));
        // "the model's output" for an output named "output" (no "output output"), else with its name.
        string output = string.IsNullOrWhiteSpace(correlation.OutputName) || string.Equals(correlation.OutputName.Trim(), "output", StringComparison.OrdinalIgnoreCase)
            ? "the model's output" : $"the model's output {PlotText.Escape(correlation.OutputName)}";
        string subtitle = constant.Length == 0 ? "" : $"<br><sub>constant, so not correlated: {string.Join(", ", constant)}</sub>";
        var layout = Figure.Layout(
            ("title", Figure.Title($"Correlation of each feature with {output} over {correlation.RowCount} rows{subtitle}")),
            ("barmode", "group"),
            ("xaxis", Figure.Axis("correlation with the output", ("range", new[] { -1.05, 1.05 }), ("zeroline", true), ("tickvals", new[] { -1, -0.5, 0, 0.5, 1 }))),
            ("yaxis", Figure.Axis("", ("tickvals", positions), ("ticktext", labels), ("zeroline", false))),
            ("legend", Figure.Object(("orientation", "h"), ("x", 0), ("y", -0.12), ("yanchor", "top"), ("traceorder", "reversed"))),
            ("height", 200 + 34 * Math.Max(1, shown.Length)),
            ("margin", Figure.Object(("b", 80))));
        return Figure.Chart([Bar("Spearman", correlation.Spearman, ChartTheme.Palette[1]), Bar("Pearson", correlation.Pearson, ChartTheme.Palette[0])], layout);
    }

    private static double Size(double r) => double.IsNaN(r) ? -1 : Math.Abs(r);
}
