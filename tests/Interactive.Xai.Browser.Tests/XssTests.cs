using System.Text.Json;
using Interactive.Xai.Charts;

namespace Interactive.Xai.Browser.Tests;

public sealed class XssTests(Browser browser) : IClassFixture<Browser>, IDisposable
{
    private const string Evil = "<img src=x onerror=alert(1)>";
    private readonly string _folder = Directory.CreateTempSubdirectory("xai-browser-xss-").FullName;

    [Fact]
    public void A_feature_named_like_an_img_tag_shows_as_text_in_html_and_charts_and_runs_nothing()
    {
        // A linear model whose second feature carries the name: exact Shapley values w_f (x_f - mean_f).
        var random = new Random(3);
        var values = new float[30, 3];
        for (int r = 0; r < 30; r++) for (int f = 0; f < 3; f++) values[r, f] = (float)(random.NextDouble() * 2 - 1);
        string[] names = ["a", Evil, "c"];
        var table = FeatureTable.FromArray(values, names);
        var model = DelegateModel.Linear([1f, 3f, -0.5f], 0f, names);
        var shap = new ExactShapleyExplainer(model, WeightedBackground.FromTable(table.Slice(0, 10))).Explain(table);
        string path = Path.Combine(_folder, "xss.html");
        File.WriteAllText(path, new HtmlReport(Evil).AddParagraph(Evil).AddExplanation(shap, Evil).ToHtml());

        browser.Open(path);
        var page = browser.Json($$"""
            var evil = {{JsonSerializer.Serialize(Evil)}};
            var svgText = Array.prototype.filter.call(document.querySelectorAll('.xai-chart .main-svg text'), function(t){ return t.textContent.indexOf(evil) >= 0; });
            return { title: document.title, h1: document.querySelector('h1').textContent, body: document.body.innerText,
                     images: document.querySelectorAll('img').length, svgText: svgText.length,
                     tableCells: Array.prototype.filter.call(document.querySelectorAll('td'), function(td){ return td.textContent === evil; }).length };
            """);
        Assert.Equal(Evil, page.GetProperty("title").GetString());
        Assert.Equal(Evil, page.GetProperty("h1").GetString());
        Assert.Contains(Evil, page.GetProperty("body").GetString());
        // As text in the charts too: the beeswarm's and importance chart's tick labels, the dependence axis, the waterfall.
        Assert.True(page.GetProperty("svgText").GetInt32() >= 3, $"the name appears as SVG text {page.GetProperty("svgText").GetInt32()} time(s)");
        Assert.Equal(0, page.GetProperty("images").GetInt32());
        Assert.Empty(browser.PageProblems());

        // Hovering a dot puts the name into plotly's hover label; that must stay text as well.
        browser.Driver.ExecuteScript("var gd = document.querySelectorAll('.xai-linked .xai-chart')[0]; Plotly.Fx.hover(gd, [{curveNumber: gd.data.length - 1, pointNumber: 0}]);");
        Assert.Equal(0, browser.Script<long>("return document.querySelectorAll('img').length;"));
        Assert.Empty(browser.PageProblems());

        // The hook itself works: a dialog the page does open is recorded (so an empty list above means none ran).
        browser.Driver.ExecuteScript("alert('control');");
        Assert.Equal(["alert:control"], browser.Alerts());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
