using System.Globalization;
using DynamicObj;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>
/// Builds Plotly.NET objects attribute by attribute. Charts are assembled from plain trace and layout objects
/// (no default template: serialising Plotly.NET's default template costs tens of milliseconds per chart), styled
/// by <see cref="ChartTheme"/>.
/// </summary>
internal static class Figure
{
    public static Trace2D Trace(string type, params (string Key, object? Value)[] properties)
    {
        var trace = new Trace2D(type);
        Set(trace, properties);
        return trace;
    }

    public static DynamicObj.DynamicObj Object(params (string Key, object? Value)[] properties)
    {
        var value = new DynamicObj.DynamicObj();
        Set(value, properties);
        return value;
    }

    public static Layout Layout(params (string Key, object? Value)[] properties)
    {
        var layout = new Layout();
        ChartTheme.Apply(layout);
        Set(layout, properties);
        return layout;
    }

    public static void Set(DynamicObj.DynamicObj target, params (string Key, object? Value)[] properties)
    {
        foreach (var (key, value) in properties)
            if (value is not null) target.SetProperty(key, value);
    }

    public static GenericChart Chart(IEnumerable<Trace> traces, Layout layout)
    {
        PlaceTitle(layout);
        return GenericChart.setLayout(layout, GenericChart.ofTraceObjects(false, traces.ToArray()));
    }

    public static DynamicObj.DynamicObj Title(string text) => Object(("text", text));

    /// <summary>A colour bar's title, written along its right side so it never meets the top tick label.</summary>
    public static DynamicObj.DynamicObj ColourBarTitle(string text) => Object(("text", text), ("side", "right"));

    /// <summary>Title lines longer than this (visible characters) are broken at a comma, semicolon or space.</summary>
    public const int MaxTitleLine = 84;

    /// <summary>Pixels kept free above the title for plotly's mode bar.</summary>
    private const int ModeBarSpace = 34;

    /// <summary>Pixels per title line (the title font is 1.4 x 13 px) and per sub-title line.</summary>
    private const int TitleLineHeight = 24;

    /// <summary>
    /// Puts the figure title below the mode bar (which plotly draws over the top right corner of the figure), breaks
    /// long title lines so they stay inside the figure, moves dropdown menus to the left edge above the plot area,
    /// and makes the top margin hold the mode bar, every title line and the menus.
    /// </summary>
    private static void PlaceTitle(Layout layout)
    {
        int lines = 0;
        if (layout.TryGetPropertyValue("title") is { } t && t.Value is DynamicObj.DynamicObj title
            && title.TryGetPropertyValue("text") is { } tx && tx.Value is string text && text.Length > 0)
        {
            text = WrapTitle(text);
            lines = text.Split("<br>").Length;
            Set(title, ("text", text), ("yref", "container"), ("y", 1.0), ("yanchor", "top"), ("pad", Object(("t", TitlePad(lines)))));
        }
        int menus = 0;
        if (layout.TryGetPropertyValue("updatemenus") is { } u && u.Value is System.Collections.IEnumerable items)
            foreach (var menu in items.OfType<DynamicObj.DynamicObj>())
            {
                Set(menu, ("x", 0.0), ("xanchor", "left"), ("y", 1.0), ("yanchor", "bottom"), ("yref", "paper"), ("pad", Object(("b", 6))));
                menus = 36;
            }
        int top = TopMargin(lines) + menus;
        if (layout.TryGetPropertyValue("margin") is { } m && m.Value is DynamicObj.DynamicObj margin)
        {
            int current = margin.TryGetPropertyValue("t") is { } mt && mt.Value is int v ? v : 0;
            margin.SetProperty("t", Math.Max(current, top));
        }
        else layout.SetProperty("margin", Object(("t", top)));
    }

    /// <summary>The top margin that holds the mode bar and a title of <paramref name="titleLines"/> lines.</summary>
    internal static int TopMargin(int titleLines) => TitlePad(titleLines) + titleLines * TitleLineHeight + 12;

    /// <summary>Space above the title: plotly anchors a title of several lines a little higher than its top line, so add some per extra line.</summary>
    private static int TitlePad(int titleLines) => ModeBarSpace + 12 * Math.Max(0, titleLines - 1);

    /// <summary>The number of lines <paramref name="title"/> takes once wrapped.</summary>
    internal static int TitleLines(string title) => WrapTitle(title).Split("<br>").Length;

    /// <summary>Breaks every line of a title (lines separated by &lt;br&gt;) longer than <see cref="MaxTitleLine"/> visible characters.</summary>
    internal static string WrapTitle(string text)
    {
        var result = new List<string>();
        foreach (var line in text.Split("<br>"))
        {
            string rest = line;
            while (Visible(rest) > MaxTitleLine)
            {
                int cut = BreakPoint(rest);
                if (cut <= 0) break;
                string head = rest[..cut].TrimEnd(), tail = rest[cut..].TrimStart();
                // A line that opened <sub> (or <b>, <i>) carries it over the break.
                foreach (var tag in new[] { "sub", "b", "i" })
                    if (head.Contains($"<{tag}>", StringComparison.Ordinal) && !head.Contains($"</{tag}>", StringComparison.Ordinal))
                    {
                        head += $"</{tag}>";
                        tail = $"<{tag}>" + tail;
                    }
                result.Add(head);
                rest = tail;
            }
            result.Add(rest);
        }
        return string.Join("<br>", result);
    }

    private static int Visible(string text) => System.Text.RegularExpressions.Regex.Replace(text, "<[^>]*>", "").Length;

    /// <summary>The index after the last ", " / "; " / " (" / " " that keeps the head within the limit (tags and entities are not split).</summary>
    private static int BreakPoint(string text)
    {
        int visible = 0, best = -1, bestSpace = -1;
        bool inTag = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '<') inTag = true;
            if (!inTag)
            {
                if (visible >= MaxTitleLine) break;
                if (c == ' ' && i > 0)
                {
                    if (text[i - 1] is ',' or ';' or ':') best = i + 1;
                    else if (i + 1 < text.Length && text[i + 1] == '(') best = i + 1;
                    bestSpace = i + 1;
                }
                visible++;
            }
            if (c == '>') inTag = false;
        }
        return best > MaxTitleLine / 3 ? best : bestSpace;
    }

    public static DynamicObj.DynamicObj Axis(string title, params (string Key, object? Value)[] properties)
    {
        var axis = Object(("title", Title(title)), ("automargin", true));
        ChartTheme.StyleAxis(axis);
        Set(axis, properties);
        return axis;
    }

    /// <summary>
    /// Values for the figure at single precision: enough for any screen, and about half the JSON of doubles,
    /// which matters for charts with tens of thousands of points.
    /// </summary>
    public static float[] Compact(IEnumerable<double> values) => values.Select(v => (float)v).ToArray();

    /// <summary>Formats a number for labels and hover text: four significant digits, invariant culture.</summary>
    public static string Number(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}

/// <summary>
/// Escapes user-provided text for plotly.js. Plotly renders a small subset of HTML tags inside titles, labels and
/// hover text; escaping &amp;, &lt; and &gt; as entities makes plotly show the literal characters and never
/// interpret a tag.
/// </summary>
public static class PlotText
{
    /// <summary>The text with &amp;, &lt; and &gt; replaced by entities.</summary>
    public static string Escape(string? text)
        => string.IsNullOrEmpty(text) ? string.Empty
            : text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
