using System.Text.RegularExpressions;
using Interactive.Xai.Charts;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

public sealed class HtmlReportTests
{
    [Fact]
    public void The_page_declares_utf8_before_any_script_and_embeds_plotly_once_for_many_charts()
    {
        var e = LinearShap(20, [1f, -1f, 0.5f]);
        var report = new HtmlReport("Report − with a minus sign").AddExplanation(e);
        string html = report.ToHtml();
        int charset = html.IndexOf("<meta charset=\"utf-8\">", StringComparison.Ordinal);
        Assert.InRange(charset, 0, 200);
        Assert.True(charset < html.IndexOf("<script", StringComparison.Ordinal));
        string signature = ChartHtml.PlotlyJs[..200];
        Assert.Single(Regex.Matches(html, Regex.Escape(signature)));
        string withoutPlotly = html.Replace(ChartHtml.PlotlyJs, "", StringComparison.Ordinal);
        Assert.True(report.ChartCount >= 5);
        Assert.Equal(report.ChartCount, Regex.Matches(html, "class=\"xai-chart\"").Count);
        // Each chart: its figure as inert JSON and one registration with the lazy scheduler, which alone calls plotly.
        Assert.Equal(report.ChartCount, Regex.Matches(withoutPlotly, "<script type=\"application/json\" id=\"chart-\\d+-figure\">").Count);
        Assert.Equal(report.ChartCount, Regex.Matches(withoutPlotly, @"<script>window\.__xaiLazy\(""chart-\d+""\);</script>").Count);
        Assert.Single(Regex.Matches(withoutPlotly, "Plotly.newPlot"));
        Assert.Contains("Report − with a minus sign", html);
        Assert.DoesNotContain("cdn.", withoutPlotly);
        Assert.DoesNotContain("src=\"http", html);
    }

    [Fact]
    public void Plotly_js_comes_after_the_content_as_inert_text_so_the_page_shows_before_it_compiles()
    {
        var e = LinearShap(20, [1f, -1f, 0.5f]);
        string html = new HtmlReport("order").AddHeading("one").AddExplanation(e).AddHeading("two").ToHtml();
        int plotly = html.IndexOf(ChartHtml.PlotlyJs[..200], StringComparison.Ordinal);
        int head = html.IndexOf("</head>", StringComparison.Ordinal);
        // The scheduler is in the head (charts register with it as they are parsed); plotly.js is after the footer,
        // in a text/plain element the parser does not run, followed by its loader.
        Assert.True(html.IndexOf("window.__xaiLazy=function", StringComparison.Ordinal) < head);
        Assert.True(plotly > html.IndexOf("</footer>", StringComparison.Ordinal));
        Assert.EndsWith("<script type=\"text/plain\" id=\"xai-plotly-source\">", html[..plotly]);
        int loader = html.IndexOf("window.__xaiPlotlyReady()", plotly, StringComparison.Ordinal);
        Assert.True(loader > plotly && loader < html.IndexOf("</body>", StringComparison.Ordinal));
        // Every figure is valid JSON once read back.
        foreach (Match m in Regex.Matches(html, "<script type=\"application/json\" id=\"chart-\\d+-figure\">(.*?)</script>", RegexOptions.Singleline))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(m.Groups[1].Value);
            Assert.True(doc.RootElement.TryGetProperty("data", out _));
        }
    }

    [Fact]
    public void Every_user_string_is_escaped_in_text_tables_and_chart_data()
    {
        var e = LinearShap(10, [1f, 2f], names: [XssName, "</script><script>alert(2)</script>"]);
        string html = new HtmlReport(XssName).AddHeading(XssName).AddParagraph(XssName)
            .AddTable([XssName], [[XssName]]).AddExplanation(e, XssName).ToHtml();
        string withoutPlotly = html.Replace(ChartHtml.PlotlyJs, "", StringComparison.Ordinal);
        Assert.DoesNotContain("<img", withoutPlotly);
        Assert.DoesNotContain("alert(2)</script>", withoutPlotly);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", withoutPlotly);
        // Only our own script elements: plotly.js's loader, the lazy-drawing scheduler, one per chart and one per linked
        // view (plotly.js itself and the figures are inert text/plain and application/json elements).
        int scripts = Regex.Matches(withoutPlotly, "<script>").Count;
        Assert.Equal(1 + 1 + Regex.Matches(withoutPlotly, "class=\"xai-chart\"").Count + 1, scripts);
        Assert.Equal(Regex.Matches(withoutPlotly, "<script").Count, scripts + 1 + Regex.Matches(withoutPlotly, "class=\"xai-chart\"").Count);
        // The navigation pane links to the headings with their text escaped.
        Assert.Contains("<nav class=\"xai-nav\"", withoutPlotly);
        Assert.Contains("<a href=\"#section-1\">&lt;img src=x onerror=alert(1)&gt;</a>", withoutPlotly);
    }

    [Fact]
    public void A_linked_view_carries_every_rows_waterfall_steps_ending_at_the_prediction()
    {
        var e = LinearShap(12, [1f, -1f, 0.5f, 2f]);
        string html = new HtmlReport("linked").AddLinkedAttribution(e, waterfallFeatures: 3).ToHtml();
        var match = Regex.Match(html, @"var steps=(\[.*?\]\]);\n");
        Assert.True(match.Success);
        using var doc = System.Text.Json.JsonDocument.Parse(match.Groups[1].Value);
        var rows = doc.RootElement[0];
        Assert.Equal(12, rows.GetArrayLength());
        for (int r = 0; r < 12; r++)
        {
            var s = rows[r];
            double end = s.GetProperty("b").GetDouble() + s.GetProperty("v").EnumerateArray().Sum(v => v.GetDouble());
            Assert.Equal(e.Prediction(r), s.GetProperty("p").GetDouble(), 9);
            Assert.Equal(e.Prediction(r), end, 5);
            Assert.Equal(3, s.GetProperty("l").GetArrayLength());
        }
    }
}
