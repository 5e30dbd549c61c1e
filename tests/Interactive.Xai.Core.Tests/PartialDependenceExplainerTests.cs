namespace Interactive.Xai.Tests;

public class PartialDependenceExplainerTests
{
    [Fact]
    public void LinearModel_PartialDependenceIsTheLineAndIceCurvesAreParallel()
    {
        float[] w = [2f, -1f, 0.5f];
        var model = DelegateModel.Linear(w, bias: 1f);
        var data = TestModels.RandomTable(50, 3, seed: 1);
        var result = new PartialDependenceExplainer(model, new PartialDependenceOptions { Grid = [-1, 0, 0.5, 1] }).Explain(data, "x1");
        double others = Enumerable.Range(0, 50).Average(r => 2.0 * data[r, 0] + 0.5 * data[r, 2]) + 1;
        var average = result.Average();
        for (int g = 0; g < 4; g++) Assert.Equal(others - result.Grid[g], average[g], 5);
        for (int r = 0; r < 50; r++)
        {
            var ice = result.Ice(r);
            for (int g = 1; g < 4; g++) Assert.Equal(-(result.Grid[g] - result.Grid[g - 1]), ice[g] - ice[g - 1], 5);
        }
        Assert.Equal(50 * 4, result.ModelEvaluations);
    }

    [Fact]
    public void AutomaticGrid_SpansTheQuantilesOrUsesDistinctValues()
    {
        var model = DelegateModel.Linear([1f, 1f]);
        var values = new float[101, 2];
        for (int r = 0; r <= 100; r++) { values[r, 0] = r; values[r, 1] = r % 3; }
        var data = FeatureTable.FromArray(values);
        var explainer = new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 10 });
        var grid = explainer.GridFor(data, 0);
        Assert.Equal(10, grid.Length);
        Assert.Equal(5.0, grid[0], 9);
        Assert.Equal(95.0, grid[^1], 9);
        Assert.Equal([0.0, 1.0, 2.0], explainer.GridFor(data, 1));
    }

    [Fact]
    public void TwoFeatures_AdditiveModelGivesTheSumOfOneFeatureEffects()
    {
        var model = DelegateModel.FromRowFunction(3, x => x[0] * 3 + x[1] * x[1] + x[2]);
        var data = TestModels.RandomTable(40, 3, seed: 2);
        var options = new PartialDependenceOptions { Grid = [-1, 0, 1] };
        var result = new PartialDependenceExplainer(model, options).Explain2D(data, "x0", "x1");
        double meanX2 = Enumerable.Range(0, 40).Average(r => (double)data[r, 2]);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
                Assert.Equal(3 * result.GridX[i] + result.GridY[j] * result.GridY[j] + meanX2, result.Average(i, j), 5);
    }

    [Fact]
    public void MultiOutput_AllTargetsInOneCall()
    {
        var model = DelegateModel.FromRowFunction(2, ["sum", "product"], (x, y) => { y[0] = x[0] + x[1]; y[1] = x[0] * x[1]; });
        var data = TestModels.RandomTable(20, 2, seed: 3);
        var result = new PartialDependenceExplainer(model, new PartialDependenceOptions { Grid = [0, 1] }).Explain(data, "x0", OutputTarget.All);
        double meanX1 = Enumerable.Range(0, 20).Average(r => (double)data[r, 1]);
        Assert.Equal(1 + meanX1, result.Average(0)[1], 5);
        Assert.Equal(meanX1, result.Average(1)[1], 5);
    }

    [Fact]
    public void UnknownFeature_IsAClearError()
    {
        var error = Assert.Throws<XaiException>(() => new PartialDependenceExplainer(DelegateModel.Linear([1f])).Explain(TestModels.RandomTable(3, 1, 1), "age"));
        Assert.Contains("'age'", error.Message);
    }
}
