using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Charts for accumulated local effects.</summary>
public static class AccumulatedLocalEffectsCharts
{
    /// <summary>The centred ALE curve, one point per bin edge, with each bin's row count as bars underneath.</summary>
    public static GenericChart Line(AccumulatedLocalEffectsExplanation explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        string feature = PlotText.Escape(explanation.Feature);
        var edges = explanation.Edges.ToArray();
        var midpoints = new double[edges.Length - 1];
        var widths = new double[edges.Length - 1];
        for (int k = 0; k < midpoints.Length; k++) { midpoints[k] = (edges[k] + edges[k + 1]) / 2; widths[k] = (edges[k + 1] - edges[k]) * 0.9; }
        var layout = Figure.Layout(
            ("title", Figure.Title($"Accumulated local effects of {feature} on {TargetSelector.TitleLabel(explanation)} ({midpoints.Length} bins)")),
            ("height", 520),
            ("showlegend", false));
        PartialDependenceCharts.StripAxes(layout, feature, "centred effect", "rows per bin", edges[0], edges[^1]);
        return TargetSelector.Combine(explanation, target =>
        {
            var line = Figure.Trace("scatter", ("mode", "lines+markers"), ("x", edges), ("y", explanation.Effects(target)), ("name", "ALE"),
                ("line", Figure.Object(("color", ChartTheme.Positive), ("width", 3))),
                ("hovertemplate", $"{feature} = %{{x:.4g}}<br>effect %{{y:.4g}}<extra></extra>"));
            var counts = Figure.Trace("bar", ("x", midpoints), ("y", explanation.BinCounts.ToArray()), ("width", widths), ("xaxis", "x2"), ("yaxis", "y2"), ("name", "rows per bin"),
                ("marker", Figure.Object(("color", ChartTheme.Neutral))),
                ("hovertemplate", "bin around %{x:.4g}: %{y} rows<extra></extra>"));
            return new TargetSelector.TargetView([line, counts], new Dictionary<string, object>());
        }, layout);
    }
}
