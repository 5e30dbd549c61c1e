using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Charts for partial dependence (1-D with ICE curves, and 2-D).</summary>
public static class PartialDependenceCharts
{
    /// <summary>
    /// The partial dependence curve over up to <paramref name="maxIceCurves"/> ICE curves (an evenly spaced subset
    /// of the rows whose curves the explanation kept), with a histogram of the feature's values underneath (the
    /// explanation's binned counts, or its raw feature values when it has no counts). Centred ICE subtracts each curve's value at the
    /// first grid point, so differences in shape stand out from differences in level.
    /// </summary>
    public static GenericChart Line(PartialDependenceExplanation explanation, bool centered = false, int maxIceCurves = 100)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        ArgumentOutOfRangeException.ThrowIfNegative(maxIceCurves);
        string feature = PlotText.Escape(explanation.Feature);
        var grid = explanation.Grid.ToArray();
        var kept = explanation.IceRows;
        var positions = SubsetRows(kept.Length, maxIceCurves);
        var layout = Figure.Layout(
            ("title", Figure.Title($"{(centered ? "Centred partial dependence" : "Partial dependence")} of {TargetSelector.TitleLabel(explanation)} on {feature}")),
            ("height", 520),
            ("showlegend", true),
            ("legend", Figure.Object(("orientation", "h"), ("x", 0.0), ("y", -0.16), ("yanchor", "top"))));
        StripAxes(layout, feature, centered ? "change from first grid point" : "model output", "rows", grid[0], grid[^1]);
        return TargetSelector.Combine(explanation, target =>
        {
            var traces = new List<Trace>();
            var average = explanation.Average(target);
            double averageShift = centered ? average[0] : 0;
            bool firstIce = true;
            foreach (int position in positions)
            {
                int r = kept[position];
                var ice = explanation.IceAt(position, target);
                double shift = centered ? ice[0] : 0;
                traces.Add(Figure.Trace("scatter", ("mode", "lines"), ("x", grid), ("y", ice.Select(v => v - shift).ToArray()),
                    ("name", "ICE (one row each)"), ("legendgroup", "ice"), ("showlegend", firstIce),
                    ("line", Figure.Object(("color", "rgba(86,180,233,0.35)"), ("width", 1))),
                    ("hovertemplate", $"row {r}<br>{feature} = %{{x:.4g}}<br>%{{y:.4g}}<extra></extra>")));
                firstIce = false;
            }
            traces.Add(Figure.Trace("scatter", ("mode", "lines+markers"), ("x", grid), ("y", average.Select(v => v - averageShift).ToArray()),
                ("name", "partial dependence (mean)"), ("line", Figure.Object(("color", ChartTheme.Positive), ("width", 3))),
                ("hovertemplate", $"{feature} = %{{x:.4g}}<br>mean %{{y:.4g}}<extra></extra>")));
            traces.Add(Distribution(explanation, feature));
            return new TargetSelector.TargetView(traces, new Dictionary<string, object>());
        }, layout);
    }

    /// <summary>Two-feature partial dependence as a heatmap (or filled contour) over the grid.</summary>
    public static GenericChart Surface(PartialDependence2DExplanation explanation, bool contour = false)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        string fx = PlotText.Escape(explanation.Features[0]), fy = PlotText.Escape(explanation.Features[1]);
        var layout = Figure.Layout(
            ("title", Figure.Title($"Partial dependence of {TargetSelector.TitleLabel(explanation)} on {fx} and {fy}")),
            ("xaxis", Figure.Axis(fx)),
            ("yaxis", Figure.Axis(fy)));
        return TargetSelector.Combine(explanation, target =>
        {
            // Plotly's z is [y index][x index].
            var z = new double[explanation.GridY.Length][];
            for (int j = 0; j < z.Length; j++)
            {
                z[j] = new double[explanation.GridX.Length];
                for (int i = 0; i < explanation.GridX.Length; i++) z[j][i] = explanation.Average(i, j, target);
            }
            var trace = Figure.Trace(contour ? "contour" : "heatmap", ("x", explanation.GridX.ToArray()), ("y", explanation.GridY.ToArray()), ("z", z),
                ("colorscale", ChartTheme.SequentialScale), ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("mean output")), ("thickness", 12))),
                ("hovertemplate", $"{fx} = %{{x:.4g}}<br>{fy} = %{{y:.4g}}<br>mean output %{{z:.4g}}<extra></extra>"));
            return new TargetSelector.TargetView([trace], new Dictionary<string, object>());
        }, layout);
    }

    /// <summary>
    /// A main plot (x, y) over a strip of counts (x2, y2) that shares its x axis: the strip carries the x tick labels and
    /// title, the main plot none, so no label falls on the other plot; both show <paramref name="low"/>..<paramref name="high"/> (2 % padding).
    /// </summary>
    internal static void StripAxes(Layout layout, string feature, string mainTitle, string stripTitle, double low, double high)
    {
        double pad = (high - low) * 0.02;
        if (pad == 0) pad = 0.5;
        var range = new[] { low - pad, high + pad };
        layout.SetProperty("xaxis", Figure.Axis("", ("anchor", "y"), ("range", range), ("showticklabels", false)));
        layout.SetProperty("xaxis2", Figure.Axis(feature, ("anchor", "y2"), ("matches", "x"), ("range", range)));
        layout.SetProperty("yaxis", Figure.Axis(mainTitle, ("domain", new[] { 0.3, 1.0 }), ("anchor", "x")));
        layout.SetProperty("yaxis2", Figure.Axis(stripTitle, ("domain", new[] { 0.0, 0.22 }), ("anchor", "x2"), ("showgrid", false), ("nticks", 3), ("rangemode", "tozero")));
    }

    /// <summary>The strip under the curve: bars of the explanation's binned counts, or a histogram of raw values.</summary>
    private static Trace Distribution(PartialDependenceExplanation explanation, string feature)
    {
        if (explanation.HistogramCounts.IsDefaultOrEmpty && !explanation.FeatureValues.IsDefaultOrEmpty)
            return Figure.Trace("histogram", ("x", explanation.FeatureValues.ToArray()), ("xaxis", "x2"), ("yaxis", "y2"), ("name", "data distribution"),
                ("marker", Figure.Object(("color", ChartTheme.Neutral))), ("showlegend", false),
                ("hovertemplate", $"{feature} %{{x}}: %{{y}} rows<extra></extra>"));
        var edges = explanation.HistogramEdges;
        int bins = explanation.HistogramCounts.IsDefault ? 0 : explanation.HistogramCounts.Length;
        var midpoints = new double[bins];
        var widths = new double[bins];
        for (int b = 0; b < bins; b++) { midpoints[b] = (edges[b] + edges[b + 1]) / 2; widths[b] = edges[b + 1] - edges[b]; }
        return Figure.Trace("bar", ("x", midpoints), ("y", bins == 0 ? Array.Empty<int>() : explanation.HistogramCounts.ToArray()), ("width", widths),
            ("xaxis", "x2"), ("yaxis", "y2"), ("name", "data distribution"),
            ("marker", Figure.Object(("color", ChartTheme.Neutral))), ("showlegend", false),
            ("hovertemplate", $"{feature} around %{{x:.4g}}: %{{y}} rows<extra></extra>"));
    }

    internal static int[] SubsetRows(int rowCount, int max)
    {
        if (rowCount <= max) return Enumerable.Range(0, rowCount).ToArray();
        return Enumerable.Range(0, max).Select(i => (int)((long)i * rowCount / max)).ToArray();
    }
}
