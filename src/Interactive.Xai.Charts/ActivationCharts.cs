using System.Globalization;
using Interactive.Xai.Inspection;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Charts of captured activations: per-layer distributions, dead-ReLU fractions, feature-map grids and recurrent hidden states.</summary>
public static class ActivationCharts
{
    /// <summary>Most values per layer drawn in the distribution chart (an even stride through the layer's values beyond that).</summary>
    public const int MaxValuesPerLayer = 4000;

    /// <summary>One box per layer (median, quartiles, whiskers) of its output values for the batch, in execution order.</summary>
    public static GenericChart Distributions(ActivationCapture capture)
    {
        ArgumentNullException.ThrowIfNull(capture);
        var traces = new List<Trace>();
        for (int i = 0; i < capture.Layers.Length; i++)
        {
            var layer = capture.Layers[i];
            int stride = Math.Max(1, (layer.Values.Length + MaxValuesPerLayer - 1) / MaxValuesPerLayer);
            var values = new List<float>();
            for (int v = 0; v < layer.Values.Length; v += stride) values.Add(layer.Values[v]);
            string name = PlotText.Escape(layer.Name);
            traces.Add(Figure.Trace("box", ("y", values.ToArray()), ("name", name), ("boxpoints", false),
                ("marker", Figure.Object(("color", ChartTheme.Palette[i % (ChartTheme.Palette.Count - 1)]))),
                ("hovertext", $"{name} ({PlotText.Escape(layer.LayerType)}) [{string.Join(" x ", layer.Shape)}]<br>mean {Figure.Number(layer.Statistics.Mean)}, std {Figure.Number(layer.Statistics.StandardDeviation)}, zero {Figure.Number(layer.Statistics.ZeroFraction)}")));
        }
        var layout = Figure.Layout(
            ("title", Figure.Title($"Activation distributions per layer ({BatchText(capture)})")),
            ("xaxis", Figure.Axis("layer", ("type", "category"))),
            ("yaxis", Figure.Axis("activation")),
            ("showlegend", false));
        return Figure.Chart(traces, layout);
    }

    /// <summary>
    /// For every rectifier layer, the fraction of its units that output zero for every input of the batch (dead
    /// ReLUs), as bars; layers where all units are dead are marked.
    /// </summary>
    public static GenericChart DeadUnits(ActivationCapture capture)
    {
        ArgumentNullException.ThrowIfNull(capture);
        var layers = capture.Layers.Where(l => l.DeadFraction is not null).ToArray();
        var names = layers.Select(l => PlotText.Escape(l.Name)).ToArray();
        var fractions = layers.Select(l => l.DeadFraction!.Value).ToArray();
        var trace = Figure.Trace("bar", ("x", names), ("y", Figure.Compact(fractions)),
            ("text", fractions.Select(f => (100 * f).ToString("0", CultureInfo.InvariantCulture) + "%").ToArray()), ("textposition", "outside"),
            ("marker", Figure.Object(("color", fractions.Select(f => f >= 0.5 ? ChartTheme.Positive : ChartTheme.Palette[0]).ToArray()))),
            ("hovertemplate", "%{x}<br>%{y:.1%} of units never active<extra></extra>"));
        var layout = Figure.Layout(
            ("title", Figure.Title(layers.Length == 0 ? "No rectifier (ReLU) layers" : $"Dead ReLU units (zero for every input of the batch; {BatchText(capture)})")),
            ("xaxis", Figure.Axis("layer", ("type", "category"))),
            ("yaxis", Figure.Axis("fraction of units", ("range", new[] { 0.0, 1.1 }), ("tickformat", ".0%"))));
        return Figure.Chart([trace], layout);
    }

    /// <summary>The feature maps [channels, height, width] of one input as a grid of small heatmaps, one colour scale for all.</summary>
    /// <exception cref="XaiException">The layer's output is not feature maps of rank 4, or the input does not exist.</exception>
    public static GenericChart FeatureMaps(LayerActivation layer, int sample = 0, int maxChannels = 64, int columns = 8)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.Shape.Length != 4) throw new XaiException($"Layer '{layer.Name}' output [{string.Join(" x ", layer.Shape)}] is not [batch, channels, height, width] feature maps.");
        var values = layer.Sample(sample);
        int channels = (int)layer.Shape[1], height = (int)layer.Shape[2], width = (int)layer.Shape[3], size = height * width;
        int shown = Math.Min(channels, maxChannels);
        var tiles = Enumerable.Range(0, shown).Select(c => values.AsSpan(c * size, size).ToArray()).ToArray();
        var (z, _, cols) = Mosaic.Build(tiles, height, width, columns);
        var (x, y) = Mosaic.ImageAxes();
        var trace = Figure.Trace("heatmap", ("z", z), ("colorscale", ChartTheme.SequentialScale),
            ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("activation")), ("thickness", 12))),
            ("hovertemplate", "%{z:.4g}<extra></extra>"));
        string title = $"{PlotText.Escape(layer.Name)} ({PlotText.Escape(layer.LayerType)}): {(shown < channels ? $"first {shown} of {channels}" : channels.ToString(CultureInfo.InvariantCulture))} feature maps {height}x{width}, input {sample}";
        var (chartHeight, margin) = Mosaic.Size(z, title, plotWidth: 900, maxHeight: 1200);
        var layout = Figure.Layout(
            ("title", Figure.Title(title)),
            ("xaxis", x), ("yaxis", y),
            ("annotations", Mosaic.Labels(Enumerable.Range(0, shown).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray(), height, width, cols)),
            ("height", chartHeight), ("margin", margin));
        return Figure.Chart([trace], layout);
    }

    /// <summary>A recurrent layer's hidden states for one input: time steps across, hidden units down, diverging colours centred on 0.</summary>
    /// <exception cref="XaiException">The layer is not recurrent, or the input does not exist.</exception>
    public static GenericChart HiddenStates(LayerActivation layer, int sample = 0)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var states = layer.HiddenStates(sample);
        int steps = layer.TimeSteps, hidden = (int)layer.Shape[2];
        var z = new float[hidden][];
        double extent = 0;
        for (int h = 0; h < hidden; h++)
        {
            z[h] = new float[steps];
            for (int t = 0; t < steps; t++) { z[h][t] = states[t * hidden + h]; extent = Math.Max(extent, Math.Abs(z[h][t])); }
        }
        var trace = Figure.Trace("heatmap", ("z", z), ("x", Enumerable.Range(0, steps).ToArray()), ("y", Enumerable.Range(0, hidden).ToArray()),
            ("colorscale", ChartTheme.DivergingScale), ("zmid", 0.0), ("zmin", -extent), ("zmax", extent),
            ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("state")), ("thickness", 12))),
            ("hovertemplate", "step %{x}, unit %{y}: %{z:.4g}<extra></extra>"));
        var layout = Figure.Layout(
            ("title", Figure.Title($"{PlotText.Escape(layer.Name)} ({PlotText.Escape(layer.LayerType)}): hidden states of input {sample} over {steps} steps")),
            ("xaxis", Figure.Axis("time step")),
            ("yaxis", Figure.Axis("hidden unit", ("autorange", "reversed"))),
            ("height", Math.Clamp(200 + 10 * hidden, 300, 900)));
        return Figure.Chart([trace], layout);
    }

    private static string BatchText(ActivationCapture capture)
        => capture.Layers.Length == 0 ? "no layers" : $"batch of {capture.Layers[0].BatchSize}";
}
