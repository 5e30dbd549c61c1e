using System.Globalization;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>
/// SHAP force plots (as the shap library draws them) from an <see cref="AttributionExplanation"/>: one row as arrows
/// along the output axis from the base value to the prediction, and many rows' force plots stacked side by side.
/// Vermillion pushes the output up, blue pushes it down.
/// </summary>
public static class ForceCharts
{
    /// <summary>Features drawn as their own bands in a stacked force plot; the rest share one "other" band per side.</summary>
    public const int MaxStackedFeatures = 10;

    /// <summary>
    /// One row's force plot. The largest contributions (<paramref name="maxLabelled"/>, each at least 2 % of the
    /// total) are labelled "name = value" below the bar; the rest of each sign are merged into one "other" segment.
    /// </summary>
    public static GenericChart Force(AttributionExplanation explanation, int row, int target = 0, int maxLabelled = 8)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        var force = ForcePlot.Row(explanation, row, target, maxLabelled);
        string output = TargetSelector.OutputLabel(explanation, target);
        var segments = force.Positive.Concat(force.Negative).ToArray();
        double low = Math.Min(force.BaseValue, force.Positive.IsEmpty ? force.Prediction : force.Positive[^1].Start);
        double high = Math.Max(force.BaseValue, force.Negative.IsEmpty ? force.Prediction : force.Negative[^1].End);
        double span = Math.Max(high - low, 1e-12 + Math.Abs(force.Prediction) * 1e-6);
        double pad = 0.06 * span;
        double tip = 0.012 * span;
        var traces = new List<Trace>();
        foreach (var s in segments)
        {
            // a chevron pointing the way the contribution pushes (right for up, left for down)
            bool up = s.Value > 0;
            double a = Math.Min(tip, 0.45 * (s.End - s.Start));
            double[] x = up
                ? [s.Start, s.End - a, s.End, s.End - a, s.Start, s.Start + a, s.Start]
                : [s.End, s.Start + a, s.Start, s.Start + a, s.End, s.End - a, s.End];
            double[] y = [-0.3, -0.3, 0, 0.3, 0.3, 0, -0.3];
            string name = PlotText.Escape(s.Name);
            string hover = s.IsOther
                ? $"{name}: {Signed(s.Value)}"
                : $"{name} = {Figure.Number(s.FeatureValue)}<br>contribution {Signed(s.Value)}";
            traces.Add(Figure.Trace("scatter", ("x", x), ("y", y), ("mode", "lines"), ("fill", "toself"),
                ("fillcolor", up ? ChartTheme.Positive : ChartTheme.Negative), ("line", Figure.Object(("color", "#FFFFFF"), ("width", 1))),
                ("hoveron", "fills"), ("text", hover), ("hoverinfo", "text"), ("name", name), ("showlegend", false)));
        }

