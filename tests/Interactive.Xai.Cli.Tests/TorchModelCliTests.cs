using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Interactive.Xai.Cli.Tests;

/// <summary>`xai explain` on TorchScript (.pt) files: Grad-CAM, the tabular methods, and bad .pt files.</summary>
public class TorchModelCliTests
{
    private static string Csv(FeatureTable table, int rows)
    {
        var text = new StringBuilder(string.Join(",", table.FeatureNames)).Append('\n');
        for (int r = 0; r < rows; r++)
            text.Append(string.Join(",", table.Row(r).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        return text.ToString();
    }

    private static float[] Flat(JsonElement element)
        => element.EnumerateArray().SelectMany(e => e.ValueKind == JsonValueKind.Array ? Flat(e) : [e.GetSingle()]).ToArray();

    private static JsonElement Reference(string model)
        => JsonDocument.Parse(File.ReadAllText(CliRunner.ModelPath("torch_reference.json"))).RootElement.GetProperty(model);

    [Fact]
    public void GradCamOnTheDigitsCnnFileWritesPyTorchsMapForEachRow()
    {
        var reference = Reference("digits_cnn");
        var inputs = Flat(reference.GetProperty("inputs"));
        var maps = Flat(reference.GetProperty("gradCam"));
        int target = reference.GetProperty("targets")[0].GetInt32();
        using var folder = new TempFolder();
        var names = Enumerable.Range(0, 64).Select(i => $"p{i}").ToArray();
        var data = folder.File("digit.csv", Csv(FeatureTable.FromRowMajor(inputs.AsSpan(0, 64), 1, 64, names), 1));
        var json = folder.File("cam.json");
        var (code, output, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("digits_cnn.pt"), "--input-shape", "1,8,8",
            "--data", data, "--method", "grad-cam", "--layer", "conv2", "--target", target.ToString(CultureInfo.InvariantCulture), "--json", json);
        Assert.True(code == 0, error);
        Assert.StartsWith("grad-cam:", output);
        using var result = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("grad-cam", result.RootElement.GetProperty("method").GetString());
        var values = Flat(result.RootElement.GetProperty("values"));
        Assert.Equal(64, values.Length);
        double scale = maps.Take(64).Max();
        for (int p = 0; p < 64; p++) Assert.True(Math.Abs(maps[p] - values[p]) <= 1e-4 * scale, $"pixel {p}: PyTorch {maps[p]}, xai {values[p]}");
    }

    [Fact]
    public void GradCamWithTargetPredictedExplainsEveryRowAndWritesAReport()
    {
        using var folder = new TempFolder();
        var data = folder.File("digits.csv", Csv(Datasets.Digits().Features, 6));
        var html = folder.File("cam.html");
        var (code, output, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("digits_cnn.pt"), "--input-shape", "1,8,8",
            "--data", data, "--method", "grad-cam", "--layer", "conv2", "--target", "predicted", "--html", html);
        Assert.True(code == 0, error);
        Assert.Contains("cam.html", output);
        Assert.True(new FileInfo(html).Length > 1000);
    }

    [Fact]
    public void ExactShapOnTheDiabetesMlpFileEqualsTheSameNetworkAsOnnx()
    {
        using var folder = new TempFolder();
        var data = folder.File("diabetes.csv", Csv(Datasets.Diabetes().Features, 15));
        var fromTorch = folder.File("torch.json");
        var fromOnnx = folder.File("onnx.json");
        var torchRun = CliRunner.Run("explain", "--model", CliRunner.ModelPath("diabetes_mlp.pt"), "--input-shape", "10",
            "--data", data, "--method", "exact-shap", "--json", fromTorch);
        var onnxRun = CliRunner.Run("explain", "--model", CliRunner.ModelPath("diabetes_mlp.onnx"), "--data", data, "--method", "exact-shap", "--json", fromOnnx);
        Assert.True(torchRun.ExitCode == 0, torchRun.Error);
        Assert.True(onnxRun.ExitCode == 0, onnxRun.Error);
        var a = Flat(JsonDocument.Parse(File.ReadAllText(fromTorch)).RootElement.GetProperty("values"));
        var b = Flat(JsonDocument.Parse(File.ReadAllText(fromOnnx)).RootElement.GetProperty("values"));
        Assert.Equal(15 * 10, a.Length);
        double scale = b.Max(Math.Abs);
        Assert.True(scale > 1);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-4 * scale, $"value {i}: torch {a[i]}, onnx {b[i]}");
    }

    [Theory]
    [InlineData("kernel-shap")]
    [InlineData("pdp")]
    [InlineData("ale")]
    public void TabularMethodsRunOnATorchScriptFile(string method)
    {
        using var folder = new TempFolder();
        var data = folder.File("diabetes.csv", Csv(Datasets.Diabetes().Features, 40));
        var json = folder.File("out.json");
        var args = new List<string> { "explain", "--model", CliRunner.ModelPath("diabetes_mlp.pt"), "--input-shape", "10", "--data", data, "--method", method, "--json", json };
        if (method is "pdp" or "ale") args.AddRange(["--feature", "bmi"]);
        if (method == "kernel-shap") args.AddRange(["--samples", "256"]);
        var (code, _, error) = CliRunner.Run([.. args]);
        Assert.True(code == 0, error);
        using var result = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(method, result.RootElement.GetProperty("method").GetString());
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("empty")]
    [InlineData("truncated")]
    [InlineData("state-dict")]
    public void BadTorchScriptFilesGiveOneErrorLineNamingTheFile(string kind)
    {
        using var folder = new TempFolder();
        var original = File.ReadAllBytes(CliRunner.ModelPath("digits_cnn.pt"));
        var model = folder.File("broken.pt");
        File.WriteAllBytes(model, kind switch
        {
            "garbage" => Enumerable.Range(0, 500).Select(i => (byte)(i * 37)).ToArray(),
            "truncated" => original[..(original.Length / 2)],
            "state-dict" => File.ReadAllBytes(CliRunner.ModelPath("diabetes_mlp_state_dict.pt")),
            _ => [],
        });
        var data = folder.File("x.csv", Csv(Datasets.Diabetes().Features, 3));
        var json = folder.File("out.json");
        var (code, output, error) = CliRunner.Run("explain", "--model", model, "--input-shape", "10", "--data", data, "--method", "exact-shap", "--json", json);
        BadInputTests.AssertOneErrorLine(code, error, "broken.pt", "not a TorchScript file");
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.False(File.Exists(json));
    }

    [Theory]
    [InlineData("digits_cnn.pt", null, "grad-cam", "conv2", "--input-shape")]
    [InlineData("digits_cnn.pt", "1,6,6", "grad-cam", "conv2", "failed on an input of shape [2,1,6,6]")]
    [InlineData("digits_cnn.pt", "1,8,9", "grad-cam", "conv2", "64 feature columns but the model takes 72")]
    [InlineData("digits_cnn.pt", "1,8,x", "grad-cam", "conv2", "'x' is not a positive whole number")]
    [InlineData("digits_cnn.pt", "1,8,8", "grad-cam", "conv9", "the convolutional layers are: conv1, conv2")]
    [InlineData("digits_cnn.pt", "1,8,8", "grad-cam", null, "grad-cam needs --layer NAME (the convolutional layers are: conv1, conv2)")]
    [InlineData("diabetes_mlp.onnx", "1,8,8", "exact-shap", null, "--input-shape 1,8,8 holds 64 values but the model takes 10 features")]
    [InlineData("diabetes_mlp.onnx", null, "grad-cam", "conv2", "needs a TorchSharp model")]
    public void WrongShapesLayersAndModelsGiveOneErrorLine(string modelFile, string? shape, string method, string? layer, string expected)
    {
        using var folder = new TempFolder();
        var features = modelFile.StartsWith("digits") ? Datasets.Digits().Features : Datasets.Diabetes().Features;
        var data = folder.File("x.csv", Csv(features, 2));
        var args = new List<string> { "explain", "--model", CliRunner.ModelPath(modelFile), "--data", data, "--method", method };
        if (shape is not null) args.AddRange(["--input-shape", shape]);
        if (layer is not null) args.AddRange(["--layer", layer]);
        var (code, output, error) = CliRunner.Run([.. args]);
        BadInputTests.AssertOneErrorLine(code, error, expected, "");
        Assert.Equal(1, code);
        Assert.Equal("", output);
    }
}
