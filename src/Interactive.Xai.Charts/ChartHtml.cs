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
    /// scheduler (<see cref="LazyDrawScript"/>, which the page must hold first) instead of being drawn at once, and its
    /// figure is kept as JSON text in a <c>script type="application/json"</c> element (id + "-figure") that the browser
    /// does not parse as code while the page loads; it is parsed when the chart draws: when it comes near the viewport,
    /// or later while the browser is idle.
    /// </summary>
    public static string Fragment(GenericChart chart, string? id, bool lazy)
    {
        id ??= NewId();
        var html = new StringBuilder();
        string encodedId = System.Net.WebUtility.HtmlEncode(id);
        html.Append("<div class=\"xai-chart\" id=\"").Append(encodedId).Append('"');
        // The figure's own height, so the box neither leaves blank space under a short chart nor jumps when a lazy chart draws.
        if (GenericChart.getLayout(chart).TryGetPropertyValue("height") is { } h && h.Value is int height and > 0)
            html.Append(" style=\"min-height:").Append(height.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("px\"");
        if (lazy)
        {
            html.Append("></div>\n<script type=\"application/json\" id=\"").Append(encodedId).Append("-figure\">").Append(FigureJson(chart))
                .Append("</script>\n<script>window.__xaiLazy(").Append(ScriptSafe(System.Text.Json.JsonSerializer.Serialize(id))).Append(");</script>\n");
            return html.ToString();
        }
        html.Append("></div>\n<script>(function(){var f=")
            .Append(FigureJson(chart))
            .Append(";var id=").Append(ScriptSafe(System.Text.Json.JsonSerializer.Serialize(id)))
            .Append(";function draw(){Plotly.newPlot(id,f.data,f.layout,{responsive:true,displaylogo:false});}")
            .Append("if(window.Plotly){draw();}else{var n=0,t=setInterval(function(){if(window.Plotly){clearInterval(t);draw();}else if(++n>200){clearInterval(t);}},50);}})();</script>\n");
        return html.ToString();
    }

    /// <summary>
    /// plotly.js for a page that shows its text first: the library as inert text (a <c>script type="text/plain"</c>
    /// element, which the HTML parser reads without running), then a loader that runs it once the page has been
    /// painted (the next animation frame, then a task) and calls <c>window.__xaiPlotlyReady()</c>. Put it at the end
    /// of the body, after the content, with <see cref="LazyDrawScript"/> in the head: headings, tables and the
    /// navigation pane show and work before plotly.js compiles, and charts draw when it is ready. (Handing it to the
    /// browser as an asynchronous blob: script instead was measured slower here: its first chart drew seconds later.)
    /// </summary>
    public static string DeferredPlotlyScriptElement()
        => "<script type=\"text/plain\" id=\"xai-plotly-source\">" + PlotlyJs + "</script>\n" + DeferredPlotlyLoader;

    private const string DeferredPlotlyLoader = """
        <script>(function(){
        function run(){var define=window.define;window.define=undefined;try{var s=document.createElement('script');s.text=document.getElementById('xai-plotly-source').textContent;document.head.appendChild(s);}
        finally{window.define=define;}if(window.__xaiPlotlyReady){window.__xaiPlotlyReady();}}
        if(window.requestAnimationFrame&&document.visibilityState!=='hidden'){requestAnimationFrame(function(){setTimeout(run,0);});}else{setTimeout(run,0);}
        })();</script>

        """;

    /// <summary>
    /// The scheduler lazy fragments register with (window.__xaiLazy(id)); the figure is read from the element id +
    /// "-figure". Nothing draws before plotly.js is ready (window.__xaiPlotlyReady(), called by the loader of
    /// <see cref="DeferredPlotlyScriptElement"/>; a page that loads plotly.js first needs no call). Then the charts
    /// within 600 px of the viewport (IntersectionObserver) draw first, in page order, and after the page's load event
    /// the others draw one per idle slot, so every chart is drawn a few seconds later without ever blocking scrolling
    /// for long. A chart is drawn once. window.__xaiDrawAll() draws every remaining chart at once (for printing);
    /// window.__xaiFirstDrawn holds the time (performance.now()) the first chart finished drawing.
    /// </summary>
    public const string LazyDrawScript = """
        <script>(function(){
        var pending={},order=[],near={},io=null,loaded=false;
        function plotly(){return !!window.Plotly;}
        function draw(id){var el=document.getElementById(id),data=document.getElementById(id+'-figure');if(!el||!data){return;}
          var f=JSON.parse(data.textContent);Plotly.newPlot(el,f.data,f.layout,{responsive:true,displaylogo:false});
          if(!window.__xaiFirstDrawn){window.__xaiFirstDrawn=performance.now();}}
        function run(id){if(!pending[id]||!plotly()){return;}delete pending[id];delete near[id];var el=document.getElementById(id);if(io&&el){io.unobserve(el);}draw(id);}
        if('IntersectionObserver' in window){io=new IntersectionObserver(function(es){es.forEach(function(e){if(e.isIntersecting){near[e.target.id]=true;run(e.target.id);}else{delete near[e.target.id];}});},{rootMargin:'600px 0px'});}
        window.__xaiLazy=function(id){pending[id]=true;order.push(id);var el=document.getElementById(id);if(io&&el){io.observe(el);}else if(!io){run(id);}};
        window.__xaiDrawAll=function(){while(order.length){run(order.shift());}};
        function idle(){var start=Date.now();while(order.length&&Date.now()-start<40){var id=order.shift();if(pending[id]){run(id);break;}}if(order.length){later();}}
        function later(){if(window.requestIdleCallback){requestIdleCallback(idle,{timeout:300});}else{setTimeout(idle,30);}}
        function nearFirst(){order.filter(function(id){return near[id];}).forEach(run);if(!io){window.__xaiDrawAll();}}
        window.__xaiPlotlyReady=function(){nearFirst();if(loaded){setTimeout(later,200);}};
        window.addEventListener('load',function(){loaded=true;if(plotly()){nearFirst();setTimeout(later,200);}});
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