        // Labels below the bar with leader lines, in as many lanes as needed so no two overlap (widths estimated
        // for a plot about 800 px wide at 12 px text).
        var annotations = new List<object>();
        const double plotPixels = 800, charPixels = 7;
        double pixelsPerUnit = plotPixels / (span + 2 * pad);
        var lanes = new List<double>(); // the right edge (px) of the last label in each lane
        foreach (var s in segments.OrderBy(s => (s.Start + s.End) / 2))
        {
            string text = s.IsOther ? PlotText.Escape(s.Name) : $"{PlotText.Escape(s.Name)} = {Figure.Number(s.FeatureValue)}";
            double centre = ((s.Start + s.End) / 2 - (low - pad)) * pixelsPerUnit;
            double width = Visible(text) * charPixels + 8;
            double left = Math.Clamp(centre - width / 2, 0, Math.Max(0, plotPixels - width));
            int lane = lanes.FindIndex(edge => edge + 6 <= left);
            if (lane < 0) { lanes.Add(0); lane = lanes.Count - 1; }
            lanes[lane] = left + width;
            annotations.Add(Figure.Object(("x", (s.Start + s.End) / 2), ("y", -0.3), ("xref", "x"), ("yref", "y"), ("text", text),
                ("showarrow", true), ("arrowhead", 0), ("arrowwidth", 1), ("arrowcolor", "#9A9A9A"), ("ax", (left + width / 2) - centre), ("ay", 22 + 20 * lane),
                ("font", Figure.Object(("size", 12), ("color", s.Value > 0 ? ChartTheme.Positive : ChartTheme.Negative))), ("bgcolor", "rgba(255,255,255,0.85)")));
        }
        // f(x) and the base value above the bar, each centred on its line unless that would leave the plot; when
        // the two are too close to share a line, the base value's label goes one line higher.
        double PixelOf(double value) => (value - (low - pad)) * pixelsPerUnit;
        string Anchor(string text, double value) => PixelOf(value) - Visible(text) * 4 < 0 ? "left" : PixelOf(value) + Visible(text) * 4 > plotPixels ? "right" : "center";
        string predictionText = $"<b>f(x) = {Figure.Number(force.Prediction)}</b>", baseText = $"base value {Figure.Number(force.BaseValue)}";
        annotations.Add(Figure.Object(("x", force.Prediction), ("y", 0.4), ("xref", "x"), ("yref", "y"), ("yanchor", "bottom"), ("showarrow", false),
            ("xanchor", Anchor(predictionText, force.Prediction)), ("text", predictionText), ("font", Figure.Object(("size", 13)))));
        bool close = Math.Abs(PixelOf(force.BaseValue) - PixelOf(force.Prediction)) < (Visible(predictionText) + Visible(baseText)) * 4 + 12;
        annotations.Add(Figure.Object(("x", force.BaseValue), ("y", 0.4), ("xref", "x"), ("yref", "y"), ("yanchor", "bottom"), ("showarrow", false),
            ("xanchor", Anchor(baseText, force.BaseValue)), ("yshift", close ? 22 : 0),
            ("text", baseText), ("font", Figure.Object(("size", 12), ("color", ChartTheme.Neutral)))));
        var shapes = new object[]
        {
            Figure.Object(("type", "line"), ("x0", force.BaseValue), ("x1", force.BaseValue), ("y0", -0.38), ("y1", 0.38), ("line", Figure.Object(("color", ChartTheme.Neutral), ("width", 1.5), ("dash", "dot")))),
            Figure.Object(("type", "line"), ("x0", force.Prediction), ("x1", force.Prediction), ("y0", -0.38), ("y1", 0.38), ("line", Figure.Object(("color", "#222"), ("width", 2)))),
        };
        string gap = force.Gap > 1e-6 * Math.Max(1, Math.Abs(force.Prediction)) ? $"; the values miss the prediction by {Figure.Number(force.Gap)}" : "";
        int laneCount = Math.Max(1, lanes.Count);
        var layout = Figure.Layout(
            ("title", Figure.Title($"Force plot of row {row} ({output}): base value {Figure.Number(force.BaseValue)} → f(x) = {Figure.Number(force.Prediction)}" +
                $"<br><sub>vermillion pushes the output higher ({Signed(force.PushUp)}), blue lower ({Signed(force.PushDown)}){gap}</sub>")),
            ("xaxis", Figure.Axis("", ("range", new[] { low - pad, high + pad }), ("zeroline", false), ("side", "top"))),
            ("yaxis", Figure.Axis("", ("range", new[] { -0.42, 0.9 }), ("visible", false), ("fixedrange", true))),
            ("annotations", annotations.ToArray()),
            ("shapes", shapes),
            ("height", 260 + 20 * laneCount),
            ("margin", Figure.Object(("l", 30), ("r", 30), ("b", 36 + 20 * laneCount))),
            ("showlegend", false));
        return Figure.Chart(traces, layout);
    }

    /// <summary>
    /// Many rows' force plots side by side (x = rows in <paramref name="order"/>, y = output): for each row the
    /// contributions that push up fill the band below its prediction, those that push down the band above, the
    /// largest features (by mean |value|) nearest the prediction line. Features beyond
    /// <see cref="MaxStackedFeatures"/> share an "other" band.
    /// </summary>
    public static GenericChart Stacked(AttributionExplanation explanation, ForceOrder order = ForceOrder.Similarity, int target = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        if (explanation.RowCount == 0) throw new XaiException("a stacked force plot needs at least one explained row");
        var rows = ForcePlot.Order(explanation, order, target, cancellationToken);
        int n = rows.Length, m = explanation.FeatureCount;
        var importance = explanation.MeanAbsoluteValues(target);
        var ranked = Enumerable.Range(0, m).OrderByDescending(f => importance[f]).ThenBy(f => f).ToArray();
        var bands = ranked.Take(MaxStackedFeatures).Select(f => (Name: PlotText.Escape(explanation.FeatureNames[f]), Features: new[] { f })).ToList();
        if (m > MaxStackedFeatures) bands.Add(($"other ({m - MaxStackedFeatures} features)", ranked.Skip(MaxStackedFeatures).ToArray()));
        var x = Enumerable.Range(0, n).Select(p => (double)p).ToArray();
        var prediction = rows.Select(r => explanation.Prediction(r, target)).ToArray();
        var traces = new List<Trace>();
        foreach (bool up in new[] { true, false })
        {
            var edge = (double[])prediction.Clone();
            foreach (var (name, features) in bands)
            {
                var inner = (double[])edge.Clone();
                for (int p = 0; p < n; p++)
                {
                    double v = features.Sum(f => explanation.Value(rows[p], f, target));
                    if (up && v > 0) edge[p] -= v;
                    else if (!up && v < 0) edge[p] -= v;
                }
                if (inner.SequenceEqual(edge)) continue;
                // the band: its inner edge left to right, then its outer edge back
                var px = x.Concat(x.Reverse()).ToArray();
                var py = inner.Concat(edge.Reverse()).ToArray();
                traces.Add(Figure.Trace("scatter", ("x", px), ("y", Figure.Compact(py)), ("mode", "lines"), ("fill", "toself"),
                    ("fillcolor", up ? ChartTheme.Positive : ChartTheme.Negative), ("line", Figure.Object(("color", "#FFFFFF"), ("width", 0.6))),
                    ("hoveron", "fills"), ("text", $"{name} {(up ? "pushes up" : "pushes down")}"), ("hoverinfo", "text"), ("name", name), ("showlegend", false)));
            }
        }
        var hover = rows.Select(r =>
        {
            var top = Enumerable.Range(0, m).OrderByDescending(f => Math.Abs(explanation.Value(r, f, target))).Take(3)
                .Select(f => $"{PlotText.Escape(explanation.FeatureNames[f])} {Signed(explanation.Value(r, f, target))}");
            return $"row {r}: f(x) = {Figure.Number(explanation.Prediction(r, target))}<br>{string.Join("<br>", top)}";
        }).ToArray();
        traces.Add(Figure.Trace("scatter", ("x", x), ("y", Figure.Compact(prediction)), ("mode", n <= 60 ? "lines+markers" : "lines"), ("name", "f(x)"),
            ("line", Figure.Object(("color", "#222"), ("width", 1.5))), ("marker", Figure.Object(("size", 4), ("color", "#222"))),
            ("text", hover), ("hoverinfo", "text"), ("customdata", rows.ToArray()), ("showlegend", false)));
        string output = TargetSelector.OutputLabel(explanation, target);
        string ordered = order switch
        {
            ForceOrder.Similarity => "ordered by similarity of their attributions",
            ForceOrder.Prediction => "ordered by prediction",
            _ => "in input order",
        };
        double baseValue = explanation.BaseValue(target);
        var xaxis = n <= 30
            ? Figure.Axis($"rows ({ordered})", ("tickvals", x), ("ticktext", rows.Select(r => r.ToString(CultureInfo.InvariantCulture)).ToArray()), ("showgrid", false), ("range", new[] { -0.5, n - 0.5 }))
            : Figure.Axis($"rows ({ordered}; hover for the row number)", ("showgrid", false), ("range", new[] { -0.5, n - 0.5 }));
        var layout = Figure.Layout(
            ("title", Figure.Title($"Stacked force plots of {n} rows ({output}): base value {Figure.Number(baseValue)}" +
                "<br><sub>vermillion below f(x) pushes it up, blue above pushes it down; dotted: base value</sub>")),
            ("xaxis", xaxis),
            ("yaxis", Figure.Axis(output, ("zeroline", false))),
            ("shapes", new object[]
            {
                Figure.Object(("type", "line"), ("xref", "paper"), ("x0", 0), ("x1", 1), ("y0", baseValue), ("y1", baseValue),
                    ("line", Figure.Object(("color", ChartTheme.Neutral), ("width", 1), ("dash", "dot")))),
            }),
            ("height", 480),
            ("showlegend", false),
            ("hovermode", "closest"));
        return Figure.Chart(traces, layout);
    }

    private static string Signed(double value) => (value >= 0 ? "+" : "−") + Figure.Number(Math.Abs(value));

    private static int Visible(string text) => System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(text, "<[^>]*>", "")).Length;
}
