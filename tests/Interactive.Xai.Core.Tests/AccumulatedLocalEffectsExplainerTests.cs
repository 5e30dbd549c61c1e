namespace Interactive.Xai.Tests;

public class AccumulatedLocalEffectsExplainerTests
{
    [Fact]
    public void LinearModel_SlopeBetweenEdgesIsTheCoefficient()
    {
        var model = DelegateModel.Linear([1.5f, -3f]);
        var data = TestModels.RandomTable(500, 2, seed: 1);
        var result = new AccumulatedLocalEffectsExplainer(model, new AccumulatedLocalEffectsOptions { Bins = 10 }).Explain(data, "x1");
        var effects = result.Effects();
        Assert.Equal(11, result.Edges.Length);
        for (int e = 1; e < result.Edges.Length; e++)
            Assert.Equal(-3.0, (effects[e] - effects[e - 1]) / (result.Edges[e] - result.Edges[e - 1]), 3);
        Assert.Equal(500, result.BinCounts.Sum());
    }

    [Fact]
    public void HandComputedExample_FollowsALEPlotBinningAndCentring()
    {
        // f = x^2 on x = 0, 1, 2, 3, 4 with explicit edges 0, 2, 4: bin 1 = {0, 1, 2} (0 joins bin 1), bin 2 = {3, 4}.
        var model = DelegateModel.FromRowFunction(1, x => x[0] * x[0]);
        var data = FeatureTable.FromArray(new float[,] { { 0 }, { 1 }, { 2 }, { 3 }, { 4 } });
        var result = new AccumulatedLocalEffectsExplainer(model, new AccumulatedLocalEffectsOptions { Edges = [0, 2, 4] }).Explain(data, 0);
        Assert.Equal([3, 2], result.BinCounts.ToArray());
        // Uncentred: 0, 4, 16. Midpoints 2 and 10 weighted 3 and 2: (6 + 20) / 5 = 5.2.
        Assert.Equal([-5.2, -1.2, 10.8], result.Effects().Select(v => Math.Round(v, 6)));
    }

    [Fact]
    public void QuantileEdges_UseTheInverseEmpiricalDistributionWithTiesRemoved()
    {
        var model = DelegateModel.Linear([1f]);
        var data = FeatureTable.FromArray(new float[,] { { 1 }, { 1 }, { 1 }, { 2 }, { 3 }, { 4 } });
        var explainer = new AccumulatedLocalEffectsExplainer(model, new AccumulatedLocalEffectsOptions { Bins = 3 });
        // min = 1; quantiles 1/3, 2/3, 1 by type 1: x(2) = 1, x(4) = 2, x(6) = 4 -> edges 1, 2, 4.
        Assert.Equal([1.0, 2.0, 4.0], explainer.EdgesFor(data, 0));
        var result = explainer.Explain(data, 0);
        Assert.Equal([4, 2], result.BinCounts.ToArray());
    }

    [Fact]
    public void CentredEffects_HaveZeroCountWeightedMeanOverBinMidpoints()
    {
        var model = TestModels.Nonlinear(4);
        var data = TestModels.RandomTable(300, 4, seed: 2, scale: 2);
        var result = new AccumulatedLocalEffectsExplainer(model).Explain(data, "x3");
        var effects = result.Effects();
        double weighted = 0;
        for (int b = 0; b < result.BinCounts.Length; b++) weighted += (effects[b] + effects[b + 1]) / 2 * result.BinCounts[b];
        Assert.Equal(0.0, weighted / result.BinCounts.Sum(), 9);
        Assert.Equal(2L * 300, result.ModelEvaluations);
    }

    [Fact]
    public void BadEdges_AreRejected()
    {
        Assert.Throws<XaiException>(() => new AccumulatedLocalEffectsExplainer(DelegateModel.Linear([1f]), new AccumulatedLocalEffectsOptions { Edges = [1, 1, 2] }));
        Assert.Throws<XaiException>(() => new AccumulatedLocalEffectsExplainer(DelegateModel.Linear([1f]), new AccumulatedLocalEffectsOptions { Edges = [1] }));
    }
}
