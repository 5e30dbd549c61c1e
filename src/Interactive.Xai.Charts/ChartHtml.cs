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
    public static string Fragment(GenericChart chart, string? id = null) => Fragment(chart, id, lazy: false);

    /// <summary>
    /// As <see cref="Fragment(GenericChart, string?)"/>; with <paramref name="lazy"/> the chart is handed to the page's
    /// scheduler (<see cref="LazyDrawScript"/>, which the page must hold first) instead of being drawn at once: it draws
    /// when it scrolls near the viewport, and the rest draw one at a time while the browser is idle.
    /// </summary>
    public static string Fragment(GenericChart chart, string? id, bool lazy)
    {
        id ??= NewId();
        var html = new StringBuilder();
        html.Append("<div class=\"xai-chart\" id=\"").Append(System.Net.WebUtility.HtmlEncode(id)).Append('"');
        // The figure's own height, so the box neither leaves blank space under a short chart nor jumps when a lazy chart draws.
        if (GenericChart.getLayout(chart).TryGetPropertyValue("height") is { } h && h.Value is int height and > 0)
            html.Append(" style=\"min-height:").Append(height.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("px\"");
        html.Append("></div>\n<script>(function(){var f=")
            .Append(FigureJson(chart))
            .Append(";var id=").Append(ScriptSafe(System.Text.Json.JsonSerializer.Serialize(id)))
            .Append(";function draw(){Plotly.newPlot(id,f.data,f.layout,{responsive:true,displaylogo:false});}")
            .Append(lazy ? "window.__xaiLazy(id,draw);})();</script>\n"
                : "if(window.Plotly){draw();}else{var n=0,t=setInterval(function(){if(window.Plotly){clearInterval(t);draw();}else if(++n>200){clearInterval(t);}},50);}})();</script>\n");
        return html.ToString();
    }

    /// <summary>
    /// The scheduler lazy fragments register with (window.__xaiLazy(id, draw)): a chart draws as soon as it comes within
    /// 600 px of the viewport (IntersectionObserver); after the page's load event the others draw one per idle slot, in
    /// page order, so every chart is drawn a few seconds later without ever blocking scrolling for long. A chart is drawn once.
    /// window.__xaiDrawAll() draws every remaining chart at once (for printing).
    /// </summary>
    public const string LazyDrawScript = """
        <script>(function(){
        var pending={},order=[],io=null;
        function run(id){var d=pending[id];if(!d){return;}delete pending[id];var el=document.getElementById(id);if(io&&el){io.unobserve(el);}d();}
        if('IntersectionObserver' in window){io=new IntersectionObserver(function(es){es.forEach(function(e){if(e.isIntersecting){run(e.target.id);}});},{rootMargin:'600px 0px'});}
        window.__xaiLazy=function(id,draw){pending[id]=draw;order.push(id);var el=document.getElementById(id);if(io&&el){io.observe(el);}else if(!io){draw();delete pending[id];}};
        window.__xaiDrawAll=function(){while(order.length){run(order.shift());}};
        function idle(){var start=Date.now();while(order.length&&Date.now()-start<40){var id=order.shift();if(pending[id]){run(id);break;}}if(order.length){later();}}
        function later(){if(window.requestIdleCallback){requestIdleCallback(idle,{timeout:300});}else{setTimeout(idle,30);}}
        window.addEventListener('load',function(){setTimeout(later,200);});
        window.addEventListener('beforeprint',function(){window.__xaiDrawAll();});
        })();</script>
        """;

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
