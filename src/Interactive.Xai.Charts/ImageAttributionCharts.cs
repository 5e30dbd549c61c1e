using System.Globalization;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>
/// Charts for attributions of image inputs (any <see cref="AttributionExplanation"/> whose
/// <see cref="AttributionExplanation.InputShape"/> is [C, H, W] or [H, W]): the attribution as a semi-transparent
/// heatmap over its grayscale input, a grid of many such overlays labelled with each row's target and prediction,
/// and the mean |attribution| per pixel. Signed attributions use a diverging scale symmetric around zero whose
/// centre is transparent (pixels the model ignores show the image unchanged); non-negative ones a vermillion scale
/// from transparent at zero. Several channels are shown as their mean (image) and sum (attribution). Image row 0 is
/// at the top and pixels are square.
/// </summary>
public static class ImageAttributionCharts
{
    /// <summary>Images shown by <see cref="Grid"/> unless rows are given.</summary>
    public const int DefaultGridImages = 20;

    private const string ImageAxis = "coloraxis2";
    private const string AttributionAxis = "coloraxis";

    /// <summary>True when the explanation's inputs are images (a non-empty input shape).</summary>
    public static bool IsImage(AttributionExplanation explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        return !explanation.InputShape.IsDefaultOrEmpty;
    }

