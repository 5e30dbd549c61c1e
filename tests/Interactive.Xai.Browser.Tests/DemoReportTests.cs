using System.Text.Json;
using Interactive.Xai.Cli;
using OpenQA.Selenium.Interactions;

namespace Interactive.Xai.Browser.Tests;

/// <summary>The demo report, generated in process and written to a temporary file, plus one browser for the class.</summary>
public sealed class DemoReportFixture : IDisposable
{
    public const int Rows = 40;

    public DemoReportFixture()
    {
        Demo = DemoCommand.Build(Rows, seed: 42);
        Folder = Directory.CreateTempSubdirectory("xai-browser-demo-").FullName;
        Path = System.IO.Path.Combine(Folder, "xai-demo.html");
        File.WriteAllText(Path, Demo.Html);
        Browser = new Browser();
    }

    internal DemoResult Demo { get; }
    public string Folder { get; }
    public string Path { get; }
    public Browser Browser { get; }

    public void Dispose()
    {
        Browser.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}

public sealed class DemoReportTests(DemoReportFixture fixture) : IClassFixture<DemoReportFixture>
{
    private Browser Browser => fixture.Browser;

    [Fact]
    public void The_demo_report_opened_from_disk_draws_every_chart_with_its_points_and_bars_and_no_page_errors()
    {
        Browser.Open(fixture.Path);
        var charts = Browser.Json(Browser.ChartSummaryScript).EnumerateArray().ToArray();
        Browser.SaveScreenshot("demo-report-top");

        // Each attribution section has five charts (importance, beeswarm, waterfall, heatmap, dependence); every other
        // result one (permutation importance, PDP, centred ICE, 2-D PDP, ALE).
        var results = fixture.Demo.Explanations;
        Assert.Equal(results.Sum(r => r is AttributionExplanation ? 5 : 1), charts.Length);
        foreach (var chart in charts)
        {
            string title = chart.GetProperty("title").GetString()!;
            Assert.True(chart.GetProperty("mainSvg").GetInt32() >= 1, $"{chart.GetProperty("id")} ({title}) has no .main-svg");
            var traces = chart.GetProperty("traces").EnumerateArray().Where(t => t.GetProperty("visible").GetBoolean()).ToArray();
            Assert.NotEmpty(traces);
            // What plotly drew equals what plotly computed from the data: markers, bars, waterfall steps, heatmaps.
            int Calc(Func<JsonElement, bool> which) => traces.Where(which).Sum(t => t.GetProperty("calc").GetInt32());
            Assert.Equal(Calc(t => Type(t) == "scatter" && Mode(t).Contains("markers")), chart.GetProperty("scatterPoints").GetInt32());
            Assert.Equal(traces.Count(t => Type(t) == "scatter" && Mode(t).Contains("lines")), chart.GetProperty("scatterLines").GetInt32());
            Assert.Equal(Calc(t => Type(t) is "bar" or "histogram"), chart.GetProperty("bars").GetInt32());
            Assert.Equal(Calc(t => Type(t) == "waterfall"), chart.GetProperty("waterfallBars").GetInt32());
            Assert.Equal(traces.Count(t => Type(t) == "heatmap"), chart.GetProperty("heatmapImages").GetInt32());
            if (traces.Any(t => Type(t) == "contour")) Assert.True(chart.GetProperty("contours").GetInt32() > 0);
        }

        // The attribution charts hold the numbers each explanation implies, section by section.
        int next = 0;
        foreach (var result in results)
        {
            if (result is not AttributionExplanation a) { next++; continue; }
            var (importance, beeswarm, waterfall, heatmap, dependence) = (charts[next], charts[next + 1], charts[next + 2], charts[next + 3], charts[next + 4]);
            next += 5;
            int rows = a.RowCount, features = a.FeatureCount, shownFeatures = Math.Min(features, 20), steps = Math.Min(features, 10);
            Assert.StartsWith("Feature importance", Title(importance));
            Assert.Equal(shownFeatures, importance.GetProperty("bars").GetInt32());
            Assert.StartsWith("Attributions per row", Title(beeswarm));
            Assert.Equal(shownFeatures, beeswarm.GetProperty("traces").GetArrayLength());
            Assert.All(beeswarm.GetProperty("traces").EnumerateArray(), t => Assert.Equal(rows, t.GetProperty("points").GetInt32()));
            Assert.Equal(rows * shownFeatures, beeswarm.GetProperty("scatterPoints").GetInt32());
            Assert.StartsWith("Row 0:", Title(waterfall));
            Assert.Equal(steps + 1, waterfall.GetProperty("waterfallBars").GetInt32());
            Assert.StartsWith("Attributions, rows x features", Title(heatmap));
            var z = heatmap.GetProperty("traces")[0];
            Assert.Equal((shownFeatures, rows), (z.GetProperty("zRows").GetInt32(), z.GetProperty("zColumns").GetInt32()));
            Assert.Equal(1, heatmap.GetProperty("heatmapImages").GetInt32());
            Assert.StartsWith("Dependence of", Title(dependence));
            Assert.Equal(rows, dependence.GetProperty("scatterPoints").GetInt32());
        }
        Assert.Equal(2, results.Count(r => r is AttributionExplanation { RowCount: DemoReportFixture.Rows }));
        const int features10 = 10;
        var permutation = charts.Single(c => Title(c).StartsWith("Permutation importance"));
        Assert.Equal(features10, permutation.GetProperty("bars").GetInt32());
        Assert.Equal(features10 * 10, permutation.GetProperty("scatterPoints").GetInt32());

        Assert.Empty(Browser.PageProblems());
        // The page is self-contained: nothing but the file itself was requested.
        var resources = Browser.Json("return performance.getEntriesByType('resource').map(function(e){ return e.name; });");
        Assert.Empty(resources.EnumerateArray());
    }

