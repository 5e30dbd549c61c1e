using System.Globalization;
using Interactive.Xai.Inspection;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Activation-maximisation results as a grid of images.</summary>
public static class FeatureVisualizationCharts
{
    /// <summary>
    /// The optimised inputs as greyscale images in a grid, each normalised to [0, 1] by its own range and labelled with
    /// its unit and the activation it reached from the random start. Inputs with several channels show their mean;
    /// 1-D inputs are one row of pixels.
    /// </summary>
    /// <exception cref="XaiException">There are no visualisations, or their input shapes differ.</exception>
    public static GenericChart Images(IReadOnlyList<FeatureVisualization> visualizations, int columns = 6)
    {
        ArgumentNullException.ThrowIfNull(visualizations);
        if (visualizations.Count == 0) throw new XaiException("There are no feature visualisations to draw.");
        var shape = visualizations[0].InputShape;
        if (visualizations.Any(v => !v.InputShape.SequenceEqual(shape)))
            throw new XaiException("The feature visualisations have different input shapes and cannot share a grid.");
        int channels = shape.Length >= 3 ? (int)shape[0] : 1;
        int height = shape.Length >= 2 ? (int)shape[^2] : 1, width = (int)shape[^1], size = height * width;
        var tiles = visualizations.Select(v =>
        {
            var image = new float[size];
            for (int i = 0; i < size; i++)
            {
                float sum = 0;
                for (int c = 0; c < channels; c++) sum += v.Input[c * size + i];
                image[i] = sum / channels;
            }
            return Mosaic.Normalise(image);
        }).ToArray();
        var (z, _, cols) = Mosaic.Build(tiles, height, width, columns);
        var (x, y) = Mosaic.ImageAxes();
        var labels = visualizations.Select(v => $"{PlotText.Escape(v.Layer)} #{v.Unit.ToString(CultureInfo.InvariantCulture)}: {Figure.Number(v.StartActivation)} → {Figure.Number(v.FinalActivation)}").ToArray();
        var trace = Figure.Trace("heatmap", ("z", z), ("colorscale", "Greys"), ("reversescale", true), ("zmin", 0.0), ("zmax", 1.0), ("showscale", false),
            ("hovertemplate", "%{z:.3f}<extra></extra>"));
        var layout = Figure.Layout(
            ("title", Figure.Title($"Feature visualisation: inputs that maximise each unit ({visualizations.Count} image{(visualizations.Count == 1 ? "" : "s")})")),
            ("xaxis", x), ("yaxis", y),
            ("annotations", Mosaic.Labels(labels, height, width, cols)),
            ("height", Math.Clamp(160 + 160 * ((visualizations.Count + cols - 1) / cols), 300, 1200)));
        return Figure.Chart([trace], layout);
    }

    /// <summary>The objective (activation minus penalties) over the optimisation steps, one line per visualisation.</summary>
    public static GenericChart Progress(IReadOnlyList<FeatureVisualization> visualizations)
    {
        ArgumentNullException.ThrowIfNull(visualizations);
        var traces = visualizations.Select((v, i) => (Trace)Figure.Trace("scatter", ("mode", "lines"),
            ("name", $"{PlotText.Escape(v.Layer)} #{v.Unit.ToString(CultureInfo.InvariantCulture)}"),
            ("y", Figure.Compact(v.Objective)), ("line", Figure.Object(("color", ChartTheme.Palette[i % (ChartTheme.Palette.Count - 1)]))))).ToArray();
        var layout = Figure.Layout(
            ("title", Figure.Title("Feature visualisation: objective per step")),
            ("xaxis", Figure.Axis("step")),
            ("yaxis", Figure.Axis("activation − penalties")));
        return Figure.Chart(traces, layout);
    }
}
