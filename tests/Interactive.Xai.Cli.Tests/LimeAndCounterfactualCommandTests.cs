using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Interactive.Xai.Cli.Tests;

public class LimeAndCounterfactualCommandTests
{
    private static readonly double[] LinearWeights = [1.5, -2.0, 0.25, 3.0];
    private static readonly string[] IrisHeader = ["sepal_length", "sepal_width", "petal_length", "petal_width"];

    private static string Csv(TempFolder folder, string name, string[] header, IEnumerable<double[]> rows)
    {
        var text = new StringBuilder(string.Join(',', header)).Append('\n');
        foreach (var row in rows) text.Append(string.Join(',', row.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        return folder.File(name, text.ToString());
    }

    private static double[][] RandomRows(int count, int columns, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, columns).Select(_ => Math.Round(random.NextDouble() * 4 - 2, 3)).ToArray()).ToArray();
    }

    private static string IrisCsv(TempFolder folder)
    {
        var iris = Datasets.Iris().Features;
        return Csv(folder, "iris.csv", IrisHeader, Enumerable.Range(0, iris.RowCount).Select(r => iris.Row(r).ToArray().Select(v => (double)v).ToArray()));
    }

    private static JsonElement RunJson(TempFolder folder, params string[] args)
    {
        var json = folder.File("out.json");
        var (code, _, error) = CliRunner.Run([.. args, "--json", json]);
        Assert.True(code == 0, error);
        return JsonDocument.Parse(File.ReadAllText(json)).RootElement;
    }

    [Fact]
    public void Lime_OnTheLinearOnnxModel_GivesWeightTimesDistanceFromTheDataMean_WithInterceptAndFidelity()
    {
        using var folder = new TempFolder();
        var rows = RandomRows(40, 4, seed: 1);
        var json = RunJson(folder, "explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", Csv(folder, "x.csv", ["a", "b", "c", "d"], rows),
            "--method", "lime", "--no-discretize", "--samples", "2000");
        Assert.Equal("lime", json.GetProperty("method").GetString());
        var values = json.GetProperty("values");
        Assert.Equal(40, values.GetArrayLength());
        for (int r = 0; r < 40; r += 7)
        {
            double sum = json.GetProperty("intercept")[r].GetDouble();
            for (int j = 0; j < 4; j++)
            {
                double mean = rows.Average(x => x[j]);
                Assert.Equal(LinearWeights[j] * (rows[r][j] - mean), values[r][j].GetDouble(), 0.02);
                // lime's ridge penalty (1) shrinks the slopes by well under 3 %.
                Assert.Equal(LinearWeights[j], json.GetProperty("coefficients")[r][j].GetDouble(), 0.03 * Math.Abs(LinearWeights[j]));
                sum += values[r][j].GetDouble();
            }
            Assert.Equal(json.GetProperty("predictions")[r].GetDouble(), sum, 0.02);
            Assert.True(json.GetProperty("fidelity")[r].GetDouble() > 0.999);
        }
        Assert.Equal(3, json.GetProperty("stabilityRuns").GetInt32());
        Assert.Equal(40, json.GetProperty("stabilityJaccard").GetArrayLength());
    }

