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

    [Theory]
    [InlineData("missing-folder/demo.html", "the folder")]
    [InlineData("a-folder.html", "is a folder")]
    public void Demo_checks_its_output_files_before_training(string name, string expected)
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.File("a-folder.html"));
        bool built = false;
        var error = Assert.Throws<XaiException>(() => DemoCommand.Run(folder.File(name), 12, TextWriter.Null, 0, (_, _, _) =>
        {
            built = true;
            throw new InvalidOperationException("the demo computed before checking its output files");
        }));
        Assert.Contains(expected, error.Message);
        Assert.False(built);
        Assert.Equal(["a-folder.html"], Directory.EnumerateFileSystemEntries(folder.Path).Select(Path.GetFileName).ToArray());
    }

    [Fact]
    public void Demo_trains_explains_with_every_method_and_writes_json_and_html()
    {
        using var folder = new TempFolder();
        string html = folder.File("demo.html");
        var (code, output, error) = CliRunner.Run("demo", "--out", html, "--rows", "12", "--epochs", "2");
        Assert.True(code == 0, error);
        Assert.Equal(["demo.html", "demo.json"], folder.Files().Order().ToArray());
        var root = JsonDocument.Parse(File.ReadAllText(folder.File("demo.json"))).RootElement;
        var results = root.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["exact-shap", "kernel-shap", "permutation-importance", "pdp", "ice", "pdp-2d", "ale", "lime", "counterfactual"],
            results.Select(r => r.GetProperty("method").GetString()!).ToArray());
        // Exact Shapley values of the trained model add up to its predictions (float32 model, double sums).
        Assert.InRange(results[0].GetProperty("additivityError").GetDouble(), 0, 1e-3);
        string page = File.ReadAllText(html);
        Assert.Contains("<meta charset=\"utf-8\">", page[..300]);
        Assert.Contains("exact-shap", output);

        // The network part: 2 epochs of 23 steps (1,438 training digits in batches of 64), validated after each epoch;
        // the last validation accuracy is the held-out accuracy, and the confusion matrix counts every held-out digit.
        var network = root.GetProperty("network");
        Assert.Equal(2, network.GetProperty("epochs").GetInt32());
        int testRows = network.GetProperty("testRows").GetInt32();
        Assert.Equal(1797 / 5, testRows);
        Assert.Equal(1797 - testRows, network.GetProperty("trainRows").GetInt32());
        var training = network.GetProperty("training");
        Assert.Equal(2 * 23, training.GetProperty("steps").GetInt32());
        var validation = training.GetProperty("validation").EnumerateArray().ToArray();
        Assert.Equal([22, 45], validation.Select(v => v.GetProperty("step").GetInt32()).ToArray());
        Assert.Equal(network.GetProperty("testAccuracy").GetDouble(), validation[^1].GetProperty("accuracy").GetDouble(), 12);
        Assert.Equal(["conv1", "conv2", "fc"], training.GetProperty("finalGradientNorms").EnumerateObject().Select(p => p.Name).ToArray());
        var confusion = network.GetProperty("confusionMatrix");
        var counts = confusion.GetProperty("counts").EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetInt32()).ToArray()).ToArray();
        Assert.Equal(testRows, counts.Sum(r => r.Sum()));
        Assert.Equal(network.GetProperty("testAccuracy").GetDouble(), (double)Enumerable.Range(0, 10).Sum(c => counts[c][c]) / testRows, 12);
        // The structure names every layer with its type.
        var nodes = network.GetProperty("structure").GetProperty("nodes").EnumerateArray().ToArray();
        Assert.Equal(["conv1", "relu1", "pool1", "conv2", "relu2", "flatten", "fc"], nodes.Select(n => n.GetProperty("name").GetString()!).ToArray());
        Assert.Equal(["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "Flatten", "Linear"], nodes.Select(n => n.GetProperty("operator").GetString()!).ToArray());
        // One held-out image per digit, explained by four methods for its predicted digit.
        Assert.Equal(Enumerable.Range(0, 10).Select(d => d.ToString()).ToArray(),
            network.GetProperty("explainedLabels").EnumerateArray().Select(l => l.GetString()!).ToArray());
        var images = network.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal(["saliency", "ig", "grad-cam", "occlusion"], images.Select(r => r.GetProperty("method").GetString()!).ToArray());
        var ig = images[1];
        var deltas = ig.GetProperty("convergenceDelta").EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Array ? d[0].GetDouble() : d.GetDouble()).ToArray();
        Assert.Equal(10, deltas.Length);
        Assert.All(deltas, d => Assert.InRange(Math.Abs(d), 0, 0.1));
        Assert.Contains("digits ig", output);
        Assert.Contains("Integrated Gradients convergence per image", page);
    }

    [Fact]
    public void Demo_with_no_epochs_leaves_out_the_network_and_says_so()
    {
        using var folder = new TempFolder();
        string html = folder.File("demo.html");
        var (code, output, error) = CliRunner.Run("demo", "--out", html, "--rows", "5", "--epochs", "0");
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(File.ReadAllText(folder.File("demo.json"))).RootElement;
        Assert.Equal(JsonValueKind.Null, root.GetProperty("network").ValueKind);
        Assert.Equal("--epochs 0", root.GetProperty("networkSkipped").GetString());
        Assert.Contains("neural-network part left out: --epochs 0", output);
        (code, _, error) = CliRunner.Run("demo", "--out", html, "--epochs", "-1");
        BadInputTests.AssertOneErrorLine(code, error, "--epochs", "at least 0");
    }
}
