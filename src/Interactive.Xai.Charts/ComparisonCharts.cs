using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Several attribution methods' values for the same row, side by side.</summary>
public static class ComparisonCharts
{
    /// <summary>
    /// Grouped horizontal bars: one bar per method for each feature (features ordered by the largest |value| over the
    /// methods, at most <paramref name="maxFeatures"/>), for the first target of row <paramref name="row"/> of each explanation.
    /// </summary>
    /// <param name="explanations">The methods' explanations of the same rows.</param>
    /// <param name="row">The row of the explanations to draw (0 when each explanation holds only that row).</param>
    /// <param name="maxFeatures">The most features drawn.</param>
    /// <param name="rowLabel">The row's number in the user's data, for the title, when it differs from
    /// <paramref name="row"/> (an explanation of a selected row holds it as its row 0); null shows <paramref name="row"/>.</param>
    public static GenericChart Bars(IReadOnlyList<AttributionExplanation> explanations, int row, int maxFeatures = 20, int? rowLabel = null)
    {
        ArgumentNullException.ThrowIfNull(explanations);
        if (explanations.Count == 0) throw new ArgumentException("Give at least one explanation.", nameof(explanations));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFeatures, 1);
        foreach (var e in explanations)
            if ((uint)row >= (uint)e.RowCount) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is outside 0..{e.RowCount - 1} of {e.Method}");
        var names = explanations[0].FeatureNames;
        int features = names.Length;
        var largest = new double[features];
        foreach (var e in explanations)
            for (int f = 0; f < features; f++) largest[f] = Math.Max(largest[f], Math.Abs(e.Value(row, f, 0)));
        var order = Enumerable.Range(0, features).OrderByDescending(f => largest[f]).Take(maxFeatures).Reverse().ToArray();
        var labels = order.Select(f => PlotText.Escape(names[f])).ToArray();
        var traces = explanations.Select((e, k) => (Trace)Figure.Trace("bar",
            ("orientation", "h"), ("name", PlotText.Escape(e.Method)),
            ("x", Figure.Compact(order.Select(f => e.Value(row, f, 0)))), ("y", labels),
            ("marker", Figure.Object(("color", ChartTheme.Palette[k % ChartTheme.Palette.Count]))),
            ("hovertemplate", "%{y}: %{x:.4g}<extra>" + PlotText.Escape(e.Method) + "</extra>"))).ToList();
        var layout = Figure.Layout(
            ("title", Figure.Title($"Attributions of row {rowLabel ?? row} by method ({PlotText.Escape(explanations[0].OutputNames[0])})")),
            ("barmode", "group"),
            ("xaxis", Figure.Axis("attribution (output units)")),
            ("yaxis", Figure.Axis("", ("type", "category"))),
            ("height", 140 + (12 + 8 * explanations.Count) * order.Length),
            ("showlegend", true));
        return Figure.Chart(traces, layout);
    }
}
