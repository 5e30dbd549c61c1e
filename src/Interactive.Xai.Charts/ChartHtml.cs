using System.Reflection;
using System.Text;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>
/// Turns charts into HTML: figure JSON made safe to place inside a script element, a div-and-script fragment per
/// chart, and plotly.js itself (the copy embedded in Plotly.NET, so pages draw offline).
/// </summary>
public static class ChartHtml
{
    private static readonly Lazy<string> PlotlyJsSource = new(LoadPlotlyJs);
    private static long _nextId;

    /// <summary>The plotly.js version embedded in every page.</summary>
    public const string PlotlyJsVersion = "2.28.0";

    /// <summary>plotly.js, minified, as embedded in Plotly.NET.</summary>
    public static string PlotlyJs => PlotlyJsSource.Value;

    /// <summary>
    /// A script element holding plotly.js. An AMD loader on the page (Jupyter's RequireJS) is hidden while it runs,
    /// so plotly.js always defines <c>window.Plotly</c>.
    /// </summary>
    public static string PlotlyScriptElement()
        => "<script>window.__xaiDefine = window.define; window.define = undefined;</script>\n<script>" + PlotlyJs +
           "</script>\n<script>window.define = window.__xaiDefine; delete window.__xaiDefine;</script>\n";

    /// <summary>The figure ({data, layout}) as JSON that can sit inside a script element: &lt;, &gt; and &amp; are \u-escaped.</summary>
    public static string FigureJson(GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        return ScriptSafe(GenericChart.toFigureJson(chart));
    }

    /// <summary>
    /// A div and the script that draws the chart into it with plotly.js, which the page must load once
    /// (see <see cref="PlotlyScriptElement"/>). The script waits for plotly.js if it is still loading.
    /// </summary>
    public static string Fragment(GenericChart chart, string? id = null)
    {
        id ??= NewId();
        var html = new StringBuilder();
        html.Append("<div class=\"xai-chart\" id=\"").Append(System.Net.WebUtility.HtmlEncode(id)).Append("\"></div>\n<script>(function(){var f=")
            .Append(FigureJson(chart))
            .Append(";var id=").Append(ScriptSafe(System.Text.Json.JsonSerializer.Serialize(id)))
            .Append(";function draw(){Plotly.newPlot(id,f.data,f.layout,{responsive:true,displaylogo:false});}")
            .Append("if(window.Plotly){draw();}else{var n=0,t=setInterval(function(){if(window.Plotly){clearInterval(t);draw();}else if(++n>200){clearInterval(t);}},50);}})();</script>\n");
        return html.ToString();
    }

    /// <summary>A fresh element id for a chart.</summary>
    public static string NewId() => "xai-chart-" + Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>JSON with &lt;, &gt;, &amp; and the JavaScript line separators \u-escaped (valid only because JSON has these characters only inside strings).</summary>
    internal static string ScriptSafe(string json)
        => json.Replace("<", "\\u003c", StringComparison.Ordinal).Replace(">", "\\u003e", StringComparison.Ordinal)
            .Replace("&", "\\u0026", StringComparison.Ordinal).Replace("\u2028", "\\u2028", StringComparison.Ordinal).Replace("\u2029", "\\u2029", StringComparison.Ordinal);

    private static string LoadPlotlyJs()
    {
        var assembly = typeof(GenericChart).Assembly;
        string name = assembly.GetManifestResourceNames().FirstOrDefault(n => n.StartsWith("Plotly.NET.plotly-", StringComparison.Ordinal) && n.EndsWith(".min.js", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("plotly.js is not embedded in this Plotly.NET build.");
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string source = reader.ReadToEnd();
        // A literal "</script" inside the library would end the element early.
        return source.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase);
    }
}
