using Interactive.Xai.Onnx;
using static Interactive.Xai.MLNet.Tests.TestData;

namespace Interactive.Xai.MLNet.Tests;

/// <summary>
/// The same MLP reached through ONNX Runtime directly and through ML.NET's ApplyOnnxModel must be explained alike: the
/// explainers only see a batched model, so any difference would come from an adapter.
/// </summary>
public sealed class SameModelTwoAdaptersTests : IDisposable
{
    private readonly MLNetModel _viaMLNet = MLNetModel.Load(PathOf("mlp10_via_mlnet.zip"), new MLNetModelOptions { OutputColumn = "output" });
    private readonly OnnxModel _viaOnnx = OnnxModel.Load(PathOf("mlp10.onnx"));
    private readonly FeatureTable _data = FeatureTable.FromRowMajor(DiabetesRows(60), 60, 10, DiabetesColumns);

    public void Dispose()
    {
        _viaMLNet.Dispose();
        _viaOnnx.Dispose();
    }

    private static void AssertSameValues(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        double scale = Math.Max(1e-3, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale,
                $"value {i}: ONNX {expected[i]}, ML.NET {actual[i]} (allowed {tolerance * scale})");
    }

    [Fact]
    public void Exact_Shapley_values_agree_between_the_onnx_and_the_ml_net_adapter()
    {
        var background = WeightedBackground.KMeans(_data, clusters: 5);
        var rows = _data.Slice(0, 8);

        var fromOnnx = new ExactShapleyExplainer(_viaOnnx, background).Explain(rows);
        var fromMLNet = new ExactShapleyExplainer(_viaMLNet, background).Explain(rows);

        AssertSameValues(fromOnnx.Values, fromMLNet.Values, 1e-4);
        AssertSameValues(fromOnnx.BaseValues, fromMLNet.BaseValues, 1e-5);
        Assert.True(fromOnnx.AdditivityError < 1e-3 && fromMLNet.AdditivityError < 1e-3);
        Assert.Equal(fromOnnx.ModelEvaluations, fromMLNet.ModelEvaluations);
    }

    [Fact]
    public void Permutation_importance_and_partial_dependence_agree_between_the_two_adapters()
    {
        var labels = _viaOnnx.Predict(_data).Select((v, i) => v + (i % 3 - 1) * 5f).ToArray();
        var options = new PermutationImportanceOptions { Repeats = 3, Seed = 7 };

        var importanceOnnx = new PermutationImportanceExplainer(_viaOnnx, options).Explain(_data, labels);
        var importanceMLNet = new PermutationImportanceExplainer(_viaMLNet, options).Explain(_data, labels);
        var pdpOnnx = new PartialDependenceExplainer(_viaOnnx).Explain(_data, "bmi");
        var pdpMLNet = new PartialDependenceExplainer(_viaMLNet).Explain(_data, "bmi");

        AssertSameValues(importanceOnnx.Mean, importanceMLNet.Mean, 1e-3);
        AssertSameValues(pdpOnnx.Average(), pdpMLNet.Average(), 1e-5);
        AssertSameValues(pdpOnnx.Grid, pdpMLNet.Grid, 0);
    }
}
