using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Interactive.Xai.Charts;
using Plotly.NET;

namespace Interactive.Xai.Notebook;

/// <summary>
/// HTML for notebook outputs: charts that draw with plotly.js loaded once per session, and the helpers every view
/// uses to escape user text.
/// </summary>
/// <remarks>
/// <para>plotly.js (the copy embedded in Plotly.NET, so nothing is fetched) is written inline into the first output
/// of the session that needs it — normally the "loaded" line of the extension — and every later chart waits for
/// <c>window.Plotly</c>. A saved notebook therefore carries plotly.js exactly once, in its first output, and draws
/// offline when it is reopened and its outputs are rendered in order. A chart whose page never gets plotly.js (the
/// output that carried it was cleared) says so in one line instead of staying blank. For outputs that must stand
/// alone (copied out of the notebook), set <see cref="EmbedPlotlyInEveryOutput"/>.</para>
/// </remarks>
public static class NotebookHtml
{
    private static int _plotlyWritten;

    /// <summary>When true, every chart output carries plotly.js itself (about 3.6 MB each); default false.</summary>
    public static bool EmbedPlotlyInEveryOutput { get; set; }

    /// <summary>What a chart output needs from the page, as written in its data-xai-requires attribute.</summary>
    public static string Requirement => "plotly.js@" + ChartHtml.PlotlyJsVersion;

    /// <summary>Whether plotly.js has been written into an output in this session.</summary>
    public static bool PlotlyWritten => Volatile.Read(ref _plotlyWritten) != 0;

    /// <summary>
    /// plotly.js as script elements the first time it is asked for in the session (or every time with
    /// <see cref="EmbedPlotlyInEveryOutput"/>), otherwise an empty string.
    /// </summary>
    public static string PlotlyBootstrap()
    {
        if (_formattingForWarmUp) return string.Empty;
        if (!EmbedPlotlyInEveryOutput && Interlocked.Exchange(ref _plotlyWritten, 1) != 0) return string.Empty;
        return ChartHtml.PlotlyScriptElement();
    }

    // True on the thread of XaiNotebook.WarmUp: what it formats is never shown, so it must not use up the session's
    // one copy of plotly.js.
    [ThreadStatic] private static bool _formattingForWarmUp;

    /// <summary>Runs <paramref name="format"/> on this thread without writing plotly.js or marking it written.</summary>
    internal static void FormatWithoutPlotly(Action format)
    {
        _formattingForWarmUp = true;
        try
        {
            format();
        }
        finally
        {
            _formattingForWarmUp = false;
        }
    }

    /// <summary>Forgets that plotly.js was written (a new session, or tests).</summary>
    public static void ResetSession() => Volatile.Write(ref _plotlyWritten, 0);

    /// <summary>One chart: plotly.js when the session has not had it, a div, and the script that draws into it.</summary>
    public static string Chart(GenericChart chart)
    {
        ArgumentNullException.ThrowIfNull(chart);
        var html = new StringBuilder();
        html.Append(PlotlyBootstrap());
        AppendChart(html, chart);
        return html.ToString();
    }

    /// <summary>Appends a chart's div and drawing script (plotly.js is not included).</summary>
    internal static void AppendChart(StringBuilder html, GenericChart chart)
    {
        string id = ChartHtml.NewId() + "-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Random.Shared.Next(1 << 30).ToString(CultureInfo.InvariantCulture);
        html.Append("<div class=\"xai-chart\" id=\"").Append(id).Append("\" data-xai-requires=\"").Append(Requirement)
            .Append("\" style=\"width:100%;min-height:360px\"></div>\n<script>(function(){var f=")
            .Append(ChartHtml.FigureJson(chart))
            .Append(";var id=\"").Append(id).Append("\";")
            .Append("function draw(){Plotly.newPlot(id,f.data,f.layout,{responsive:true,displaylogo:false});}")
            .Append("if(window.Plotly){draw();return;}")
            .Append("var n=0,t=setInterval(function(){if(window.Plotly){clearInterval(t);draw();}else if(++n>200){clearInterval(t);")
            .Append("var e=document.getElementById(id);if(e){e.style.minHeight='0';e.textContent='This chart needs ").Append(Requirement)
            .Append(", which this page has not loaded: run the cell with #r \"nuget: Interactive.Xai\" again (or set NotebookHtml.EmbedPlotlyInEveryOutput).';}}},50);})();</script>\n");
    }

    /// <summary>HTML-escapes text.</summary>
    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? string.Empty);

    /// <summary>JSON that can sit inside a script element.</summary>
    internal static string ScriptJson<T>(T value)
        => JsonSerializer.Serialize(value).Replace("<", "\\u003c", StringComparison.Ordinal).Replace(">", "\\u003e", StringComparison.Ordinal)
            .Replace("&", "\\u0026", StringComparison.Ordinal).Replace("\u2028", "\\u2028", StringComparison.Ordinal).Replace("\u2029", "\\u2029", StringComparison.Ordinal);

    /// <summary>A table of label/value facts.</summary>
    internal static void AppendFacts(StringBuilder html, IEnumerable<(string Label, string Value)> facts)
    {
        html.Append("<table class=\"xai-facts\">");
        foreach (var (label, value) in facts)
            html.Append("<tr><th>").Append(Encode(label)).Append("</th><td>").Append(Encode(value)).Append("</td></tr>");
        html.Append("</table>\n");
    }

    /// <summary>A table with a header row.</summary>
    internal static void AppendTable(StringBuilder html, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, string? caption = null)
    {
        html.Append("<table class=\"xai-table\">");
        if (caption is not null) html.Append("<caption>").Append(Encode(caption)).Append("</caption>");
        html.Append("<thead><tr>");
        foreach (var h in header) html.Append("<th>").Append(Encode(h)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (var cell in row) html.Append("<td>").Append(Encode(cell)).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table>\n");
    }

    /// <summary>The style shared by every view (scoped to .xai-view).</summary>
    internal const string Style =
        "<style>.xai-view{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:13px}" +
        ".xai-view table{border-collapse:collapse;margin:4px 0 8px}.xai-view th,.xai-view td{border:1px solid #ddd;padding:2px 6px;text-align:left}" +
        ".xai-view th{background:#f3f3f3}.xai-view td{font-variant-numeric:tabular-nums}.xai-view caption{text-align:left;font-weight:600}" +
        ".xai-view h3{font-size:1.1em;margin:6px 0}.xai-view .xai-hint{color:#555}.xai-view .xai-error{color:#b00020}</style>\n";

    internal static string Number(double value) => double.IsNaN(value) ? "" : value.ToString("G5", CultureInfo.InvariantCulture);
}
