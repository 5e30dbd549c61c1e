namespace Interactive.Xai.Charts;

/// <summary>
/// Lays out a grid of small plots (one x/y axis pair each) with gaps in pixels, so every plot has room for its own
/// tick labels, axis titles and a title above it without meeting its neighbours.
/// </summary>
internal sealed class SmallMultiples
{
    /// <summary>Pixels between rows: the x tick labels and x title of one row and the plot title of the next.</summary>
    public const int RowGap = 96;

    /// <summary>Pixels above the first row's plot titles, below the figure title.</summary>
    public const int TitleRow = 26;

    private SmallMultiples(int count, int columns, int cellHeight, int topMargin, int bottomMargin)
    {
        Count = count;
        Columns = Math.Max(1, Math.Min(columns, count));
        Rows = (count + Columns - 1) / Columns;
        CellHeight = cellHeight;
        Top = topMargin;
        Bottom = bottomMargin;
    }

    public int Count { get; }

    public int Columns { get; }

    public int Rows { get; }

    public int CellHeight { get; }

    public int Top { get; }

    public int Bottom { get; }

    /// <summary>The plot area's height: the cells and the gaps between rows.</summary>
    public int PlotHeight => Rows * CellHeight + (Rows - 1) * RowGap;

    /// <summary>The figure's height.</summary>
    public int Height => Top + PlotHeight + Bottom;

    /// <summary>A grid for <paramref name="count"/> plots under a title of <paramref name="title"/>.</summary>
    public static SmallMultiples For(int count, int columns, int cellHeight, string title, int bottomMargin = 60)
        => new(count, columns, cellHeight, Figure.TopMargin(Figure.TitleLines(title)) + TitleRow, bottomMargin);

    /// <summary>The axis suffix of plot <paramref name="i"/>: "" for the first, then "2", "3", ...</summary>
    public static string Suffix(int i) => i == 0 ? "" : (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The x and y domains of plot <paramref name="i"/> as fractions of the plot area.</summary>
    public (double[] X, double[] Y) Domains(int i)
    {
        int row = i / Columns, column = i % Columns;
        const double xGap = 0.1;
        double width = (1 - xGap * (Columns - 1)) / Columns;
        double x0 = column * (width + xGap);
        double top = 1 - (double)row * (CellHeight + RowGap) / PlotHeight;
        double bottom = top - (double)CellHeight / PlotHeight;
        return ([x0, x0 + width], [Math.Max(0, bottom), Math.Min(1, top)]);
    }

    /// <summary>
    /// The layout entries of plot <paramref name="i"/>: its x and y axes (styled by <paramref name="x"/> and
    /// <paramref name="y"/>, which get the domain and anchors) and an annotation holding its title above it.
    /// </summary>
    public ((string Key, object? Value) X, (string Key, object? Value) Y, object Title) Plot(int i, DynamicObj.DynamicObj x, DynamicObj.DynamicObj y, string title)
    {
        var (xd, yd) = Domains(i);
        string s = Suffix(i);
        Figure.Set(x, ("domain", xd), ("anchor", "y" + s));
        Figure.Set(y, ("domain", yd), ("anchor", "x" + s));
        var annotation = Figure.Object(("xref", "paper"), ("yref", "paper"), ("x", (xd[0] + xd[1]) / 2), ("y", yd[1]), ("yanchor", "bottom"), ("xanchor", "center"),
            ("yshift", 4), ("text", title), ("showarrow", false), ("font", Figure.Object(("size", 12))));
        return (("xaxis" + s, x), ("yaxis" + s, y), annotation);
    }
}
