namespace Interactive.Xai.Charts;

/// <summary>
/// Lays small matrices (filters, feature maps, images) out as tiles of one heatmap, row by row, with one empty
/// (null) row and column between tiles, so a grid of any size is a single trace.
/// </summary>
internal static class Mosaic
{
    /// <summary>The tiles' values in a grid of <paramref name="columns"/> columns; each tile is [height][width] row-major in <paramref name="tiles"/>.</summary>
    public static (float?[][] Z, int TileRows, int TileColumns) Build(IReadOnlyList<float[]> tiles, int height, int width, int columns)
    {
        columns = Math.Max(1, Math.Min(columns, Math.Max(1, tiles.Count)));
        int rows = Math.Max(1, (tiles.Count + columns - 1) / columns);
        int totalHeight = rows * (height + 1) - 1, totalWidth = columns * (width + 1) - 1;
        var z = new float?[totalHeight][];
        for (int r = 0; r < totalHeight; r++) z[r] = new float?[totalWidth];
        for (int t = 0; t < tiles.Count; t++)
        {
            int top = t / columns * (height + 1), left = t % columns * (width + 1);
            for (int i = 0; i < height; i++)
                for (int j = 0; j < width; j++) z[top + i][left + j] = tiles[t][i * width + j];
        }
        return (z, rows, columns);
    }

    /// <summary>The values rescaled to [0, 1] by their own minimum and maximum (all 0.5 when constant).</summary>
    public static float[] Normalise(ReadOnlySpan<float> values)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in values) { if (v < min) min = v; if (v > max) max = v; }
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = max > min ? (values[i] - min) / (max - min) : 0.5f;
        return result;
    }

    /// <summary>Annotations placing a label above each tile.</summary>
    public static object[] Labels(IReadOnlyList<string> labels, int height, int width, int columns)
        => labels.Select((label, t) => (object)Figure.Object(
            ("x", t % columns * (width + 1) + (width - 1) / 2.0), ("y", t / columns * (height + 1) - 0.5),
            ("text", label), ("showarrow", false), ("yanchor", "bottom"), ("font", Figure.Object(("size", 10))))).ToArray();

    /// <summary>
    /// Height and margins that fit a mosaic of <paramref name="z"/> (square pixels) drawn <paramref name="plotWidth"/> px
    /// wide under <paramref name="title"/>: no band of blank space under a short, wide grid; the top margin holds the title
    /// and the first row's tile labels.
    /// </summary>
    public static (int Height, DynamicObj.DynamicObj Margin) Size(float?[][] z, string title, int plotWidth = 900, int maxHeight = 1400)
    {
        int rows = z.Length, columns = Math.Max(1, z.Length == 0 ? 1 : z[0].Length);
        int top = Figure.TopMargin(Figure.TitleLines(title)) + 16, bottom = 12;
        int plot = (int)Math.Ceiling((double)plotWidth * rows / columns);
        int height = Math.Clamp(top + bottom + plot, 200, maxHeight);
        return (height, Figure.Object(("l", 10), ("r", 10), ("t", top), ("b", bottom)));
    }

    /// <summary>Axes without ticks, the y axis running downwards like an image, square pixels.</summary>
    public static (DynamicObj.DynamicObj X, DynamicObj.DynamicObj Y) ImageAxes()
        => (Figure.Axis("", ("showgrid", false), ("zeroline", false), ("showticklabels", false), ("ticks", ""), ("constrain", "domain")),
            Figure.Axis("", ("showgrid", false), ("zeroline", false), ("showticklabels", false), ("ticks", ""), ("autorange", "reversed"), ("scaleanchor", "x")));
}
