using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>
/// A self-contained HTML report: headings, paragraphs, tables and charts in one file that opens offline in any
/// browser. plotly.js is embedded once (at the end, loaded after the content shows), the UTF-8 charset is declared first, and every user-provided string is
/// escaped (HTML text through <see cref="WebUtility.HtmlEncode(string)"/>, chart text through <see cref="PlotText"/>).
/// </summary>
public sealed class HtmlReport
{
    /// <summary>Rows x targets above which a linked attribution view links only the first rows.</summary>
    public const int MaxLinkedRows = 5000;

    private readonly List<string> _blocks = [];
    private readonly List<(int Level, string Id, string Text)> _sections = [];
    private int _charts;
    private int _links;

    /// <summary>Starts an empty report.</summary>
    public HtmlReport(string title)
    {
        Title = title ?? throw new ArgumentNullException(nameof(title));
    }

    /// <summary>The page title (escaped when written).</summary>
    public string Title { get; }

    /// <summary>The number of charts added so far.</summary>
    public int ChartCount => _charts;

    /// <summary>Adds a heading (level 2 to 4).</summary>
    public HtmlReport AddHeading(string text, int level = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 4);
        string id = $"section-{_sections.Count + 1}";
        _sections.Add((level, id, text));
        _blocks.Add($"<h{level} id=\"{id}\">{Encode(text)}</h{level}>");
        return this;
    }

    /// <summary>Adds a paragraph of plain text.</summary>
    public HtmlReport AddParagraph(string text)
    {
        _blocks.Add($"<p>{Encode(text)}</p>");
        return this;
    }

    /// <summary>Adds a table of plain-text cells; an empty header leaves out the header row.</summary>
    public HtmlReport AddTable(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? caption = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        var html = new StringBuilder("<table>");
        if (caption is not null) html.Append("<caption>").Append(Encode(caption)).Append("</caption>");
        if (header.Count > 0)
        {
            html.Append("<thead><tr>");
            foreach (var cell in header) html.Append("<th>").Append(Encode(cell)).Append("</th>");
            html.Append("</tr></thead>");
        }
        html.Append("<tbody>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (var cell in row) html.Append("<td>").Append(Encode(cell)).Append("</td>");
            html.Append("</tr>");
        }
        _blocks.Add(html.Append("</tbody></table>").ToString());
        return this;
    }

    /// <summary>Adds a chart.</summary>
    public HtmlReport AddChart(GenericChart chart)
    {
        _blocks.Add(ChartHtml.Fragment(chart, $"chart-{++_charts}", lazy: true));
        return this;
    }

    /// <summary>
    /// Adds a linked view of an attribution explanation: a beeswarm and a heatmap whose dots and cells, when clicked,
    /// show that row's waterfall in a third chart (plotly.js click events in the page; no server).
    /// </summary>
    public HtmlReport AddLinkedAttribution(AttributionExplanation explanation, int maxFeatures = 20, int waterfallFeatures = 10)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        int link = ++_links;
        int linkedRows = Math.Min(explanation.RowCount, Math.Max(1, MaxLinkedRows / Math.Max(1, explanation.TargetCount)));
        string beeswarm = $"chart-{++_charts}", heatmap = $"chart-{++_charts}", waterfall = $"chart-{++_charts}";
        _blocks.Add($"<div class=\"xai-linked\" data-link=\"{link}\">");
        _blocks.Add(ChartHtml.Fragment(AttributionCharts.Beeswarm(explanation, maxFeatures), beeswarm, lazy: true));
        _blocks.Add($"<p class=\"xai-hint\" id=\"link-{link}-status\">Showing row 0. Click a dot in the beeswarm or a cell in the heatmap to show that row's waterfall.</p>");
        _blocks.Add(ChartHtml.Fragment(AttributionCharts.Waterfall(explanation, 0, waterfallFeatures), waterfall, lazy: true));
        _blocks.Add(ChartHtml.Fragment(AttributionCharts.Heatmap(explanation, HeatmapRowOrder.Prediction, maxFeatures), heatmap, lazy: true));
        if (linkedRows < explanation.RowCount)
            _blocks.Add($"<p class=\"xai-hint\">Only the first {linkedRows} rows are linked to the waterfall (the page keeps every row's steps).</p>");

        // Every linked row's waterfall steps, per target: labels (already escaped for plotly), values, base, prediction, titles.
        var steps = new List<object>();
        for (int t = 0; t < explanation.TargetCount; t++)
        {
            var rows = new List<object>(linkedRows);
            for (int r = 0; r < linkedRows; r++)
            {
                var s = AttributionCharts.WaterfallSteps(explanation, r, t, waterfallFeatures);
                var patch = AttributionCharts.WaterfallLayoutPatch(explanation, s, r, t);
                rows.Add(new { l = s.Labels, v = s.Values, b = s.BaseValue, p = s.Prediction, title = patch["title.text"], axis = patch["xaxis.title.text"], range = patch["xaxis.range"] });
            }
            steps.Add(rows);
        }
        string data = ChartHtml.ScriptSafe(JsonSerializer.Serialize(steps));
        _blocks.Add($$"""
            <script>(function(){
            var steps={{data}};
            var ids={beeswarm:"{{beeswarm}}",heatmap:"{{heatmap}}",waterfall:"{{waterfall}}"};
            function fmt(v){return Number(v.toPrecision(4)).toString();}
            function show(row,target){
              var byTarget=steps[target]; if(!byTarget||row<0||row>=byTarget.length){return;}
              var s=byTarget[row];
              var x=s.v.concat([0]);
              var measure=s.v.map(function(){return "relative";}).concat(["total"]);
              var text=s.v.map(function(v){return (v>=0?"+":"")+fmt(v);}).concat([fmt(s.p)]);
              var w=document.getElementById(ids.waterfall);
              var idx=0;
              for(var i=0;i<w.data.length;i++){ if((w.data[i].meta||0)===target){ idx=i; } }
              Plotly.restyle(w,{ x:[x], y:[s.l.concat(["f(x)"])], measure:[measure], text:[text], base:[s.b] },[idx]);
              Plotly.relayout(w,{"title.text":s.title,"xaxis.title.text":s.axis,"xaxis.range":s.range,"xaxis.autorange":false});
              var status=document.getElementById("link-{{link}}-status");
              status.textContent="Showing row "+row+". Click a dot in the beeswarm or a cell in the heatmap to show that row's waterfall.";
              status.setAttribute("data-row",String(row));
            }
            function hook(id,rowOf){
              var el=document.getElementById(id);
              function attach(){ el.on("plotly_click",function(ev){ var p=ev.points[0]; show(rowOf(p), p.data.meta||0); }); }
              if(el.on){ attach(); } else { var t=setInterval(function(){ if(el.on){ clearInterval(t); attach(); } },100); }
            }
            hook(ids.beeswarm,function(p){return p.customdata[0];});
            hook(ids.heatmap,function(p){return p.customdata;});
            })();</script>
            """);
        _blocks.Add("</div>");
        return this;
    }

    /// <summary>The whole page.</summary>
    public string ToHtml()
    {
        var html = new StringBuilder(4_000_000);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"generator\" content=\"Interactive.Xai\">\n")
            .Append("<title>").Append(Encode(Title)).Append("</title>\n")
            .Append("<style>").Append(Style).Append("</style>\n")
            .Append(ChartHtml.LazyDrawScript)
            .Append("</head>\n<body")
            .Append(_sections.Count > 1 ? " class=\"xai-with-nav\"" : "").Append(">\n");
        if (_sections.Count > 1)
        {
            // The navigation pane: every heading as a link to its anchor, indented by level.
            html.Append("<nav class=\"xai-nav\" aria-label=\"Sections\"><p class=\"xai-nav-title\">Sections</p><ol>");
            foreach (var (level, id, text) in _sections)
                html.Append("<li class=\"xai-nav-").Append(level).Append("\"><a href=\"#").Append(id).Append("\">").Append(Encode(text)).Append("</a></li>");
            html.Append("</ol></nav>\n");
        }
        html.Append("<main>\n<h1>").Append(Encode(Title)).Append("</h1>\n");
        foreach (var block in _blocks) html.Append(block).Append('\n');
        html.Append("<footer>Made with Interactive.Xai; charts drawn by plotly.js ").Append(ChartHtml.PlotlyJsVersion)
            .Append(" (MIT licence), embedded in this file.</footer>\n</main>\n")
            // plotly.js last, as inert text handed to the browser asynchronously: the text and the navigation pane show
            // and work at once, the charts draw when it has compiled (the charts in view first).
            .Append(ChartHtml.DeferredPlotlyScriptElement())
            .Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static string Encode(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    private const string Style =
        "body{margin:0;background:#fafafa;color:#222;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;}" +
        "main{max-width:1100px;margin:0 auto;padding:24px;background:#fff;}" +
        "h1{font-size:1.6em;margin:0 0 .5em}h2{font-size:1.3em;margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}" +
        "table{border-collapse:collapse;margin:1em 0;font-size:.92em}caption{text-align:left;font-weight:600;margin-bottom:.3em}" +
        "th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}th{background:#f3f3f3}" +
        "td{font-variant-numeric:tabular-nums}.xai-chart{width:100%;min-height:360px;margin:8px 0}" +
        ".xai-hint{color:#555;font-size:.9em}footer{margin-top:3em;color:#777;font-size:.85em}" +
        ".xai-nav{position:fixed;top:0;left:0;bottom:0;width:230px;overflow-y:auto;padding:16px 10px;box-sizing:border-box;background:#f4f4f4;border-right:1px solid #ddd;font-size:.85em}" +
        ".xai-nav ol{list-style:none;margin:0;padding:0}.xai-nav li{margin:.25em 0}.xai-nav a{color:#0b5394;text-decoration:none}.xai-nav a:hover{text-decoration:underline}" +
        ".xai-nav-title{font-weight:600;margin:0 0 .5em}.xai-nav-3{padding-left:1em}.xai-nav-4{padding-left:2em}" +
        "body.xai-with-nav main{margin-left:max(250px,calc((100vw - 1100px) / 2))}h2,h3,h4{scroll-margin-top:12px}" +
        "@media (max-width:900px){.xai-nav{position:static;width:auto;height:auto;border-right:0;border-bottom:1px solid #ddd}body.xai-with-nav main{margin-left:auto}}" +
        "@media print{.xai-nav{display:none}body.xai-with-nav main{margin-left:auto}}";

}
