using System.Globalization;
using Interactive.Xai.Inspection;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Charts of a network's weights: histograms, per-tensor statistics, weight-matrix heatmaps, convolution-filter grids and before/after comparisons.</summary>
public static class WeightCharts
{
    /// <summary>Histograms of the snapshot's tensors, one at a time, chosen with a dropdown (largest first); titles carry mean, std, min and max.</summary>
    public static GenericChart Histograms(WeightSnapshot snapshot, int maxTensors = 30)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return StructureCharts.ParameterHistograms(new ModelStructure { Name = snapshot.Label, Format = "weights", Nodes = [], Parameters = snapshot.Tensors }, maxTensors);
    }

    /// <summary>Each tensor's mean with a ±1 standard deviation bar, and its minimum and maximum, in the network's order.</summary>
    public static GenericChart Statistics(WeightSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var tensors = snapshot.Tensors.Where(t => !t.Values.IsDefaultOrEmpty).ToArray();
        var stats = tensors.Select(WeightSnapshot.Statistics).ToArray();
        var names = tensors.Select(t => PlotText.Escape(t.Name)).ToArray();
        var traces = new List<Trace>
        {
            Figure.Trace("scatter", ("mode", "markers"), ("name", "mean ± std"), ("x", names), ("y", Figure.Compact(stats.Select(s => s.Mean))),
                ("error_y", Figure.Object(("type", "data"), ("array", Figure.Compact(stats.Select(s => s.StandardDeviation))), ("visible", true))),
                ("marker", Figure.Object(("color", ChartTheme.Palette[0]), ("size", 9))),
                ("hovertemplate", "%{x}<br>mean %{y:.4g} ± %{error_y.array:.4g}<extra></extra>")),
            Figure.Trace("scatter", ("mode", "markers"), ("name", "min"), ("x", names), ("y", Figure.Compact(stats.Select(s => s.Min))),
                ("marker", Figure.Object(("color", ChartTheme.Negative), ("symbol", "triangle-down"), ("size", 8)))),
            Figure.Trace("scatter", ("mode", "markers"), ("name", "max"), ("x", names), ("y", Figure.Compact(stats.Select(s => s.Max))),
                ("marker", Figure.Object(("color", ChartTheme.Positive), ("symbol", "triangle-up"), ("size", 8)))),
        };
        var layout = Figure.Layout(
            ("title", Figure.Title($"{PlotText.Escape(snapshot.Label)}: weight statistics per tensor")),
            ("xaxis", Figure.Axis("tensor", ("type", "category"))),
            ("yaxis", Figure.Axis("value")));
        return Figure.Chart(traces, layout);
    }

    /// <summary>
    /// A weight tensor as a heatmap: rows are the first dimension (output units), columns everything else flattened
    /// (inputs, or input channel × kernel position for convolutions); a 1-D tensor is one row. Diverging colours centred on 0.
    /// </summary>
    public static GenericChart Heatmap(StructureTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Values.IsDefaultOrEmpty) throw new XaiException($"Parameter '{tensor.Name}' has no stored values to draw.");
        int rows = tensor.Shape.Length <= 1 ? 1 : (int)tensor.Shape[0];
        int columns = tensor.Values.Length / rows;
        var z = new float[rows][];
        double extent = 0;
        for (int r = 0; r < rows; r++)
        {
            z[r] = tensor.Values.AsSpan(r * columns, columns).ToArray();
            foreach (float v in z[r]) extent = Math.Max(extent, Math.Abs(v));
        }
        string name = PlotText.Escape(tensor.Name);
        var trace = Figure.Trace("heatmap", ("z", z), ("colorscale", ChartTheme.DivergingScale), ("zmid", 0.0), ("zmin", -extent), ("zmax", extent),
            ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("weight")), ("thickness", 12))),
            ("hovertemplate", $"{name}<br>row %{{y}}, column %{{x}}: %{{z:.4g}}<extra></extra>"));
        var layout = Figure.Layout(
            ("title", Figure.Title($"{name} [{string.Join(" x ", tensor.Shape)}]")),
            ("xaxis", Figure.Axis(tensor.Shape.Length > 2 ? "input channel × kernel position" : "input")),
            ("yaxis", Figure.Axis(tensor.Shape.Length <= 1 ? "" : "output unit", ("autorange", "reversed"))),
            ("height", Math.Clamp(200 + 12 * rows, 300, 900)));
        return Figure.Chart([trace], layout);
    }

    /// <summary>
    /// The filters of a 2-D convolution weight [out, in, height, width] as a grid of small images, each filter
    /// normalised to [0, 1] by its own minimum and maximum (over all its input channels). With several input channels,
    /// <paramref name="inputChannel"/> picks one; null shows their mean.
    /// </summary>
    /// <exception cref="XaiException">The tensor is not four-dimensional, has no values, or the channel does not exist.</exception>
    public static GenericChart FilterGrid(StructureTensor tensor, int? inputChannel = null, int columns = 8)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Shape.Length != 4 || tensor.Values.IsDefaultOrEmpty)
            throw new XaiException($"Parameter '{tensor.Name}' [{string.Join(" x ", tensor.Shape)}] is not a stored 2-D convolution weight [out, in, height, width].");
        int outputs = (int)tensor.Shape[0], inputs = (int)tensor.Shape[1], height = (int)tensor.Shape[2], width = (int)tensor.Shape[3];
        if (inputChannel is { } c && (c < 0 || c >= inputs)) throw new XaiException($"Parameter '{tensor.Name}' has {inputs} input channels; there is no channel {c}.");
        int size = height * width;
        var tiles = new List<float[]>();
        for (int o = 0; o < outputs; o++)
        {
            var normalised = Mosaic.Normalise(tensor.Values.AsSpan(o * inputs * size, inputs * size));
            var tile = new float[size];
            for (int i = 0; i < size; i++)
                tile[i] = inputChannel is { } one ? normalised[one * size + i] : Enumerable.Range(0, inputs).Average(k => normalised[k * size + i]);
            tiles.Add(tile);
        }
        var (z, _, cols) = Mosaic.Build(tiles, height, width, columns);
        var (x, y) = Mosaic.ImageAxes();
        string name = PlotText.Escape(tensor.Name);
        var trace = Figure.Trace("heatmap", ("z", z), ("colorscale", "Greys"), ("reversescale", true), ("zmin", 0.0), ("zmax", 1.0), ("showscale", false),
            ("hovertemplate", "%{z:.3f}<extra></extra>"));
        string title = $"{name}: {outputs} filters {height}x{width}, {(inputChannel is { } ch ? $"input channel {ch}" : inputs == 1 ? "one input channel" : $"mean of {inputs} input channels")}, each normalised to [0, 1]";
        var (chartHeight, margin) = Mosaic.Size(z, title, plotWidth: 1000, maxHeight: 1000);
        var layout = Figure.Layout(
            ("title", Figure.Title(title)),
            ("xaxis", x), ("yaxis", y),
            ("annotations", Mosaic.Labels(Enumerable.Range(0, outputs).Select(o => o.ToString(CultureInfo.InvariantCulture)).ToArray(), height, width, cols)),
            ("height", chartHeight), ("margin", margin));
        return Figure.Chart([trace], layout);
    }

    /// <summary>The values of one tensor before and after (two overlaid histograms on the same bins).</summary>
    public static GenericChart Comparison(WeightComparison comparison, string tensor)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        ArgumentNullException.ThrowIfNull(tensor);
        var before = comparison.Before.Tensor(tensor);
        var after = comparison.After.Tensor(tensor);
        var change = comparison.Changes.First(c => c.Name == tensor);
        float min = Math.Min(before.Values.Min(), after.Values.Min()), max = Math.Max(before.Values.Max(), after.Values.Max());
        double bin = max > min ? (max - min) / 60.0 : 1;
        var bins = Figure.Object(("start", (double)min), ("end", max + bin / 2), ("size", bin));
        var traces = new List<Trace>
        {
            Figure.Trace("histogram", ("x", before.Values.ToArray()), ("name", PlotText.Escape(comparison.Before.Label)), ("xbins", bins), ("opacity", 0.55),
                ("marker", Figure.Object(("color", ChartTheme.Palette[0])))),
            Figure.Trace("histogram", ("x", after.Values.ToArray()), ("name", PlotText.Escape(comparison.After.Label)), ("xbins", bins), ("opacity", 0.55),
                ("marker", Figure.Object(("color", ChartTheme.Palette[1])))),
        };
        var layout = Figure.Layout(
            ("title", Figure.Title($"{PlotText.Escape(tensor)}: {PlotText.Escape(comparison.Before.Label)} vs {PlotText.Escape(comparison.After.Label)} (relative change {Figure.Number(change.RelativeChange)}, mean |Δ| {Figure.Number(change.Difference.MeanAbsolute)})")),
            ("barmode", "overlay"),
            ("xaxis", Figure.Axis("weight value")),
            ("yaxis", Figure.Axis("count")));
        return Figure.Chart(traces, layout);
    }

    /// <summary>Each tensor's relative change ‖after − before‖ / ‖before‖, as bars in the network's order.</summary>
    public static GenericChart Changes(WeightComparison comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        var names = comparison.Changes.Select(c => PlotText.Escape(c.Name)).ToArray();
        var trace = Figure.Trace("bar", ("x", names), ("y", Figure.Compact(comparison.Changes.Select(c => c.RelativeChange))),
            ("customdata", Figure.Compact(comparison.Changes.Select(c => c.Difference.MeanAbsolute))),
            ("marker", Figure.Object(("color", ChartTheme.Palette[1]))),
            ("hovertemplate", "%{x}<br>relative change %{y:.4g}<br>mean |Δ| %{customdata:.4g}<extra></extra>"));
        var layout = Figure.Layout(
            ("title", Figure.Title($"Relative weight change: {PlotText.Escape(comparison.Before.Label)} → {PlotText.Escape(comparison.After.Label)}")),
            ("xaxis", Figure.Axis("tensor", ("type", "category"))),
            ("yaxis", Figure.Axis("‖after − before‖ / ‖before‖")));
        return Figure.Chart([trace], layout);
    }
}