    [Fact]
    public void Clicking_a_beeswarm_dot_with_the_mouse_shows_that_rows_waterfall()
    {
        Browser.Open(fixture.Path);
        var shap = (AttributionExplanation)fixture.Demo.Explanations[0];
        // The first linked view (exact Shapley): beeswarm, status line, waterfall, heatmap.
        var ids = Browser.Json("var c = document.querySelectorAll('.xai-linked')[0].querySelectorAll('.xai-chart'); return [c[0].id, c[1].id, c[2].id];");
        string beeswarm = ids[0].GetString()!, waterfall = ids[1].GetString()!;
        Assert.StartsWith("Row 0:", WaterfallState(waterfall).GetProperty("title").GetString());

        // The most important feature's trace is the top one (last); its dot furthest right stands apart from the others.
        Browser.Driver.ExecuteScript($"document.getElementById('{beeswarm}').scrollIntoView({{block: 'center'}});");
        var target = Browser.Json($$"""
            var gd = document.getElementById('{{beeswarm}}'), ti = gd.data.length - 1, t = gd.data[ti];
            var best = 0;
            for (var i = 1; i < t.x.length; i++) if (t.x[i] > t.x[best]) best = i;
            if (t.customdata[best][0] === 0) { for (var j = 0; j < t.x.length; j++) if (t.x[j] < t.x[best]) best = j; }
            var xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, rect = gd.getBoundingClientRect();
            return { row: t.customdata[best][0], x: rect.left + xa._offset + xa.l2p(t.x[best]), y: rect.top + ya._offset + ya.l2p(t.y[best]) };
            """);
        int row = target.GetProperty("row").GetInt32();
        Assert.NotEqual(0, row);

        // A real mouse: move over the dot (plotly's hover picks it), then press and release there.
        new Actions(Browser.Driver)
            .MoveToLocation((int)Math.Round(target.GetProperty("x").GetDouble()), (int)Math.Round(target.GetProperty("y").GetDouble()))
            .Pause(TimeSpan.FromMilliseconds(250))
            .Click()
            .Perform();
        Browser.WaitUntil(() => Browser.Script<string?>("return document.getElementById('link-1-status').getAttribute('data-row');") == row.ToString(),
            TimeSpan.FromSeconds(30), $"the status line to name row {row} after the click");

        var state = WaterfallState(waterfall);
        Assert.StartsWith($"Row {row}:", state.GetProperty("title").GetString());
        Assert.Equal(shap.BaseValue(), state.GetProperty("base").GetDouble(), 6);
        // Steps bottom to top: every feature's attribution by ascending |value|, then the f(x) total.
        var values = shap.RowValues(row);
        var expected = Enumerable.Range(0, values.Length).OrderByDescending(f => Math.Abs(values[f])).ThenBy(f => f).Reverse().ToArray();
        var x = state.GetProperty("x").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var y = state.GetProperty("y").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(values.Length + 1, x.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(values[expected[i]], x[i], 6);
            Assert.StartsWith(shap.FeatureNames[expected[i]] + " = ", y[i]);
        }
        Assert.Equal("f(x)", y[^1]);
        Assert.Equal(shap.Prediction(row), shap.BaseValue() + x.Take(values.Length).Sum(), 4);
        Browser.SaveScreenshot("demo-report-after-click");
        Assert.Empty(Browser.PageProblems());
    }

    private JsonElement WaterfallState(string id) => Browser.Json($$"""
        var gd = document.getElementById('{{id}}'), t = gd.data[0];
        return { title: gd._fullLayout.title.text, base: t.base, x: Array.from(t.x), y: Array.from(t.y) };
        """);

    private static string Type(JsonElement trace) => trace.GetProperty("type").GetString()!;
    private static string Mode(JsonElement trace) => trace.GetProperty("mode").GetString()!;
    private static string Title(JsonElement chart) => chart.GetProperty("title").GetString()!;
}
