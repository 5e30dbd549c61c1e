using System.Globalization;
using Interactive.Xai.Inspection;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>The activation functions a network uses, over the range their inputs reach (<see cref="ActivationFunctionUsage"/>).</summary>
public static class ActivationFunctionCharts
{
    /// <summary>
    /// One small plot per activation layer: the function's curve (computed by the layer), the range its pre-activations
    /// reached on the data shaded, and the histogram of those pre-activations as bars along the bottom (their height
    /// relative to the largest bin; hover shows the counts).
    /// </summary>
    public static GenericChart Curves(ActivationFunctionUsage usage, int columns = 2)
    {
        ArgumentNullException.ThrowIfNull(usage);
        if (usage.Layers.Length == 0) throw new XaiException("The network has no activation-function layers to draw.");
        string title = $"Activation functions over the inputs they reach: {usage.Layers.Length} layer{(usage.Layers.Length == 1 ? "" : "s")} on a batch of {usage.InputShape.FirstOrDefault()}; shaded: the reached range; bars: the pre-activations' histogram";
        var grid = SmallMultiples.For(usage.Layers.Length, columns, cellHeight: 260, title);
        var traces = new List<Trace>();
        var entries = new List<(string Key, object? Value)>();
        var titles = new List<object>();
        var shapes = new List<object>();
        for (int i = 0; i < usage.Layers.Length; i++)
        {
            var layer = usage.Layers[i];
            var d = layer.PreActivations;
            string s = SmallMultiples.Suffix(i);
            string name = PlotText.Escape(layer.Layer);
            double yMin = 0, yMax = 1;
            if (layer.CurveInputs.Length > 0)
            {
                yMin = layer.CurveOutputs.Min();
                yMax = layer.CurveOutputs.Max();
                if (yMax - yMin < 1e-9) { yMin -= 0.5; yMax += 0.5; }
            }
            double span = yMax - yMin;
            double floor = yMin - 0.05 * span;
            if (d.Counts.Length > 0)
            {
                long largest = d.Counts.Max();
                var centres = Enumerable.Range(0, d.Counts.Length).Select(b => (float)((d.BinEdges[b] + d.BinEdges[b + 1]) / 2)).ToArray();
                var widths = Enumerable.Range(0, d.Counts.Length).Select(b => (float)(d.BinEdges[b + 1] - d.BinEdges[b])).ToArray();
                var heights = d.Counts.Select(c => (float)(0.4 * span * c / Math.Max(1, largest))).ToArray();
                var hover = Enumerable.Range(0, d.Counts.Length).Select(b => string.Create(CultureInfo.InvariantCulture,
                    $"{Figure.Number(d.BinEdges[b])} to {Figure.Number(d.BinEdges[b + 1])}: {d.Counts[b]:N0} pre-activations")).ToArray();
                traces.Add(Figure.Trace("bar", ("x", centres), ("y", heights), ("base", (float)floor), ("width", widths), ("text", hover), ("textposition", "none"),
                    ("hovertemplate", "%{text}<extra></extra>"), ("marker", Figure.Object(("color", ChartTheme.Neutral), ("opacity", 0.45))),
                    ("name", "pre-activations (histogram)"), ("legendgroup", "histogram"), ("showlegend", i == 0), ("xaxis", "x" + s), ("yaxis", "y" + s)));
                shapes.Add(Figure.Object(("type", "rect"), ("xref", "x" + s), ("yref", "y" + s + " domain"), ("x0", d.Minimum), ("x1", d.Maximum), ("y0", 0), ("y1", 1),
                    ("fillcolor", "rgba(0,158,115,0.12)"), ("line", Figure.Object(("width", 1), ("color", ChartTheme.Palette[2]), ("dash", "dot"))), ("layer", "below")));
            }
            if (layer.CurveInputs.Length > 0)
                traces.Add(Figure.Trace("scatter", ("x", Figure.Compact(layer.CurveInputs)), ("y", Figure.Compact(layer.CurveOutputs)), ("mode", "lines"),
                    ("line", Figure.Object(("color", ChartTheme.Palette[0]), ("width", 2.5))), ("name", "the function"), ("legendgroup", "curve"), ("showlegend", i == 0),
                    ("hovertemplate", $"{PlotText.Escape(layer.FunctionType)}(%{{x:.3g}}) = %{{y:.3g}}<extra></extra>"), ("xaxis", "x" + s), ("yaxis", "y" + s)));
            string label = d.Count == 0
                ? $"{name} ({PlotText.Escape(layer.FunctionType)}): no finite inputs"
                : string.Create(CultureInfo.InvariantCulture, $"{name} ({PlotText.Escape(layer.FunctionType)}): inputs {Figure.Number(d.Minimum)} to {Figure.Number(d.Maximum)}, {layer.NegativeFraction:0%} below 0");
            var (x, y, t) = grid.Plot(i, Figure.Axis("pre-activation"), Figure.Axis("output", ("range", new[] { floor, yMax + 0.05 * span })), label);
            entries.Add(x);
            entries.Add(y);
            titles.Add(t);
        }
        var layout = Figure.Layout([("title", Figure.Title(title)), .. entries, ("annotations", titles.ToArray()), ("shapes", shapes.ToArray()),
            ("bargap", 0), ("height", grid.Height), ("margin", Figure.Object(("l", 10), ("r", 10), ("t", grid.Top), ("b", grid.Bottom))),
            ("legend", Figure.Object(("x", 1.02), ("xanchor", "left"), ("y", 1.0), ("yanchor", "top")))]);
        return Figure.Chart(traces, layout);
    }
}
