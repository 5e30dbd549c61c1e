using System.Globalization;
using Interactive.Xai.Inspection;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Images of the gradient of a network's output with respect to an inner layer's feature maps (<see cref="LayerOutputGradient"/>).</summary>
public static class LayerGradientCharts
{
    /// <summary>
    /// One image per row: the channel-summed magnitude Σ_c |d output / d activation_c|, upsampled to the input's size
    /// (bilinear; <paramref name="upsample"/> false keeps the layer's own resolution), each image on its own colour
    /// scale from 0 to its largest value (hover shows the value), labelled with the row and the output differentiated.
    /// </summary>
    public static GenericChart Magnitudes(LayerOutputGradient gradient, bool upsample = true, int columns = 5, int maxRows = 20)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        bool resize = upsample && gradient.InputShape.Length == 3 && (gradient.InputShape[1] != gradient.Height || gradient.InputShape[2] != gradient.Width);
        int height = resize ? gradient.InputShape[1] : gradient.Height, width = resize ? gradient.InputShape[2] : gradient.Width;
        int rows = Math.Min(gradient.RowCount, Math.Max(1, maxRows));
        var raw = new List<float[]>();
        var scaled = new List<float[]>();
        var labels = new List<string>();
        for (int r = 0; r < rows; r++)
        {
            var map = (resize ? gradient.UpsampledMagnitude(r) : gradient.Magnitude(r)).Select(v => (float)v).ToArray();
            float max = map.Max();
            raw.Add(map);
            scaled.Add(map.Select(v => max > 0 ? v / max : 0f).ToArray());
            labels.Add($"row {r}, {PlotText.Escape(OutputLabel(gradient.TargetName(r)))}");
        }
        // The input's outline (its channel mean at half its range) over each image, where the images have the input's size.
        bool outline = gradient.InputShape.Length == 3 && height == gradient.InputShape[1] && width == gradient.InputShape[2] && gradient.Inputs.Length >= rows * height * width * gradient.InputShape[0];
        Trace? contour = null;
        if (outline)
        {
            int channels = gradient.InputShape[0], size = height * width;
            var inputs = new List<float[]>();
            for (int r = 0; r < rows; r++)
            {
                var mean = new float[size];
                for (int c = 0; c < channels; c++)
                    for (int i = 0; i < size; i++) mean[i] += gradient.Inputs[(r * channels + c) * size + i] / channels;
                inputs.Add(Mosaic.Normalise(mean));
            }
            var (inputZ, _, _) = Mosaic.Build(inputs, height, width, columns);
            contour = Figure.Trace("contour", ("z", inputZ), ("contours", Figure.Object(("start", 0.5), ("end", 0.5), ("size", 1.0), ("coloring", "none"), ("showlabels", false))),
                ("line", Figure.Object(("color", "#FFFFFF"), ("width", 1.5))), ("showscale", false), ("hoverinfo", "skip"), ("name", "input outline"), ("showlegend", false));
        }
        var (z, _, cols) = Mosaic.Build(scaled, height, width, columns);
        var (values, _, _) = Mosaic.Build(raw, height, width, columns);
        var (x, y) = Mosaic.ImageAxes();
        var trace = Figure.Trace("heatmap", ("z", z), ("customdata", values), ("colorscale", "Viridis"), ("zmin", 0.0), ("zmax", 1.0),
            ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("share of the image's largest value")), ("thickness", 12))),
            ("hovertemplate", "Σ|gradient| %{customdata:.3e}<br>%{z:.0%} of this image's largest<extra></extra>"));
        string title = string.Create(CultureInfo.InvariantCulture,
            $"Gradient of the output with respect to {PlotText.Escape(gradient.Layer)} ({PlotText.Escape(gradient.LayerType)}, {gradient.Channels} x {gradient.Height} x {gradient.Width}): sum over channels of |gradient|{(resize ? $", upsampled to {height} x {width}" : "")}; each image on its own scale{(outline ? "; white: the input's outline" : "")}{(rows < gradient.RowCount ? $" (first {rows} of {gradient.RowCount} rows)" : "")}");
        var (chartHeight, margin) = Mosaic.Size(z, title, plotWidth: 900, maxHeight: 1200);
        Figure.Set(margin, ("r", 90));
        var layout = Figure.Layout(
            ("title", Figure.Title(title)),
            ("xaxis", x), ("yaxis", y),
            ("annotations", Mosaic.Labels(labels, height, width, cols)),
            ("height", chartHeight), ("margin", margin));
        return Figure.Chart(contour is null ? [trace] : [trace, contour], layout);
    }

    /// <summary>
    /// One row's gradient per channel, signed, all channels on one colour scale centred on zero (so channels that
    /// matter more stand out), blue where raising the activation lowers the output and vermillion where it raises it.
    /// </summary>
    public static GenericChart Channels(LayerOutputGradient gradient, int row = 0, int columns = 8)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        var tiles = Enumerable.Range(0, gradient.Channels).Select(c => gradient.Channel(row, c)).ToList();
        double extent = tiles.SelectMany(t => t).Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max();
        if (extent == 0) extent = 1;
        var (z, _, cols) = Mosaic.Build(tiles, gradient.Height, gradient.Width, columns);
        var (x, y) = Mosaic.ImageAxes();
        var trace = Figure.Trace("heatmap", ("z", z), ("colorscale", ChartTheme.DivergingScale), ("zmid", 0.0), ("zmin", -extent), ("zmax", extent),
            ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("d output / d activation")), ("thickness", 12), ("exponentformat", "power"))),
            ("hovertemplate", "%{z:.3e}<extra></extra>"));
        string title = string.Create(CultureInfo.InvariantCulture,
            $"Row {row}: gradient of {PlotText.Escape(OutputLabel(gradient.TargetName(row)))} (value {Figure.Number(gradient.OutputValues[row])}) with respect to each channel of {PlotText.Escape(gradient.Layer)}, {gradient.Height} x {gradient.Width}; one scale for all channels");
        var (chartHeight, margin) = Mosaic.Size(z, title, plotWidth: 900, maxHeight: 1200);
        Figure.Set(margin, ("r", 90));
        var layout = Figure.Layout(
            ("title", Figure.Title(title)),
            ("xaxis", x), ("yaxis", y),
            ("annotations", Mosaic.Labels(Enumerable.Range(0, gradient.Channels).Select(c => "channel " + c.ToString(CultureInfo.InvariantCulture)).ToArray(), gradient.Height, gradient.Width, cols)),
            ("height", chartHeight), ("margin", margin));
        return Figure.Chart([trace], layout);
    }

    // "output d" for a named output; a name that already says output ("output[0]", "output 3") is not doubled.
    private static string OutputLabel(string name) => name.StartsWith("output", StringComparison.Ordinal) ? name : "output " + name;
}
