using System.Text.Json;
using Interactive.Xai.Hosting;

namespace Interactive.Xai.Cli.Tests;

/// <summary>
/// saliency, smoothgrad and ig through the command line (ONNX models give no gradients, so they must fail cleanly)
/// and through the runner with C# differentiable models.
/// </summary>
public class GradientMethodTests
{
    private static readonly float[] Weights = [1.5f, -2f, 0.25f, 3f];

    [Theory]
    [InlineData("ig")]
    [InlineData("saliency")]
    [InlineData("smoothgrad")]
    public void OnnxModel_GivesOneErrorLineAskingForADifferentiableModel_AndNoOutput(string method)
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", "a,b,c,d\n1,2,3,4\n0,1,0,1\n");
        var json = folder.File("out.json");
        var (code, output, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", method, "--json", json);
        BadInputTests.AssertOneErrorLine(code, error, $"{method} needs a differentiable model (.pt", "OnnxModel");
        Assert.False(File.Exists(json));
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData(new[] { "--input-shape", "1,x,2" }, "--input-shape: 'x' is not a positive whole number")]
    [InlineData(new[] { "--input-shape", "1,0,4" }, "--input-shape: '0' is not a positive whole number")]
    [InlineData(new[] { "--baseline", "black" }, "--baseline 'black': use zeros, mean or a CSV file")]
    [InlineData(new[] { "--baseline", "missing.csv" }, "missing.csv")]
    [InlineData(new[] { "--rule", "simpson" }, "simpson")]
    public void BadGradientOptions_GiveOneErrorLine(string[] options, string expected)
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", "a,b,c,d\n1,2,3,4\n");
        var (code, _, error) = CliRunner.Run(["explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "ig", .. options]);
        BadInputTests.AssertOneErrorLine(code, error, expected, "");
    }

    [Fact]
    public void PredictedTarget_OnAShapleyMethod_GivesOneErrorLine()
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", "a,b,c,d\n1,2,3,4\n");
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "exact-shap", "--target", "predicted");
        BadInputTests.AssertOneErrorLine(code, error, "target 'predicted'", "only supported by per-row methods");
    }

    [Fact]
    public void Runner_IgWithMeanBaselineAndShape_GivesWeightTimesDistanceFromTheMean()
    {
        var model = DifferentiableDelegateModel.Linear(Weights, bias: 1);
        var data = FeatureTable.FromArray(new float[,] { { 1, 2, 3, 4 }, { -1, 0, 2, 1 }, { 0.5f, 0.5f, -2, 0 } });
        var request = new ExplanationRequest { Method = "ig", Baseline = "mean", InputShape = [1, 2, 2], Steps = 10, Rule = "riemann-middle" };
        var result = (AttributionExplanation)new ExplanationRunner().Run(model, data, request);
        Assert.Equal([1, 2, 2], result.InputShape.ToArray());
        Assert.Equal("riemann-middle", result.Details["rule"]);
        for (int j = 0; j < 4; j++)
        {
            double mean = (float)(Enumerable.Range(0, 3).Sum(r => (double)data[r, j]) / 3);
            for (int r = 0; r < 3; r++) Assert.Equal(Weights[j] * (data[r, j] - mean), result.Value(r, j), 1e-6);
        }
        using var json = JsonDocument.Parse(ExplanationJson.Serialize(result));
        Assert.Equal(3, json.RootElement.GetProperty("convergenceDelta").GetArrayLength());
        Assert.Equal(3, json.RootElement.GetProperty("inputShape").GetArrayLength());
    }

    [Fact]
    public void Runner_IgWithGivenBaselineRows()
    {
        var model = DifferentiableDelegateModel.Linear(Weights);
        var data = FeatureTable.FromArray(new float[,] { { 1, 2, 3, 4 }, { -1, 0, 2, 1 } });
        var baseline = FeatureTable.FromArray(new float[,] { { 1, 1, 1, 1 } });
        var result = (AttributionExplanation)new ExplanationRunner().Run(model, data, new ExplanationRequest { Method = "ig", Baseline = "given.csv" },
            new ExplanationInputs { BaselineRows = baseline });
        for (int r = 0; r < 2; r++)
            for (int j = 0; j < 4; j++) Assert.Equal(Weights[j] * (data[r, j] - 1.0), result.Value(r, j), 1e-6);
        Assert.Equal(Weights.Sum(), result.BaseValue(), 1e-6);
        var e = Assert.Throws<XaiException>(() => new ExplanationRunner().Run(model, data, new ExplanationRequest { Method = "ig", Baseline = "given.csv" }));
        Assert.Contains("baseline 'given.csv'", e.Message);
    }

    [Fact]
    public void Runner_SaliencyAbsoluteAndSmoothGrad_OnALinearModel_GiveTheWeights()
    {
        var model = DifferentiableDelegateModel.Linear(Weights);
        var data = FeatureTable.FromArray(new float[,] { { 1, 2, 3, 4 }, { -1, 0, 2, 1 } });
        var signed = (AttributionExplanation)new ExplanationRunner().Run(model, data, new ExplanationRequest { Method = "saliency" });
        var absolute = (AttributionExplanation)new ExplanationRunner().Run(model, data, new ExplanationRequest { Method = "saliency", Absolute = true });
        var smooth = (AttributionExplanation)new ExplanationRunner().Run(model, data, new ExplanationRequest { Method = "smoothgrad", Samples = 7, NoiseLevel = 0.5 });
        for (int j = 0; j < 4; j++)
        {
            Assert.Equal(Weights[j], signed.Value(1, j));
            Assert.Equal(Math.Abs(Weights[j]), absolute.Value(1, j));
            Assert.Equal(Weights[j], smooth.Value(0, j));
        }
        Assert.Equal(2 + 2 * 7, smooth.ModelEvaluations);
    }

    [Fact]
    public void Runner_PredictedTarget_ExplainsEachRowsTopClass()
    {
        // Two classes: score0 = x0, score1 = x1; the gradient of the predicted class is the unit vector of the larger input.
        var model = DifferentiableDelegateModel.FromRowFunctions(2, ["a", "b"], (x, y) => { y[0] = x[0]; y[1] = x[1]; },
            (x, o, g) => { g.Clear(); g[o] = 1; });
        var data = FeatureTable.FromArray(new float[,] { { 3, 1 }, { 0, 2 }, { 5, 4 } });
        var result = (AttributionExplanation)new ExplanationRunner().Run(model, data, new ExplanationRequest { Method = "saliency", Target = "predicted" });
        Assert.Equal([0, 1, 0], result.RowTargets.ToArray());
        Assert.Equal([1.0, 0, 0, 1, 1, 0], result.Values.ToArray());
        Assert.Equal([3.0, 2, 5], result.Predictions.ToArray());
    }

    [Fact]
    public void Runner_NonDifferentiableModel_IsRejected()
    {
        var model = DelegateModel.Linear(Weights);
        var data = FeatureTable.FromArray(new float[,] { { 1, 2, 3, 4 } });
        var e = Assert.Throws<XaiException>(() => new ExplanationRunner().Run(model, data, new ExplanationRequest { Method = "ig" }));
        Assert.Equal("ig needs a differentiable model (.pt: a TorchScript file or TorchSharp module); DelegateModel only gives outputs, not gradients", e.Message);
    }

    [Fact]
    public void HtmlReport_BuildsForIntegratedGradientsWithPredictedTargets()
    {
        var model = DifferentiableDelegateModel.FromRowFunctions(2, ["a", "b"], (x, y) => { y[0] = x[0] * x[1]; y[1] = x[1]; },
            (x, o, g) => { if (o == 0) { g[0] = x[1]; g[1] = x[0]; } else { g[0] = 0; g[1] = 1; } });
        var data = FeatureTable.FromArray(new float[,] { { 3, 1 }, { 0, 2 }, { 5, 4 } });
        var result = new ExplanationRunner().Run(model, data, new ExplanationRequest { Method = "ig", Target = "predicted", Steps = 4, Rule = "gauss-legendre" });
        var html = Reports.ForExplanation(result, "model<1>.pt", "data.csv");
        Assert.Contains("model&lt;1&gt;.pt", html);
        Assert.Contains("predicted", html);
    }

    [Fact]
    public void Runner_IgMeanBaseline_UsesTheBackgroundWhenGiven()
    {
        var model = DifferentiableDelegateModel.Linear(Weights);
        var data = FeatureTable.FromArray(new float[,] { { 1, 2, 3, 4 } });
        var background = FeatureTable.FromArray(new float[,] { { 0, 0, 0, 0 }, { 2, 4, 6, 8 } });
        var result = (AttributionExplanation)new ExplanationRunner().Run(model, data, new ExplanationRequest { Method = "ig", Baseline = "mean" },
            new ExplanationInputs { Background = background });
        for (int j = 0; j < 4; j++) Assert.Equal(0, result.Value(0, j), 1e-6); // the background mean is the row itself
        Assert.Equal(result.Prediction(0), result.BaseValue(), 1e-5);
    }
}
