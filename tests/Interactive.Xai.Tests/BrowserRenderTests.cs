using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Interactive.Xai.Notebook;

namespace Interactive.Xai.Tests;

/// <summary>
/// The outputs of a real kernel session, saved in order into one page (what a notebook frontend shows when the
/// notebook is reopened), opened offline in headless Debian Chromium: the charts must draw from the plotly.js the
/// first output carries; without that output each chart must say in one line what it lacks.
/// </summary>
public sealed class BrowserRenderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "xai-browser-" + Guid.NewGuid().ToString("N")[..8]);

    public BrowserRenderTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static async Task<List<string>> SessionOutputs()
    {
        NotebookHtml.ResetSession();
        using var session = await KernelSession.StartAsync();
        var outputs = session.Extension!.Html.ToList();
        foreach (var code in new[]
        {
            "using Interactive.Xai; var diabetes = Datasets.Diabetes();",
            "diabetes.Features.ToDataFrame()",
            $"#!xai-explain --model \"{Fixtures.ModelPath("diabetes_fasttree.zip")}\" --data diabetes --rows 0-19",
            $"#!xai-pdp --model \"{Fixtures.ModelPath("diabetes_fasttree.zip")}\" --data diabetes --feature bmi",
        })
        {
            var result = await session.SubmitAsync(code);
            Assert.True(result.Succeeded, result.Describe());
            outputs.AddRange(result.Html.Where(h => !h.Contains("xai-progress")));
        }
        return outputs;
    }

    private string Render(IEnumerable<string> outputs)
    {
        var page = new StringBuilder("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>reopened notebook</title></head><body>\n");
        foreach (var output in outputs) page.Append("<div class=\"cell-output\">").Append(output).Append("</div>\n");
        page.Append("</body></html>\n");
        string path = Path.Combine(_folder, "page.html");
        File.WriteAllText(path, page.ToString(), new UTF8Encoding(false));
        Interactive.Xai.TestSupport.Prerequisites.RequireChromium();  // apt-get installs it when missing and root
        var start = new ProcessStartInfo("/usr/bin/chromium",
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--user-data-dir=" + Path.Combine(_folder, "profile"),
            "--virtual-time-budget=15000", "--dump-dom", new Uri(path).AbsoluteUri,
        ])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string dom = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "chromium did not finish");
        Assert.True(dom.Length > 0, "chromium printed no DOM: " + stderr.Result);
        return dom;
    }

    private static int Charts(IEnumerable<string> outputs) => outputs.Sum(o => Regex.Matches(o, "<div class=\"xai-chart\"").Count);

    [Fact]
    public async Task A_reopened_session_draws_every_chart_offline_from_the_plotly_js_of_its_first_output()
    {
        var outputs = await SessionOutputs();
        int charts = Charts(outputs);
        Assert.Equal(4, charts);   // explain: bar, beeswarm, waterfall; pdp: one
        Assert.Single(outputs, o => o.Contains(Interactive.Xai.Charts.ChartHtml.PlotlyJs[..200]));

        string dom = Render(outputs);

        // plotly.js draws each chart into an svg.main-svg (a plot has two or three layered ones)
        Assert.Equal(charts, Regex.Matches(dom, "class=\"xai-chart").Count);
        Assert.True(Regex.Matches(dom, "class=\"main-svg\"").Count >= charts, "not every chart drew");
        Assert.DoesNotContain(">This chart needs", dom);   // the note as shown text, not the script that holds it
        Assert.Contains("<table class=\"xai-summary\">", dom);
    }

    [Fact]
    public async Task Without_the_output_that_carried_plotly_js_each_chart_says_what_it_needs()
    {
        var outputs = (await SessionOutputs()).Where(o => !o.Contains(Interactive.Xai.Charts.ChartHtml.PlotlyJs[..200])).ToList();

        string dom = Render(outputs);

        Assert.DoesNotContain("class=\"main-svg\"", dom);
        Assert.Equal(Charts(outputs), Regex.Matches(dom, ">This chart needs plotly.js@2.28.0, which this page has not loaded").Count);
    }
}
