using System.Text.Json;

namespace Interactive.Xai.Tests;

public class GradientJsonTests
{
    [Fact]
    public void IntegratedGradients_JsonCarriesInputShapeAndConvergenceDeltas()
    {
        var model = DifferentiableDelegateModel.Linear([1f, 2f, 3f, 4f]);
        var rows = TestModels.RandomTable(3, 4, seed: 1);
        var result = new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { InputShape = [1, 2, 2], Steps = 8 }).Explain(rows);
        using var json = JsonDocument.Parse(ExplanationJson.Serialize(result));
        var root = json.RootElement;
        Assert.Equal("ig", root.GetProperty("method").GetString());
        Assert.Equal([1, 2, 2], root.GetProperty("inputShape").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        var deltas = root.GetProperty("convergenceDelta").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(result.ConvergenceDeltas.ToArray(), deltas);
        var values = root.GetProperty("values");
        Assert.Equal(3, values.GetArrayLength());
        Assert.Equal(4, values[0].GetArrayLength());
        Assert.Equal(result.Value(2, 3), values[2][3].GetDouble());
        Assert.False(root.TryGetProperty("rowTargets", out _));
    }

    [Fact]
    public void AllTargets_GiveOneDeltaPerRowAndOutput()
    {
        var model = GradientTestModels.SoftmaxLinear([1, -2, 0.5f, 0.3f, 1.5f, -1], [0.1f, -0.2f]);
        var result = new IntegratedGradientsExplainer(model).Explain(TestModels.RandomTable(2, 3, seed: 2), OutputTarget.All);
        using var json = JsonDocument.Parse(ExplanationJson.Serialize(result));
        var deltas = json.RootElement.GetProperty("convergenceDelta");
        Assert.Equal(2, deltas.GetArrayLength());
        Assert.Equal(result.ConvergenceDeltas[3], deltas[1][1].GetDouble());
        Assert.Equal("all", json.RootElement.GetProperty("target").GetString());
        Assert.False(json.RootElement.TryGetProperty("inputShape", out _));
    }

    [Fact]
    public void PredictedTarget_WritesRowTargets()
    {
        var model = GradientTestModels.SoftmaxLinear([1, -2, 0.5f, 0.3f, 1.5f, -1], [0.1f, -0.2f]);
        var result = new SaliencyExplainer(model).Explain(TestModels.RandomTable(5, 3, seed: 3, scale: 3), OutputTarget.Predicted);
        using var json = JsonDocument.Parse(ExplanationJson.Serialize(result));
        var root = json.RootElement;
        Assert.Equal("predicted", root.GetProperty("target").GetString());
        Assert.Equal(result.RowTargets.ToArray(), root.GetProperty("rowTargets").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        Assert.False(root.TryGetProperty("convergenceDelta", out _));
    }
}
