using System.Text.Json;

namespace Interactive.Xai.Tests;

public class FeatureSelectionJsonTests
{
    [Fact]
    public void Correlation_WritesTheMatrixTheOrderAndNullForConstantFeatures()
    {
        var matrix = CorrelationAnalysis.Compute(FeatureTable.FromRows([[1, 2, 7], [2, 4, 7], [3, 7, 7]], ["a", "b", "flat"]), CorrelationMethod.Spearman);
        var json = JsonDocument.Parse(ExplanationJson.Serialize(matrix)).RootElement;
        Assert.Equal("correlation", json.GetProperty("method").GetString());
        Assert.Equal("spearman", json.GetProperty("correlation").GetString());
        Assert.Equal(1, json.GetProperty("values")[0][1].GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("values")[0][2].ValueKind);
        Assert.Equal(3, json.GetProperty("order").GetArrayLength());
    }

    [Fact]
    public void Elimination_WritesNamesScoresAndFolds()
    {
        var data = TestModels.RandomTable(30, 3, seed: 1);
        var labels = Enumerable.Range(0, 30).Select(r => data[r, 2]).ToArray();
        var result = new RecursiveFeatureElimination(RecursiveFeatureEliminationTests.LeastSquares, new RecursiveFeatureEliminationOptions { Folds = 3 }).Explain(data, labels);
        var json = JsonDocument.Parse(ExplanationJson.Serialize(result)).RootElement;
        Assert.Equal("rfecv", json.GetProperty("method").GetString());
        Assert.Equal(["x2"], json.GetProperty("selectedFeatures").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal("x2", json.GetProperty("eliminationOrder")[2].GetString());
        Assert.Equal(3, json.GetProperty("foldScores")[0].GetArrayLength());
        Assert.Equal(3, json.GetProperty("featureCounts").GetArrayLength());
    }

    [Fact]
    public void Counterfactual_WithoutResults_WritesNullFigures()
    {
        var model = DelegateModel.FromRowFunction(2, x => x[0]);
        var options = new CounterfactualOptions { Constraints = [new FeatureConstraint { Feature = "x0", Immutable = true }], Generations = 2 };
        var result = new CounterfactualExplainer(model, TestModels.RandomTable(20, 2, seed: 2), options).Explain(TestModels.RandomTable(2, 2, seed: 3), CounterfactualGoal.Range(5, 6));
        var json = JsonDocument.Parse(ExplanationJson.Serialize(result)).RootElement;
        Assert.Equal(2, json.GetProperty("rows").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("rows")[0].GetProperty("proximity").ValueKind);
        Assert.Equal(0, json.GetProperty("rows")[0].GetProperty("counterfactuals").GetArrayLength());
        Assert.Equal(new[] { 5.0, 6.0 }, json.GetProperty("goal").GetProperty("desiredRange").EnumerateArray().Select(e => e.GetDouble()).ToArray());
    }
}
