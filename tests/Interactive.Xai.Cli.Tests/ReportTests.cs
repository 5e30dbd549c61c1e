using System.Text.Json;
using System.Text.RegularExpressions;

namespace Interactive.Xai.Cli.Tests;

public class ReportTests
{
    [Fact]
    public void Explain_with_html_writes_a_self_contained_report_beside_the_json_and_escapes_feature_names()
    {
        using var folder = new TempFolder();
        const string evil = "<img src=x onerror=alert(1)>";
        var data = folder.File("x.csv", $"a,\"{evil}\",c,d\n1,2,3,4\n2,1,0,1\n0.5,0.5,2,2\n-1,3,1,0\n");
        string html = folder.File("report.html"), json = folder.File("out.json");
        var (code, output, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data,
            "--method", "exact-shap", "--json", json, "--html", html);
        Assert.True(code == 0, error);
        Assert.Contains("report.html", output);
        string page = File.ReadAllText(html);
        Assert.StartsWith("<!DOCTYPE html>", page);
        Assert.DoesNotContain("<img", page.Replace(Charts.ChartHtml.PlotlyJs, "", StringComparison.Ordinal));
        // In chart data: entity-escaped for plotly, then \\u-escaped for the script element.
        Assert.Contains("\\u0026lt;img src=x onerror=alert(1)\\u0026gt;", page);
        Assert.True(Regex.Matches(page, "class=\"xai-chart\"").Count >= 5);
        // The JSON keeps the name as it is: escaping is the HTML writer's job.
        var names = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("featureNames");
        Assert.Equal(evil, names[1].GetString());
    }

    [Fact]
    public void Demo_trains_explains_with_every_method_and_writes_json_and_html()
    {
        using var folder = new TempFolder();
        string html = folder.File("demo.html");
        var (code, output, error) = CliRunner.Run("demo", "--out", html, "--rows", "12");
        Assert.True(code == 0, error);
        Assert.Equal(["demo.html", "demo.json"], folder.Files().Order().ToArray());
        var results = JsonDocument.Parse(File.ReadAllText(folder.File("demo.json"))).RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["exact-shap", "kernel-shap", "permutation-importance", "pdp", "ice", "pdp-2d", "ale"],
            results.Select(r => r.GetProperty("method").GetString()!).ToArray());
        // Exact Shapley values of the trained model add up to its predictions (float32 model, double sums).
        Assert.InRange(results[0].GetProperty("additivityError").GetDouble(), 0, 1e-3);
        string page = File.ReadAllText(html);
        Assert.Contains("<meta charset=\"utf-8\">", page[..300]);
        Assert.Contains("exact-shap", output);
    }
}
