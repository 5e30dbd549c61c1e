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
        => GenericChart.setLayout(layout, GenericChart.ofTraceObjects(false, traces.ToArray()));

    public static DynamicObj.DynamicObj Title(string text) => Object(("text", text));

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
