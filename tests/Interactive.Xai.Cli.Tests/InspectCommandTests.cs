using System.Text.Json;

namespace Interactive.Xai.Cli.Tests;

public class InspectCommandTests
{
    [Fact]
    public void Inspect_names_every_onnx_node_with_its_operator_and_writes_a_graph_report()
    {
        using var folder = new TempFolder();
        string json = folder.File("graph.json"), html = folder.File("graph.html");
        var (code, output, error) = CliRunner.Run("inspect", "--model", CliRunner.ModelPath("mlp10.onnx"), "--json", json, "--html", html);
        Assert.True(code == 0, error);
        Assert.Contains("11 nodes, 1,461 parameters", output);
        var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        var nodes = root.GetProperty("nodes").EnumerateArray().ToArray();
        Assert.Equal(11, nodes.Length);
        Assert.All(nodes, n => Assert.False(string.IsNullOrEmpty(n.GetProperty("operator").GetString())));
        Assert.Equal(3, nodes.Count(n => n.GetProperty("operator").GetString() == "Gemm"));
        Assert.Equal(1461, root.GetProperty("parameterCount").GetInt64());
        string page = File.ReadAllText(html);
        Assert.Contains("net.2.weight", page);
        Assert.Equal(2, page.Split("class=\"xai-chart\"").Length - 1);
    }

    [Fact]
    public void Inspect_reads_an_mlnet_pipeline_to_standard_output()
    {
        var (code, output, error) = CliRunner.Run("inspect", "--model", CliRunner.ModelPath("diabetes_fasttree.zip"), "--json", "-");
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal("ML.NET pipeline", root.GetProperty("format").GetString());
        Assert.Equal(["ColumnConcatenatingTransformer", "RegressionPredictionTransformer<FastTreeRegressionModelParameters>"],
            root.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("operator").GetString()!).ToArray());
    }

    [Fact]
    public void Inspect_of_a_corrupt_model_is_one_error_line_and_writes_nothing()
    {
        using var folder = new TempFolder();
        var model = folder.File("bad.onnx", "this is not a protobuf");
        var (code, _, error) = CliRunner.Run("inspect", "--model", model, "--json", folder.File("out.json"), "--html", folder.File("out.html"));
        BadInputTests.AssertOneErrorLine(code, error, "bad.onnx", "not a readable ONNX model");
        Assert.Equal(["bad.onnx"], folder.Files());
        (code, _, error) = CliRunner.Run("inspect", "--model", folder.File("model.pt"));
        BadInputTests.AssertOneErrorLine(code, error, "model.pt", "not found");
    }
}
