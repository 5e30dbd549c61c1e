using Interactive.Xai.Inspection;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>The gradient-flow chart: per-layer gradient magnitudes on a log scale with vanishing and exploding layers marked.</summary>
public static class GradientFlowCharts
{
    /// <summary>
    /// Bars per layer in execution order: mean and largest |gradient| of the layer's weights, and mean |gradient| of
    /// its output, on a log axis. Vanishing and exploding layers get an annotation; the exploding limit is a dashed line.
    /// Zero gradients cannot be drawn on a log axis and are annotated as zero.
    /// </summary>
    public static GenericChart Bars(GradientFlow flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        var names = flow.Layers.Select(l => PlotText.Escape(l.Name)).ToArray();
        static object?[] Values(IEnumerable<double?> values) => values.Select(v => v is { } d && d > 0 && double.IsFinite(d) ? (object)(float)d : null).ToArray();
        var traces = new List<Trace>
        {
            Figure.Trace("bar", ("name", "weights: mean |grad|"), ("x", names), ("y", Values(flow.Layers.Select(l => l.Weights?.MeanAbsolute))),
                ("marker", Figure.Object(("color", ChartTheme.Palette[0]))), ("hovertemplate", "%{x}<br>weights mean |grad| %{y:.3e}<extra></extra>")),
            Figure.Trace("bar", ("name", "weights: max |grad|"), ("x", names), ("y", Values(flow.Layers.Select(l => l.Weights?.MaxAbsolute))),
                ("marker", Figure.Object(("color", ChartTheme.Palette[5]))), ("hovertemplate", "%{x}<br>weights max |grad| %{y:.3e}<extra></extra>")),
            Figure.Trace("bar", ("name", "output: mean |grad|"), ("x", names), ("y", Values(flow.Layers.Select(l => l.Activations?.MeanAbsolute))),
                ("marker", Figure.Object(("color", ChartTheme.Palette[1]))), ("hovertemplate", "%{x}<br>output mean |grad| %{y:.3e}<extra></extra>")),
        };
        var annotations = new List<object>();
        foreach (var layer in flow.Layers)
        {
            string? text = (layer.WeightHealth, layer.ActivationHealth) switch
            {
                (GradientHealth.Exploding, _) or (_, GradientHealth.Exploding) => "exploding",
                (GradientHealth.Vanishing, _) or (_, GradientHealth.Vanishing) => "vanishing",
                _ => null,
            };
            bool zero = layer.Weights is { MeanAbsolute: 0 } || (layer.Weights is null && layer.Activations is { MeanAbsolute: 0 });
            if (text is null && !zero) continue;
            annotations.Add(Figure.Object(("x", PlotText.Escape(layer.Name)), ("yref", "paper"), ("y", 1.0), ("yanchor", "bottom"),
                ("text", $"<b>{text ?? "zero"}</b>"), ("showarrow", true), ("arrowhead", 2), ("ay", -24),
                ("font", Figure.Object(("color", text == "exploding" ? ChartTheme.Positive : text == "vanishing" ? ChartTheme.Negative : ChartTheme.Neutral)))));
        }
        int warnings = flow.Warnings().Count;
        var layout = Figure.Layout(
            ("title", Figure.Title($"Gradient flow: loss {Figure.Number(flow.Loss)} on a batch of {flow.BatchSize}; {(warnings == 0 ? "no warnings" : $"{warnings} warning{(warnings == 1 ? "" : "s")}")} (vanishing below {Figure.Number(flow.VanishingRatio)} of the largest layer, exploding above {Figure.Number(flow.ExplodingLimit)})")),
            ("barmode", "group"),
            ("xaxis", Figure.Axis("layer (execution order)", ("type", "category"))),
            ("yaxis", Figure.Axis("|gradient|", ("type", "log"), ("exponentformat", "power"))),
            ("annotations", annotations.ToArray()),
            ("shapes", new[] { Figure.Object(("type", "line"), ("xref", "paper"), ("x0", 0), ("x1", 1), ("y0", flow.ExplodingLimit), ("y1", flow.ExplodingLimit),
                ("line", Figure.Object(("color", ChartTheme.Positive), ("dash", "dash"), ("width", 1)))) }),
            ("margin", Figure.Object(("l", 10), ("r", 10), ("t", 90), ("b", 50))));
        return Figure.Chart(traces, layout);
    }
}
