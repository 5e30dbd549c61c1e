namespace Interactive.Xai.Tests;

public class ExactShapleyExplainerTests
{
    [Fact]
    public void LinearModel_ValuesEqualWeightTimesDistanceFromBackgroundMean()
    {
        float[] w = [1.5f, -2f, 0.5f, 3f];
        var model = DelegateModel.Linear(w, bias: 0.7f);
        var background = WeightedBackground.FromTable(TestModels.RandomTable(7, 4, seed: 1));
        var rows = TestModels.RandomTable(5, 4, seed: 2);
        var result = new ExactShapleyExplainer(model, background).Explain(rows);
        for (int r = 0; r < rows.RowCount; r++)
            for (int j = 0; j < 4; j++)
            {
                double mean = Enumerable.Range(0, background.Count).Sum(b => background.Weights[b] * background.Rows[b, j]);
                Assert.Equal(w[j] * (rows[r, j] - mean), result.Value(r, j), 5);
            }
    }

    [Fact]
    public void NonlinearModel_MatchesBruteForceOverAllOrderings()
    {
        var model = TestModels.Nonlinear(5);
        var background = WeightedBackground.FromWeightedRows(TestModels.RandomTable(4, 5, seed: 3), [0.1, 0.2, 0.3, 0.4]);
        var rows = TestModels.RandomTable(3, 5, seed: 4);
        var result = new ExactShapleyExplainer(model, background).Explain(rows);
        for (int r = 0; r < rows.RowCount; r++)
        {
            var oracle = TestModels.ShapleyByPermutations(model, rows.Row(r), background);
            for (int j = 0; j < 5; j++) Assert.Equal(oracle[j], result.Value(r, j), 5);
        }
    }

    [Fact]
    public void ValuesAddUpToPredictionMinusBaseWithin1e6()
    {
        var model = TestModels.Nonlinear(10);
        var background = WeightedBackground.FromTable(TestModels.RandomTable(6, 10, seed: 5, scale: 3));
        var rows = TestModels.RandomTable(8, 10, seed: 6, scale: 3);
        var result = new ExactShapleyExplainer(model, background).Explain(rows);
        Assert.True(result.AdditivityError < 1e-6, $"additivity error {result.AdditivityError}");
        for (int r = 0; r < rows.RowCount; r++)
            Assert.Equal(result.Prediction(r), result.RowValues(r).Sum() + result.BaseValue(), 5);
    }

    [Fact]
    public void IgnoredFeature_GetsExactlyZero()
    {
        var model = DelegateModel.FromRowFunction(3, x => x[0] * x[2] + x[0]);
        var background = WeightedBackground.FromTable(TestModels.RandomTable(5, 3, seed: 7));
        var result = new ExactShapleyExplainer(model, background).Explain(TestModels.RandomTable(4, 3, seed: 8));
        for (int r = 0; r < 4; r++) Assert.Equal(0.0, result.Value(r, 1));
    }

    [Fact]
    public void SharedValues_AreNotEvaluatedAgain()
    {
        // x differs from background row 0 in 2 features and from row 1 in 3: 2^2-2 + 2^3-2 distinct inputs,
        // plus f(x) once and the 2 background rows once.
        var model = DelegateModel.Linear([1f, 1f, 1f, 1f]);
        var background = WeightedBackground.FromTable(FeatureTable.FromArray(new float[,] { { 0, 0, 5, 5 }, { 0, 9, 9, 5 } }));
        var rows = FeatureTable.FromArray(new float[,] { { 1, 1, 5, 5 } });
        var explainer = new ExactShapleyExplainer(model, background);
        var first = explainer.Explain(rows);
        Assert.Equal(2 + 6 + 1 + 2, first.ModelEvaluations);
        var second = explainer.Explain(rows);
        Assert.Equal(2 + 6 + 1, second.ModelEvaluations); // background predictions are kept
        Assert.Equal(first.Values.ToArray(), second.Values.ToArray());
    }

    [Fact]
    public void AllTargets_ExplainEveryOutputInOneCall()
    {
        var model = DelegateModel.FromRowFunction(3, ["a", "b"], (x, y) => { y[0] = x[0] + 2 * x[1]; y[1] = x[2] * x[0]; });
        var background = WeightedBackground.FromTable(TestModels.RandomTable(5, 3, seed: 9));
        var rows = TestModels.RandomTable(3, 3, seed: 10);
        var explainer = new ExactShapleyExplainer(model, background);
        var all = explainer.Explain(rows, OutputTarget.All);
        var second = explainer.Explain(rows, OutputTarget.Output(1));
        Assert.Equal(["a", "b"], all.OutputNames.ToArray());
        for (int r = 0; r < 3; r++)
            for (int j = 0; j < 3; j++) Assert.Equal(second.Value(r, j), all.Value(r, j, 1), 12);
        Assert.True(all.AdditivityError < 1e-6);
    }

    [Fact]
    public void SmallBatchesAndOneThread_GiveTheSameValues()
    {
        var model = TestModels.Nonlinear(6);
        var background = WeightedBackground.FromTable(TestModels.RandomTable(5, 6, seed: 11));
        var rows = TestModels.RandomTable(6, 6, seed: 12);
        var a = new ExactShapleyExplainer(model, background).Explain(rows);
        var b = new ExactShapleyExplainer(model, background, new ExactShapleyOptions { BatchSize = 7, MaxDegreeOfParallelism = 1, MaxEvaluationsPerBlock = 50 }).Explain(rows);
        Assert.Equal(a.Values.ToArray(), b.Values.ToArray());
    }

    [Fact]
    public void TooManyFeatures_IsAClearError()
    {
        var model = DelegateModel.Linear(new float[30]);
        var error = Assert.Throws<XaiException>(() => new ExactShapleyExplainer(model, WeightedBackground.FromTable(TestModels.RandomTable(2, 30, 1))));
        Assert.Contains("kernel-shap", error.Message);
    }

    [Fact]
    public void Cancellation_StopsTheExplanation()
    {
        var model = TestModels.Nonlinear(12);
        var background = WeightedBackground.FromTable(TestModels.RandomTable(10, 12, seed: 1));
        using var cancellation = new CancellationTokenSource();
        var progress = new SynchronousProgress(p => { if (p.Completed > 1000) cancellation.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            new ExactShapleyExplainer(model, background, new ExactShapleyOptions { BatchSize = 256 })
                .Explain(TestModels.RandomTable(20, 12, seed: 2), progress: progress, cancellationToken: cancellation.Token));
    }
}

internal sealed class SynchronousProgress(Action<ExplanationProgress> report) : IProgress<ExplanationProgress>
{
    public List<ExplanationProgress> Reports { get; } = [];

    public void Report(ExplanationProgress value)
    {
        lock (Reports) Reports.Add(value);
        report(value);
    }
}
