using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Interactive.Xai.Cli.Tests;

/// <summary>Issue 12.3: image and tabular models from any file, with the shape taken from the model when it says.</summary>
public class ModelFileShapeTests
{
    private static string Csv(TempFolder folder, string name, FeatureTable table, int rows, int columns)
    {
        var text = new StringBuilder(string.Join(',', table.FeatureNames.Take(columns))).Append('\n');
        for (int r = 0; r < rows; r++)
            text.Append(string.Join(',', table.Row(r).ToArray().Take(columns).Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        return folder.File(name, text.ToString());
    }

    private static JsonElement RunJson(TempFolder folder, params string[] args)
    {
        var json = folder.File("out-" + Guid.NewGuid().ToString("N") + ".json");
        var (code, _, error) = CliRunner.Run([.. args, "--json", json]);
        Assert.True(code == 0, error);
        return JsonDocument.Parse(File.ReadAllText(json)).RootElement;
    }

    private static double[] Values(JsonElement root) => root.GetProperty("values").EnumerateArray()
        .SelectMany(row => row.ValueKind == JsonValueKind.Array ? row.EnumerateArray().Select(v => v.GetDouble()) : [row.GetDouble()]).ToArray();

    [Fact]
    public void AnOnnxImageModelWithAnNchwInput_IsExplained_LikeTheSameNetworkBehindAReshape()
    {
        using var folder = new TempFolder();
        var data = Csv(folder, "digits.csv", Datasets.Digits().Features, 6, 64);
        string[] occlusion = ["--data", data, "--method", "occlusion", "--patch", "2", "--stride", "2", "--target", "predicted"];
        var nchw = RunJson(folder, ["explain", "--model", CliRunner.ModelPath("digits_cnn_nchw.onnx"), .. occlusion]);
        var flat = RunJson(folder, ["explain", "--model", CliRunner.ModelPath("digits_cnn.onnx"), "--input-shape", "1,8,8", .. occlusion]);
        Assert.Equal([1, 8, 8], nchw.GetProperty("inputShape").EnumerateArray().Select(v => v.GetInt32()));
        var a = Values(nchw);
        var b = Values(flat);
        Assert.Equal(b.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5, $"value {i}: {a[i]} vs {b[i]}");

        var html = folder.File("report.html");
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("digits_cnn_nchw.onnx"), "--data", data,
            "--method", "kernel-shap", "--samples", "200", "--background-size", "2", "--html", html);
        Assert.True(code == 0, error);
        Assert.True(new FileInfo(html).Length > 1000);
    }

    [Theory]
    [InlineData("digits_cnn_nchw.onnx")]
    [InlineData("digits_cnn.pt", "--input-shape", "1,8,8")]
    public void A63ColumnCsvForA64InputImageModel_IsReportedAs63Vs64NamingTheDataFile(string model, params string[] extra)
    {
        using var folder = new TempFolder();
        var data = Csv(folder, "digits63.csv", Datasets.Digits().Features, 4, 63);
        var (code, _, error) = CliRunner.Run(["explain", "--model", CliRunner.ModelPath(model), "--data", data, "--method", "occlusion", .. extra]);
        BadInputTests.AssertOneErrorLine(code, error, "digits63.csv", "63 feature columns but the model takes 64");
    }

    [Fact]
    public void ATabularTorchScriptModel_NeedsNoInputShape()
    {
        using var folder = new TempFolder();
        var data = Csv(folder, "diabetes.csv", Datasets.Diabetes().Features, 5, 10);
        var without = RunJson(folder, "explain", "--model", CliRunner.ModelPath("diabetes_mlp.pt"), "--data", data, "--method", "ig");
        var with = RunJson(folder, "explain", "--model", CliRunner.ModelPath("diabetes_mlp.pt"), "--data", data, "--method", "ig", "--input-shape", "10");
        Assert.Equal(Values(with), Values(without));
    }

    [Fact]
    public void InputShapeTen_WorksWithHtml()
    {
        using var folder = new TempFolder();
        var data = Csv(folder, "diabetes.csv", Datasets.Diabetes().Features, 5, 10);
        var html = folder.File("ig.html");
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("diabetes_mlp.pt"), "--data", data,
            "--method", "ig", "--input-shape", "10", "--html", html);
        Assert.True(code == 0, error);
        Assert.Contains("<html", File.ReadAllText(html));
    }

    [Fact]
    public void Counterfactual_AcceptsInputShape_AndATorchScriptModelWithoutIt()
    {
        using var folder = new TempFolder();
        var data = Csv(folder, "diabetes.csv", Datasets.Diabetes().Features, 40, 10);
        foreach (var extra in new[] { new[] { "--input-shape", "10" }, Array.Empty<string>() })
        {
            var root = RunJson(folder, ["counterfactual", "--model", CliRunner.ModelPath("diabetes_mlp.pt"), "--data", data, "--row", "2",
                "--desired-range", "50,100", "--generations", "5", "--count", "2", .. extra]);
            Assert.Equal(2, root.GetProperty("row").GetInt32());
        }
    }

    [Fact]
    public void AnImageTorchScriptModelWithoutInputShape_SaysToPassIt()
    {
        using var folder = new TempFolder();
        var data = Csv(folder, "digits.csv", Datasets.Digits().Features, 3, 64);
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("digits_cnn.pt"), "--data", data, "--method", "saliency");
        BadInputTests.AssertOneErrorLine(code, error, "digits_cnn.pt", "--input-shape C,H,W");
    }
}
