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

    private static (FeatureTable Data, DelegateModel Model) LinearSetup(int rows)
    {
        float[] w = [2f, -1f, 0.5f, 3f];
        return (TestModels.RandomTable(rows, 4, seed: 7), DelegateModel.Linear(w, bias: 0.25f));
    }

    /// <summary>Today's definition, computed directly: the model on each row with the feature set to the grid value,
    /// summed in doubles in row order and divided by the row count.</summary>
    private static double[] DirectAverage(IModel model, FeatureTable data, int feature, double[] grid)
    {
        var average = new double[grid.Length];
        int m = data.ColumnCount;
        var row = new float[m];
        var output = new float[1];
        for (int r = 0; r < data.RowCount; r++)
            for (int g = 0; g < grid.Length; g++)
            {
                data.Values.Slice(r * m, m).CopyTo(row);
                row[feature] = (float)grid[g];
                model.Predict(row, 1, output);
                average[g] += output[0];
            }
        for (int g = 0; g < grid.Length; g++) average[g] /= data.RowCount;
        return average;
    }

    [Fact]
    public void LinearModel_AverageIsTheDirectMeanAndTheAnalyticLine_WithoutKeepingEveryCurve()
    {
        var (data, model) = LinearSetup(1000);
        var explainer = new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 9, BatchSize = 64 });
        var result = explainer.Explain(data, "x3");
        var direct = DirectAverage(model, data, 3, [.. result.Grid]);
        for (int g = 0; g < result.Grid.Length; g++)
        {
            Assert.Equal(direct[g], result.Average()[g], 1e-12 * Math.Abs(direct[g]));
            // The analytic partial dependence of a linear model: bias + w3 v + sum of w_j mean(x_j) for j != 3.
            double analytic = 0.25 + 3 * result.Grid[g] + Enumerable.Range(0, 1000).Average(r => 2.0 * data[r, 0] - data[r, 1] + 0.5 * data[r, 2]);
            Assert.Equal(analytic, result.Average()[g], 1e-5 * Math.Max(1, Math.Abs(analytic)));
        }
        Assert.Equal(1000, result.RowCount);
        Assert.Equal(9000, result.ModelEvaluations);
        // 100 evenly spaced curves, each the model's own outputs for that row.
        Assert.Equal(Enumerable.Range(0, 100).Select(i => i * 10).ToArray(), result.IceRows.ToArray());
        Assert.Equal(100 * 9, result.IceValues.Length);
        var row = new float[4];
        var output = new float[1];
        foreach (int r in new[] { 0, 10, 990 })
        {
            var ice = result.Ice(r);
            for (int g = 0; g < 9; g++)
            {
                data.Values.Slice(r * 4, 4).CopyTo(row);
                row[3] = (float)result.Grid[g];
                model.Predict(row, 1, output);
                Assert.Equal(output[0], ice[g]);
            }
        }
        Assert.False(result.HasIce(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => result.Ice(5));
    }

    [Fact]
    public void Results_DoNotDependOnTheBlockSize()
    {
        var model = DelegateModel.FromRowFunction(3, ["a", "b"], (x, y) => { y[0] = x[0] * x[1] + MathF.Sin(x[2]); y[1] = x[0] - x[2] * x[2]; });
        var data = TestModels.RandomTable(257, 3, seed: 5);
        PartialDependenceExplanation Run(int block, int? ice) => new PartialDependenceExplainer(model,
            new PartialDependenceOptions { GridPoints = 6, BatchSize = 5, RowsPerBlock = block, MaxIceCurves = ice }).Explain(data, "x0", OutputTarget.All);
        PartialDependence2DExplanation Run2D(int block) => new PartialDependenceExplainer(model,
            new PartialDependenceOptions { GridPoints = 4, BatchSize = 7, RowsPerBlock = block }).Explain2D(data, "x0", "x2", OutputTarget.All);
        var reference = Run(257, null);
        var reference2D = Run2D(257);
        foreach (int block in new[] { 1, 2, 13, 100, 256 })
        {
            var result = Run(block, null);
            Assert.Equal(reference.AverageValues.ToArray(), result.AverageValues.ToArray());
            Assert.Equal(reference.IceValues.ToArray(), result.IceValues.ToArray());
            Assert.Equal(reference2D.AverageValues.ToArray(), Run2D(block).AverageValues.ToArray());
            var subset = Run(block, 10);
            Assert.Equal(reference.AverageValues.ToArray(), subset.AverageValues.ToArray());
            Assert.Equal(10, subset.IceRows.Length);
            foreach (int r in subset.IceRows) Assert.Equal(reference.Ice(r, 1), subset.Ice(r, 1));
        }
        Assert.Equal(257 * 6, reference.IceValues.Length / 2);
    }

    [Fact]
    public void Histogram_CountsEveryRowInEqualBinsBetweenMinimumAndMaximum()
    {
        var values = new float[100, 2];
        for (int r = 0; r < 100; r++) { values[r, 0] = r; values[r, 1] = 3; }
        var data = FeatureTable.FromArray(values);
        var model = DelegateModel.Linear([1f, 1f]);
        var result = new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 5, HistogramBins = 4 }).Explain(data, 0);
        Assert.Equal([0, 24.75, 49.5, 74.25, 99], result.HistogramEdges.ToArray());
        Assert.Equal([25, 25, 25, 25], result.HistogramCounts.ToArray());
        Assert.Empty(result.FeatureValues);
        var constant = new PartialDependenceExplainer(model, new PartialDependenceOptions { Grid = [0, 1] }).Explain(data, 1);
        Assert.Equal([2.5, 3.5], constant.HistogramEdges.ToArray());
        Assert.Equal([100], constant.HistogramCounts.ToArray());
    }
}