    [Fact]
    public void Lime_WithDiscretisation_WritesAnHtmlReportWithTheLimeBars()
    {
        using var folder = new TempFolder();
        var html = folder.File("lime.html");
        var (code, output, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"),
            "--data", Csv(folder, "x.csv", ["a", "b", "c", "d"], RandomRows(30, 4, seed: 2)), "--method", "lime", "--samples", "500", "--lime-features", "2", "--html", html);
        Assert.True(code == 0, error);
        Assert.Contains("wrote", output, StringComparison.Ordinal);
        var text = File.ReadAllText(html);
        Assert.Contains("LIME: local surrogate models", text, StringComparison.Ordinal);
        Assert.Contains("fidelity (weighted R²)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Counterfactual_OnTheIrisClassifier_ReachesTheDesiredClassWithoutTouchingImmutableFeatures()
    {
        using var folder = new TempFolder();
        var json = RunJson(folder, "counterfactual", "--model", CliRunner.ModelPath("classifier4.onnx"), "--data", IrisCsv(folder),
            "--row", "0", "--desired", "2", "--count", "3", "--immutable", "sepal_length,sepal_width");
        var cfs = json.GetProperty("counterfactuals");
        var predictions = json.GetProperty("predictions");
        Assert.Equal(3, cfs.GetArrayLength());
        var original = json.GetProperty("original");
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(4, cfs[k].GetArrayLength());
            var p = predictions[k].EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(3, p.Length);
            Assert.Equal(2, Array.IndexOf(p, p.Max()));
            Assert.Equal(original[0].GetDouble(), cfs[k][0].GetDouble());
            Assert.Equal(original[1].GetDouble(), cfs[k][1].GetDouble());
            var changed = json.GetProperty("changedFeatures")[k].EnumerateArray().Select(e => e.GetString()).ToArray();
            Assert.DoesNotContain("sepal_length", changed);
            Assert.NotEmpty(changed);
        }
        Assert.Equal(1.0, json.GetProperty("validity").GetDouble());
        Assert.True(json.GetProperty("proximity").GetDouble() > 0);
        Assert.InRange(json.GetProperty("sparsity").GetDouble(), 0, 1);
        Assert.True(json.GetProperty("diversity").GetDouble() > 0);
        Assert.Equal(2, json.GetProperty("goal").GetProperty("desiredClass").GetInt32());
    }

    [Fact]
    public void Counterfactual_OnTheLinearRegressor_ReachesTheRange()
    {
        using var folder = new TempFolder();
        var rows = RandomRows(100, 4, seed: 3);
        var json = RunJson(folder, "counterfactual", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", Csv(folder, "x.csv", ["a", "b", "c", "d"], rows),
            "--row", "5", "--desired-range", "4,5", "--integer", "c", "--increase-only", "d");
        var cfs = json.GetProperty("counterfactuals");
        Assert.Equal(4, cfs.GetArrayLength());
        for (int k = 0; k < cfs.GetArrayLength(); k++)
        {
            var x = cfs[k].EnumerateArray().Select(e => e.GetDouble()).ToArray();
            double y = x.Zip(LinearWeights, (a, w) => a * w).Sum() + 0.5; // linear4's bias
            Assert.InRange(y, 4 - 1e-4, 5 + 1e-4);
            Assert.InRange(json.GetProperty("predictions")[k][0].GetDouble(), 4, 5);
            if (x[2] != (float)rows[5][2]) Assert.Equal(Math.Round(x[2]), x[2]);
            Assert.True(x[3] >= (float)rows[5][3]);
        }
    }

    [Theory]
    [InlineData("--row", "150", "--desired", "2", "--row 150 is out of range")]
    [InlineData("--row", "-1", "--desired", "2", "--row -1 is out of range")]
    [InlineData("--row", "0", "--immutable", "petal_area", "--immutable: no feature named 'petal_area'")]
    [InlineData("--row", "0", "--desired-range", "1", "--desired-range takes two numbers")]
    [InlineData("--row", "0", "--desired-range", "2,x", "--desired-range: 'x' is not a finite number")]
    [InlineData("--row", "0", "--desired", "7", "class 7 does not exist")]
    public void Counterfactual_BadInput_GivesOneErrorLineAndNoFile(string a, string b, string c, string d, string expected)
    {
        using var folder = new TempFolder();
        var data = IrisCsv(folder);
        var json = folder.File("cf.json");
        string[] goal = c == "--immutable" ? [c, d, "--desired", "1"] : [c, d];
        var (code, _, error) = CliRunner.Run(["counterfactual", "--model", CliRunner.ModelPath("classifier4.onnx"), "--data", data, a, b, .. goal, "--json", json]);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(File.Exists(json));
    }

    [Fact]
    public void Counterfactual_NeedsExactlyOneGoal()
    {
        using var folder = new TempFolder();
        var data = IrisCsv(folder);
        var (code, _, error) = CliRunner.Run("counterfactual", "--model", CliRunner.ModelPath("classifier4.onnx"), "--data", data, "--row", "0");
        Assert.Equal(1, code);
        Assert.Contains("give exactly one goal", error, StringComparison.Ordinal);
        (code, _, error) = CliRunner.Run("counterfactual", "--model", CliRunner.ModelPath("classifier4.onnx"), "--data", data, "--row", "0", "--desired", "1", "--desired-range", "0,1");
        Assert.Equal(1, code);
        Assert.Contains("give exactly one goal", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Lime_BadSampleCount_GivesOneErrorLine()
    {
        using var folder = new TempFolder();
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"),
            "--data", Csv(folder, "x.csv", ["a", "b", "c", "d"], RandomRows(10, 4, seed: 4)), "--method", "lime", "--samples", "1");
        Assert.Equal(1, code);
        Assert.Contains("error: lime needs at least 2 samples per row", error, StringComparison.Ordinal);
    }
}