    /// <summary>One row's attribution for one target slot over its input image.</summary>
    public static GenericChart Overlay(AttributionExplanation explanation, int row, int target = 0, double opacity = 0.85)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        CheckRow(explanation, row);
        CheckTarget(explanation, target);
        return Build(explanation, [(row, target)], columns: 1, labels: null, opacity,
            $"Attribution over the input, {RowLabel(explanation, row, target, null)}", cellSize: 420);
    }

    /// <summary>
    /// A grid of overlays, one per row (default: the first <see cref="DefaultGridImages"/>), for one target slot, each
    /// titled with its row, target and prediction (and <paramref name="labels"/>[row], the true class, when given).
    /// By default each cell has its own colour scale (± its largest |attribution|, printed under its title), so every
    /// image shows where its own attribution lies even when one image's values dwarf the others';
    /// <see cref="ImageScale.Shared"/> gives all cells one scale (and a colour bar), so colours compare across images.
    /// The title says which.
    /// </summary>
    public static GenericChart Grid(AttributionExplanation explanation, IReadOnlyList<int>? rows = null, int target = 0,
        int columns = 5, IReadOnlyList<string>? labels = null, double opacity = 0.85, ImageScale scale = ImageScale.PerImage)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        CheckTarget(explanation, target);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        var shown = rows?.ToArray() ?? Enumerable.Range(0, Math.Min(explanation.RowCount, DefaultGridImages)).ToArray();
        if (shown.Length == 0) throw new XaiException("an image grid needs at least one row");
        foreach (int r in shown) CheckRow(explanation, r);
        if (labels is not null && labels.Count != explanation.RowCount)
            throw new XaiException($"{labels.Count} labels for {explanation.RowCount} rows");
        string what = explanation.RowTargets.IsDefaultOrEmpty ? TargetSelector.OutputLabel(explanation, target) : "each row's predicted output";
        return Build(explanation, shown.Select(r => (r, target)).ToArray(), columns, labels, opacity,
            $"Attributions over the inputs ({what}), {shown.Length} rows", cellSize: 170, scale);
    }

    /// <summary>
    /// One row explained for every target slot side by side (for example every class of a classifier). The cells share
    /// one colour scale by default, so the outputs' evidence compares; <see cref="ImageScale.PerImage"/> scales each on its own.
    /// </summary>
    public static GenericChart Targets(AttributionExplanation explanation, int row, int columns = 5, double opacity = 0.85, ImageScale scale = ImageScale.Shared)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        CheckRow(explanation, row);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        var cells = Enumerable.Range(0, explanation.TargetCount).Select(t => (row, t)).ToArray();
        return Build(explanation, cells, columns, labels: null, opacity, $"Row {row} explained for each output", cellSize: 170, scale);
    }

    /// <summary>Mean |attribution| per pixel over all rows for one target slot: where the model looks on average.</summary>
    public static GenericChart MeanAbsoluteMap(AttributionExplanation explanation, int target = 0)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        CheckTarget(explanation, target);
        var (c, h, w) = Shape(explanation);
        var means = explanation.MeanAbsoluteValues(target);
        var z = new float[h][];
        for (int y = 0; y < h; y++)
        {
            z[y] = new float[w];
            for (int x = 0; x < w; x++)
            {
                double sum = 0;
                for (int ch = 0; ch < c; ch++) sum += means[(ch * h + y) * w + x];
                z[y][x] = (float)sum;
            }
        }
        var heatmap = Figure.Trace("heatmap", ("z", z), ("colorscale", ChartTheme.SequentialScale), ("zmin", 0.0),
            ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("mean |attribution|")), ("thickness", 12))),
            ("hovertemplate", "x %{x}, y %{y}<br>mean |attribution| %{z:.4g}<extra></extra>"));
        var layout = Figure.Layout(
            ("title", Figure.Title($"Mean |attribution| per pixel over {explanation.RowCount} rows ({Label(explanation, target)})")),
            ("xaxis", PixelAxis("x", null)),
            ("yaxis", PixelAxis("y", "x")),
            ("height", 440),
            ("showlegend", false));
        return Figure.Chart([heatmap], layout);
    }

    /// <summary>A cell's title: the row, the output explained (or the row's predicted output) and its prediction.</summary>
    public static string RowLabel(AttributionExplanation explanation, int row, int target, IReadOnlyList<string>? labels)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        string prediction = Figure.Number(explanation.Prediction(row, target));
        string text = explanation.RowTargets.IsDefaultOrEmpty
            ? $"row {row}: {TargetSelector.OutputLabel(explanation, target)} = {prediction}"
            : $"row {row}: predicted {explanation.RowTargets[row].ToString(CultureInfo.InvariantCulture)} ({prediction})";
        return labels is null ? text : $"{text}, label {PlotText.Escape(labels[row])}";
    }

    /// <summary>The input's [channels, height, width].</summary>
    internal static (int Channels, int Height, int Width) Shape(AttributionExplanation explanation)
    {
        var s = explanation.InputShape;
        var shape = s.IsDefaultOrEmpty ? throw new XaiException($"{explanation.Method} explains tabular data (no input shape); image charts need an image explanation")
            : s.Length == 3 ? (s[0], s[1], s[2])
            : s.Length == 2 ? (1, s[0], s[1])
            : throw new XaiException($"input shape [{string.Join(", ", s)}] must be [channels, height, width] or [height, width]");
        if ((long)shape.Item1 * shape.Item2 * shape.Item3 != explanation.FeatureCount)
            throw new XaiException($"input shape [{string.Join(", ", s)}] does not match the explanation's {explanation.FeatureCount} features");
        return shape;
    }

    /// <summary>The row's image as [y][x], the mean over channels.</summary>
    internal static float[][] ImagePlane(AttributionExplanation explanation, int row)
    {
        var (c, h, w) = Shape(explanation);
        var data = explanation.Data.Row(row);
        var plane = new float[h][];
        for (int y = 0; y < h; y++)
        {
            plane[y] = new float[w];
            for (int x = 0; x < w; x++)
            {
                double sum = 0;
                for (int ch = 0; ch < c; ch++) sum += data[(ch * h + y) * w + x];
                plane[y][x] = (float)(sum / c);
            }
        }
        return plane;
    }

    /// <summary>The row's attribution for a target slot as [y][x], the sum over channels.</summary>
    internal static float[][] AttributionPlane(AttributionExplanation explanation, int row, int target)
    {
        var (c, h, w) = Shape(explanation);
        var plane = new float[h][];
        for (int y = 0; y < h; y++)
        {
            plane[y] = new float[w];
            for (int x = 0; x < w; x++)
            {
                double sum = 0;
                for (int ch = 0; ch < c; ch++) sum += explanation.Value(row, (ch * h + y) * w + x, target);
                plane[y][x] = (float)sum;
            }
        }
        return plane;
    }

    private static GenericChart Build(AttributionExplanation explanation, (int Row, int Target)[] cells, int columns,
        IReadOnlyList<string>? labels, double opacity, string title, int cellSize, ImageScale scale = ImageScale.Shared)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(opacity, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(opacity, 1.0);
        var (_, h, w) = Shape(explanation);
        columns = Math.Min(columns, cells.Length);
        int gridRows = (cells.Length + columns - 1) / columns;
        bool single = cells.Length == 1;
        bool perImage = scale == ImageScale.PerImage && !single;
        var images = cells.Select(c => ImagePlane(explanation, c.Row)).ToArray();
        var attributions = cells.Select(c => AttributionPlane(explanation, c.Row, c.Target)).ToArray();
        double imageLow = double.PositiveInfinity, imageHigh = double.NegativeInfinity;
        foreach (var plane in images) foreach (var line in plane) foreach (var v in line) { imageLow = Math.Min(imageLow, v); imageHigh = Math.Max(imageHigh, v); }
        if (imageHigh <= imageLow) imageHigh = imageLow + 1;
        // Signed when any shown value is negative (the same for every cell, so all cells read alike).
        bool signed = attributions.Any(p => p.Any(line => line.Any(v => v < 0)));
        double Extent(IEnumerable<float[][]> planes)
        {
            double e = planes.SelectMany(p => p).SelectMany(line => line).Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max();
            return e > 0 ? e : 1;
        }
        double shared = Extent(attributions);
        title += single ? "" : perImage
            ? "; each image on its own colour scale (up to its largest |attribution|, shown in its label)"
            : "; one colour scale for all images";

        // Pixel layout: a label band (two lines) above each image, the title and mode bar above the grid.
        int labelPx = single ? 0 : 30, gapPx = single ? 0 : 10;
        int rowPx = cellSize + labelPx + gapPx;
        int marginTop = Figure.TopMargin(Figure.TitleLines(title)), marginBottom = single ? 40 : 10;
        int paperPx = gridRows * rowPx;
        var traces = new List<Trace>();
        var annotations = new List<DynamicObj.DynamicObj>();
        var layout = Figure.Layout(
            ("title", Figure.Title(title)),
            ("showlegend", false),
            ("height", marginTop + marginBottom + paperPx),
            ("margin", Figure.Object(("l", 10), ("r", 10), ("t", marginTop), ("b", marginBottom))),
            (ImageAxis, Figure.Object(("colorscale", GrayScale), ("cmin", imageLow), ("cmax", imageHigh), ("showscale", false))));
        if (!perImage)
            layout.SetProperty(AttributionAxis, Figure.Object(
                ("colorscale", signed ? TransparentDivergingScale : TransparentPositiveScale),
                ("cmin", signed ? -shared : 0.0), ("cmax", shared), ("cmid", signed ? 0.0 : null),
                ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("attribution")), ("thickness", 12)))));
        const double gap = 0.02;
        for (int i = 0; i < cells.Length; i++)
        {
            int gridRow = i / columns, gridColumn = i % columns;
            string suffix = i == 0 ? "" : (i + 1).ToString(CultureInfo.InvariantCulture);
            double x0 = (double)gridColumn / columns + gap, x1 = (double)(gridColumn + 1) / columns - gap;
            double top = 1 - (double)(gridRow * rowPx + labelPx) / paperPx, bottom = 1 - (double)((gridRow + 1) * rowPx - gapPx) / paperPx;
            var (row, target) = cells[i];
            traces.Add(Figure.Trace("heatmap", ("z", images[i]), ("coloraxis", ImageAxis), ("xaxis", "x" + suffix), ("yaxis", "y" + suffix),
                ("hoverinfo", "skip"), ("name", "input")));
            var attribution = Figure.Trace("heatmap", ("z", attributions[i]), ("opacity", opacity),
                ("xaxis", "x" + suffix), ("yaxis", "y" + suffix), ("name", "attribution"), ("meta", row),
                ("hovertemplate", $"row {row}<br>x %{{x}}, y %{{y}}<br>attribution %{{z:.4g}}<extra></extra>"));
            double own = Extent([attributions[i]]);
            if (perImage)
                Figure.Set(attribution, ("colorscale", signed ? TransparentDivergingScale : TransparentPositiveScale),
                    ("zmin", signed ? -own : 0.0), ("zmax", own), ("showscale", false));
            else attribution.SetProperty("coloraxis", AttributionAxis);
            traces.Add(attribution);
            var xAxis = PixelAxis("", null);
            var yAxis = PixelAxis("", "x" + suffix);
            Figure.Set(xAxis, ("domain", new[] { x0, x1 }), ("anchor", "y" + suffix), ("range", new[] { -0.5, w - 0.5 }));
            Figure.Set(yAxis, ("domain", new[] { bottom, top }), ("anchor", "x" + suffix), ("range", new[] { h - 0.5, -0.5 }), ("autorange", false));
            if (!single) Figure.Set(xAxis, ("showticklabels", false));
            if (!single) Figure.Set(yAxis, ("showticklabels", false));
            layout.SetProperty("xaxis" + suffix, xAxis);
            layout.SetProperty("yaxis" + suffix, yAxis);
            if (!single)
            {
                string text = cells.All(c => c.Row == row) && explanation.TargetCount > 1
                    ? $"{TargetSelector.OutputLabel(explanation, target)} = {Figure.Number(explanation.Prediction(row, target))}"
                    : RowLabel(explanation, row, target, null);
                var second = new List<string>();
                if (labels is not null) second.Add($"label {PlotText.Escape(labels[row])}");
                if (perImage) second.Add(signed ? $"scale ±{Figure.Number(own)}" : $"scale 0 to {Figure.Number(own)}");
                if (second.Count > 0) text += "<br>" + string.Join(", ", second);
                annotations.Add(Figure.Object(("text", text), ("x", (x0 + x1) / 2), ("y", top), ("xref", "paper"), ("yref", "paper"),
                    ("xanchor", "center"), ("yanchor", "bottom"), ("showarrow", false), ("font", Figure.Object(("size", 11)))));
            }
        }
        if (annotations.Count > 0) layout.SetProperty("annotations", annotations);
        return Figure.Chart(traces, layout);
    }

    /// <summary>Blue for negative, transparent at zero, vermillion for positive.</summary>
    internal static IReadOnlyList<object[]> TransparentDivergingScale { get; } =
        [[0.0, "rgba(0,114,178,1)"], [0.5, "rgba(247,247,247,0)"], [1.0, "rgba(213,94,0,1)"]];

    /// <summary>Transparent at zero to vermillion.</summary>
    internal static IReadOnlyList<object[]> TransparentPositiveScale { get; } =
        [[0.0, "rgba(213,94,0,0)"], [1.0, "rgba(213,94,0,1)"]];

    /// <summary>Black (lowest value) to white (highest).</summary>
    internal static IReadOnlyList<object[]> GrayScale { get; } = [[0.0, "#000000"], [1.0, "#FFFFFF"]];

    private static DynamicObj.DynamicObj PixelAxis(string title, string? scaleAnchor)
    {
        var axis = Figure.Axis(title, ("showgrid", false), ("zeroline", false), ("constrain", "domain"), ("ticks", ""));
        if (scaleAnchor is not null) Figure.Set(axis, ("scaleanchor", scaleAnchor), ("autorange", "reversed"));
        return axis;
    }

    private static string Label(AttributionExplanation explanation, int target)
        => explanation.RowTargets.IsDefaultOrEmpty ? TargetSelector.OutputLabel(explanation, target) : "each row's predicted output";

    private static void CheckRow(AttributionExplanation explanation, int row)
    {
        if ((uint)row >= (uint)explanation.RowCount) throw new XaiException($"row {row} is outside 0..{explanation.RowCount - 1}");
    }

    private static void CheckTarget(AttributionExplanation explanation, int target)
    {
        if ((uint)target >= (uint)explanation.TargetCount) throw new XaiException($"target slot {target} is outside 0..{explanation.TargetCount - 1}");
    }
}

/// <summary>How the cells of an image attribution grid are coloured.</summary>
public enum ImageScale
{
    /// <summary>Each image on its own scale, ± its largest |attribution|: every image shows its own pattern.</summary>
    PerImage,

    /// <summary>One scale for all images, ± the largest |attribution| of any: colours compare across images.</summary>
    Shared,
}
