using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>A tree ensemble's gain-based feature importance next to its split counts.</summary>
public static class TreeImportanceCharts
{
    /// <summary>
    /// Two bar panels sharing the feature axis, features sorted by gain (largest at the top): the share of the total
    /// split gain (cover-weighted squared-error reduction) and the number of splits. A feature split often for little
    /// gain shows up as a long right bar beside a short left one.
    /// </summary>
    public static GenericChart GainAndSplits(TreeFeatureImportance importance)
    {
        ArgumentNullException.ThrowIfNull(importance);
        int m = importance.FeatureCount;
        var order = Enumerable.Range(0, m).OrderBy(f => importance.Gains[f]).ThenBy(f => importance.SplitCounts[f]).ThenByDescending(f => f).ToArray();
        var labels = order.Select(f => PlotText.Escape(importance.FeatureNames[f])).ToArray();
        var positions = Enumerable.Range(0, m).Select(i => (double)i).ToArray();
        var gain = Figure.Trace("bar", ("orientation", "h"), ("x", order.Select(f => importance.NormalizedGains[f]).ToArray()), ("y", positions),
            ("text", labels), ("textposition", "none"), ("customdata", order.Select(f => importance.Gains[f]).ToArray()),
            ("hovertemplate", "%{text}: %{x:.1%} of the gain (%{customdata:.4g})<extra></extra>"), ("name", "gain"),
            ("marker", Figure.Object(("color", ChartTheme.Palette[0]))), ("xaxis", "x"), ("yaxis", "y"));
        var splits = Figure.Trace("bar", ("orientation", "h"), ("x", order.Select(f => (double)importance.SplitCounts[f]).ToArray()), ("y", positions),
            ("text", labels), ("textposition", "none"), ("hovertemplate", "%{text}: %{x} splits<extra></extra>"), ("name", "splits"),
            ("marker", Figure.Object(("color", ChartTheme.Palette[2]))), ("xaxis", "x2"), ("yaxis", "y"));
        var layout = Figure.Layout(
            ("title", Figure.Title($"Feature importance over {importance.TreeCount} trees: share of split gain and number of splits" +
                $"<br><sub>gain: cover-weighted squared-error drop of each split; covers from the {importance.CoverSource}</sub>")),
            ("xaxis", Figure.Axis("share of total gain", ("domain", new[] { 0.0, 0.47 }), ("rangemode", "tozero"), ("tickformat", ".0%"))),
            ("xaxis2", Figure.Axis("number of splits", ("domain", new[] { 0.55, 1.0 }), ("rangemode", "tozero"), ("anchor", "y"),
                ("dtick", importance.SplitCounts.DefaultIfEmpty(0).Max() <= 8 ? 1 : null))),
            ("yaxis", Figure.Axis("", ("tickvals", positions), ("ticktext", labels), ("zeroline", false))),
            ("height", 170 + 26 * m),
            ("showlegend", false));
        return Figure.Chart([gain, splits], layout);
    }
}
