using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Interactive.Xai.Cli.Tests;

public class ExplainCommandTests
{
    private static readonly double[] LinearWeights = [1.5, -2.0, 0.25, 3.0];

    private static string Csv(TempFolder folder, string name, string[] header, double[][] rows)
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

    private static JsonElement RunJson(TempFolder folder, params string[] args)
    {
        var json = folder.File("out.json");
        var (code, _, error) = CliRunner.Run([.. args, "--json", json]);
        Assert.True(code == 0, error);
        return JsonDocument.Parse(File.ReadAllText(json)).RootElement;
    }

    [Fact]
    public void ExactShap_OnTheLinearOnnxModel_GivesWeightTimesDistanceFromTheBackgroundMean()
    {
        using var folder = new TempFolder();
        var rows = RandomRows(5, 4, seed: 1);
        var background = RandomRows(6, 4, seed: 2);
        string[] header = ["a", "b", "c", "d"];
        var json = RunJson(folder, "explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", Csv(folder, "x.csv", header, rows),
            "--background", Csv(folder, "bg.csv", header, background), "--method", "exact-shap");
        Assert.Equal("exact-shap", json.GetProperty("method").GetString());
        Assert.Equal(header, json.GetProperty("featureNames").EnumerateArray().Select(e => e.GetString()));
        var values = json.GetProperty("values");
        for (int r = 0; r < 5; r++)
            for (int j = 0; j < 4; j++)
            {
                double mean = background.Average(b => b[j]);
                Assert.Equal(LinearWeights[j] * (rows[r][j] - mean), values[r][j].GetDouble(), 1e-4); // float32 model
            }
        Assert.True(json.GetProperty("additivityError").GetDouble() < 1e-5);
        Assert.True(json.GetProperty("modelEvaluations").GetInt64() > 0);
        Assert.True(json.GetProperty("elapsedSeconds").GetDouble() >= 0);
    }

    [Fact]
    public void KernelShap_TargetAll_AddsAnOutputDimensionAndOneBaseValuePerOutput()
    {
        using var folder = new TempFolder();
        var json = RunJson(folder, "explain", "--model", CliRunner.ModelPath("classifier4.onnx"),
            "--data", Csv(folder, "x.csv", ["sepal_length", "sepal_width", "petal_length", "petal_width"], [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]),
            "--method", "kernel-shap", "--target", "all");
        Assert.Equal("all", json.GetProperty("target").GetString());
        Assert.Equal(3, json.GetProperty("baseValue").GetArrayLength());
        var values = json.GetProperty("values");
        Assert.Equal(2, values.GetArrayLength());
        Assert.Equal(4, values[0].GetArrayLength());
        Assert.Equal(3, values[0][0].GetArrayLength());
        Assert.Equal(values[0][0].GetArrayLength(), json.GetProperty("standardErrors")[0][0].GetArrayLength());
    }

    [Fact]
    public void PdpAndIce_WriteTheGridTheAverageAndOneCurvePerRow()
    {
        using var folder = new TempFolder();
        var rows = RandomRows(7, 4, seed: 3);
        var data = Csv(folder, "x.csv", ["a", "b", "c", "d"], rows);
        var json = RunJson(folder, "explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "ice", "--feature", "b", "--grid", "-1,0,1");
        Assert.Equal("ice", json.GetProperty("method").GetString());
        Assert.Equal("b", json.GetProperty("feature").GetString());
        Assert.Equal([-1.0, 0.0, 1.0], json.GetProperty("grid").EnumerateArray().Select(e => e.GetDouble()));
        var average = json.GetProperty("average").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(-2.0, average[2] - average[1], 4); // the slope of b
        Assert.Equal(7, json.GetProperty("ice").GetArrayLength());
        Assert.Equal(3, json.GetProperty("ice")[0].GetArrayLength());
        var pdp = RunJson(folder, "explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "pdp", "--feature", "a", "--grid-points", "5");
        Assert.Equal(5, pdp.GetProperty("grid").GetArrayLength());
    }

    [Fact]
    public void Ale_WritesEdgesOneValuePerEdgeAndBinCounts()
    {
        using var folder = new TempFolder();
        var json = RunJson(folder, "explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", Csv(folder, "x.csv", ["a", "b", "c", "d"], RandomRows(50, 4, seed: 4)),
            "--method", "ale", "--feature", "d", "--bins", "5");
        var edges = json.GetProperty("edges").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var values = json.GetProperty("values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(edges.Length, values.Length);
        Assert.Equal(edges.Length - 1, json.GetProperty("binCounts").GetArrayLength());
        Assert.Equal(50, json.GetProperty("binCounts").EnumerateArray().Sum(e => e.GetInt32()));
        Assert.Equal(3.0, (values[^1] - values[0]) / (edges[^1] - edges[0]), 3);
    }

    [Fact]
    public void PermutationImportance_ReadsTheLabelColumnAndReportsEveryRepeat()
    {
        using var folder = new TempFolder();
        var rows = RandomRows(80, 4, seed: 5);
        var labelled = rows.Select(r => r.Append(r.Zip(LinearWeights, (x, w) => x * w).Sum() + 0.5).ToArray()).ToArray();
        var json = RunJson(folder, "explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", Csv(folder, "x.csv", ["a", "b", "c", "d", "y"], labelled),
            "--label", "y", "--method", "permutation-importance", "--repeats", "4", "--metric", "mae");
        Assert.Equal("mae", json.GetProperty("metric").GetString());
        Assert.Equal(4, json.GetProperty("repeats").GetInt32());
        var values = json.GetProperty("values");
        Assert.Equal(4, values.GetArrayLength());
        Assert.All(values.EnumerateArray(), v => Assert.Equal(4, v.GetArrayLength()));
        var mean = json.GetProperty("mean").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.True(mean[3] > mean[2], "the feature with weight 3 matters more than the one with weight 0.25");
        Assert.Equal(0.0, json.GetProperty("baselineScore").GetDouble(), 4);
    }

    [Fact]
    public void OnnxAndMLNetVersionsOfTheSameModel_GiveTheSameExplanations()
    {
        using var folder = new TempFolder();
        var diabetes = Datasets.Diabetes().Features;
        var rows = Enumerable.Range(0, 6).Select(r => diabetes.Row(r).ToArray().Select(v => (double)v).ToArray()).ToArray();
        var data = Csv(folder, "x.csv", diabetes.FeatureNames.ToArray(), rows);
        foreach (var method in new[] { "exact-shap", "kernel-shap" })
        {
            var onnx = RunJson(folder, "explain", "--model", CliRunner.ModelPath("mlp10.onnx"), "--data", data, "--method", method, "--background-size", "4");
            var mlnet = RunJson(folder, "explain", "--model", CliRunner.ModelPath("mlp10_via_mlnet.zip"), "--output-column", "output", "--data", data, "--method", method, "--background-size", "4");
            var a = onnx.GetProperty("values").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(e => e.GetDouble()).ToArray();
            var b = mlnet.GetProperty("values").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(e => e.GetDouble()).ToArray();
            Assert.Equal(a.Length, b.Length);
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 1e-3 * (1 + Math.Abs(a[i])));
        }
    }
}
