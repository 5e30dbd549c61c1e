using System.Text.Json;
using Interactive.Xai.Hosting;

namespace Interactive.Xai.Cli.Tests;

/// <summary>occlusion through the command line (any model: it needs only predictions) and through the runner.</summary>
public class OcclusionMethodTests
{
    private static readonly float[] Weights = [1.5f, -2f, 0.25f, 3f];   // linear4.onnx: y = w . x + 0.5

    [Fact]
    public void Cli_OcclusionOfAnOnnxLinearModel_GivesWeightTimesDistanceFromTheFill_AndAnImageReport()
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", "a,b,c,d\n1,2,3,4\n0,1,0,1\n-1,0.5,2,0\n");
        string json = folder.File("out.json"), html = folder.File("out.html");
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "occlusion",
            "--input-shape", "1,2,2", "--fill", "1", "--json", json, "--html", html);
        Assert.True(code == 0, error);
        var result = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal("occlusion", result.GetProperty("method").GetString());
        Assert.Equal([1, 2, 2], result.GetProperty("inputShape").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        float[][] rows = [[1, 2, 3, 4], [0, 1, 0, 1], [-1, 0.5f, 2, 0]];
        var values = result.GetProperty("values");
        for (int r = 0; r < 3; r++)
            for (int i = 0; i < 4; i++) Assert.Equal(Weights[i] * (rows[r][i] - 1), values[r][i].GetDouble(), 4);
        Assert.Equal(Weights.Sum() + 0.5, result.GetProperty("baseValue").GetDouble(), 4);
        Assert.True(result.GetProperty("additivityError").GetDouble() < 1e-4);
        string page = File.ReadAllText(html);
        Assert.Contains("Attributions over the inputs", page);
        Assert.DoesNotContain("xai-linked", page.Replace(Charts.ChartHtml.PlotlyJs, "", StringComparison.Ordinal));
    }

    [Fact]
    public void Runner_OcclusionPatchStrideAndMeanBaseline_FollowTheRequest()
    {
        var model = DelegateModel.Linear(Weights, 0.5f);
        var data = FeatureTable.FromArray(new float[,] { { 1, 2, 3, 4 }, { -1, 0, 2, 1 }, { 0.5f, 0.5f, -2, 0 } });
        var runner = new ExplanationRunner();

        // Mean baseline, 1 x 1: w_i (x_i - mean_i).
        var mean = (AttributionExplanation)runner.Run(model, data, new ExplanationRequest { Method = "occlusion", Baseline = "mean", Target = "predicted" });
        double[] means = [0.5 / 3, 2.5 / 3, 1, 5 / 3.0];
        for (int r = 0; r < 3; r++)
            for (int i = 0; i < 4; i++) Assert.Equal(Weights[i] * (data[r, i] - means[i]), mean.Value(r, i), 4);
        Assert.Equal("baseline input", mean.Details["fill"]);
        Assert.Equal([0, 0, 0], mean.RowTargets.ToArray());

        // On a table one number n is a 1 x n patch; on a 2 x 2 image it is n x n.
        var table = (AttributionExplanation)runner.Run(model, data, new ExplanationRequest { Method = "occlusion", Patch = [2], Stride = [2] });
        Assert.Equal(("1 x 2", "1 x 2", "2"), (table.Details["patch"], table.Details["stride"], table.Details["patchesPerRow"]));
        // Patches [a, b] and [c, d] (fill 0): each feature gets its one patch's difference.
        Assert.Equal(Weights[0] * 1 + Weights[1] * 2, table.Value(0, 1), 4);
        Assert.Equal(Weights[2] * 3 + Weights[3] * 4, table.Value(0, 2), 4);
        var image = (AttributionExplanation)runner.Run(model, data, new ExplanationRequest { Method = "occlusion", InputShape = [1, 2, 2], Patch = [2] });
        Assert.Equal(("2 x 2", "1"), (image.Details["patch"], image.Details["patchesPerRow"]));
        for (int i = 0; i < 4; i++) Assert.Equal(Weights.Zip(new[] { 1f, 2, 3, 4 }, (w, x) => w * x).Sum(), image.Value(0, i), 4);
    }

    [Theory]
    [InlineData(new[] { "--patch", "0x2" }, "--patch: '0' is not a positive whole number")]
    [InlineData(new[] { "--patch", "2x2x2" }, "--patch: '2x2x2' is not HxW or one number")]
    [InlineData(new[] { "--stride", "a" }, "--stride: 'a' is not a positive whole number")]
    [InlineData(new[] { "--patch", "3", "--input-shape", "1,2,2" }, "larger than the input's 2 x 2 pixels")]
    [InlineData(new[] { "--input-shape", "1,3,3" }, "holds 9 values but the model takes 4 features")]
    [InlineData(new[] { "--baseline", "black" }, "--baseline 'black': use zeros, mean or a CSV file")]
    public void BadOcclusionOptions_GiveOneErrorLine(string[] options, string expected)
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", "a,b,c,d\n1,2,3,4\n");
        var (code, _, error) = CliRunner.Run(["explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "occlusion", .. options]);
        BadInputTests.AssertOneErrorLine(code, error, expected, "");
    }
}
