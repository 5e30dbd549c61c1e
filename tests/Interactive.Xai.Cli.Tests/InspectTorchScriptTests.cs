using System.Text.Json;

namespace Interactive.Xai.Cli.Tests;

public class InspectTorchScriptTests
{
    [Fact]
    public void Inspect_of_a_sequential_torchscript_cnn_names_every_layer_with_its_type_parameters_and_output_shape()
    {
        using var folder = new TempFolder();
        string json = folder.File("cnn.json"), html = folder.File("cnn.html");
        var (code, output, error) = CliRunner.Run("inspect", "--model", CliRunner.ModelPath("digits_cnn.pt"), "--input-shape", "1,8,8", "--json", json, "--html", html);
        Assert.True(code == 0, error);
        // conv1 8x1x3x3 + 8, conv2 16x8x3x3 + 16, fc 10x256 + 10.
        const int conv1 = 8 * 9 + 8, conv2 = 16 * 8 * 9 + 16, fc = 10 * 256 + 10;
        Assert.Contains($"TorchScript digits_cnn.pt: 9 nodes, {conv1 + conv2 + fc:N0} parameters", output);
        Assert.Contains("note: TorchScript: submodules have no forward hooks", output);
        var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal("TorchScript", root.GetProperty("format").GetString());
        var nodes = root.GetProperty("nodes").EnumerateArray().ToArray();
        Assert.Equal(["scale", "conv1", "relu1", "pool1", "conv2", "relu2", "flatten", "fc", "softmax"], nodes.Select(n => n.GetProperty("name").GetString()!).ToArray());
        Assert.Equal(["Scale", "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "Flatten", "Linear", "Softmax"], nodes.Select(n => n.GetProperty("operator").GetString()!).ToArray());
        long[] Shape(JsonElement node) => node.GetProperty("outputShapes")[0].EnumerateArray().Select(d => d.GetInt64()).ToArray();
        Assert.Equal([1, 8, 8, 8], Shape(nodes[1]));
        Assert.Equal([1, 8, 4, 4], Shape(nodes[3]));
        Assert.Equal([1, 16, 4, 4], Shape(nodes[4]));
        Assert.Equal([1, 256], Shape(nodes[6]));
        Assert.Equal([1, 10], Shape(nodes[8]));
        Assert.Equal(conv1 + conv2 + fc, root.GetProperty("parameterCount").GetInt64());
        Assert.Equal(conv1, nodes[1].GetProperty("parameterCount").GetInt64());
        Assert.Equal(fc, nodes[7].GetProperty("parameterCount").GetInt64());
        Assert.Contains("checked to reproduce the model", root.GetProperty("properties").GetProperty("inspection").GetString());
        string page = File.ReadAllText(html);
        Assert.Contains("How this was read: TorchScript", page);
        Assert.Contains("fc.weight", page);
    }

    [Fact]
    public void Inspect_of_a_non_sequential_torchscript_model_lists_layers_and_parameters_and_says_shapes_are_unknown()
    {
        // diabetes_mlp.pt standardises its input before its Sequential: calling the layers in order is not the model.
        var (code, output, error) = CliRunner.Run("inspect", "--model", CliRunner.ModelPath("diabetes_mlp.pt"), "--input-shape", "10", "--json", "-");
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(output).RootElement;
        var nodes = root.GetProperty("nodes").EnumerateArray().ToArray();
        Assert.Equal(["net.0", "net.1", "net.2", "net.3", "net.4"], nodes.Select(n => n.GetProperty("name").GetString()!).ToArray());
        Assert.Equal(["Linear", "ReLU", "Linear", "ReLU", "Linear"], nodes.Select(n => n.GetProperty("operator").GetString()!).ToArray());
        Assert.Equal([10 * 32 + 32, 0, 32 * 32 + 32, 0, 32 + 1], nodes.Select(n => n.TryGetProperty("parameterCount", out var p) ? p.GetInt64() : 0).ToArray());
        Assert.All(nodes, n => Assert.False(n.TryGetProperty("outputShapes", out var s) && s.GetArrayLength() > 0));
        Assert.Contains("per-layer output shapes are unknown", root.GetProperty("properties").GetProperty("inspection").GetString());
        Assert.Equal(["1", "1"], root.GetProperty("outputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetString()!).ToArray());
    }

    [Fact]
    public void Inspect_of_a_pt_file_without_or_with_a_wrong_input_shape_is_one_error_line_and_writes_nothing()
    {
        using var folder = new TempFolder();
        string json = folder.File("out.json"), html = folder.File("out.html");
        var (code, _, error) = CliRunner.Run("inspect", "--model", CliRunner.ModelPath("digits_cnn.pt"), "--json", json, "--html", html);
        BadInputTests.AssertOneErrorLine(code, error, "digits_cnn.pt", "--input-shape");
        (code, _, error) = CliRunner.Run("inspect", "--model", CliRunner.ModelPath("digits_cnn.pt"), "--input-shape", "1,x,8", "--json", json);
        BadInputTests.AssertOneErrorLine(code, error, "--input-shape", "'x' is not a positive whole number");
        (code, _, error) = CliRunner.Run("inspect", "--model", CliRunner.ModelPath("digits_cnn.pt"), "--input-shape", "3,8,8", "--json", json);
        Assert.Equal(1, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", error);
        (code, _, error) = CliRunner.Run("inspect", "--model", CliRunner.ModelPath("mlp10.onnx"), "--input-shape", "10", "--json", json);
        BadInputTests.AssertOneErrorLine(code, error, "mlp10.onnx", "--input-shape is for TorchScript");
        Assert.Empty(folder.Files());
    }
}
