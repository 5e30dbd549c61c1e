namespace Interactive.Xai.Tests;

public class SaliencyExplainerTests
{
    private static readonly float[] Weights = [1.5f, -2f, 0.5f, -3f];

    [Fact]
    public void LinearModel_SignedSaliencyEqualsTheWeightVector()
    {
        var model = DifferentiableDelegateModel.Linear(Weights, bias: 0.7f);
        var rows = TestModels.RandomTable(6, 4, seed: 1, scale: 5);
        var result = new SaliencyExplainer(model).Explain(rows);
        for (int r = 0; r < rows.RowCount; r++)
            for (int j = 0; j < 4; j++) Assert.Equal(Weights[j], result.Value(r, j));
        Assert.Equal("saliency", result.Method);
        Assert.Equal(2 * rows.RowCount, result.ModelEvaluations); // one forward pass + one gradient per row
    }

    [Fact]
    public void LinearModel_AbsoluteSaliencyEqualsTheAbsoluteWeights()
    {
        var model = DifferentiableDelegateModel.Linear(Weights);
        var rows = TestModels.RandomTable(3, 4, seed: 2);
        var result = new SaliencyExplainer(model, new SaliencyOptions { Absolute = true }).Explain(rows);
        for (int r = 0; r < rows.RowCount; r++)
            for (int j = 0; j < 4; j++) Assert.Equal(Math.Abs(Weights[j]), result.Value(r, j));
    }

    [Fact]
    public void ReluNetwork_SaliencyIsTheGradientOfTheChosenOutput()
    {
        var model = new ReluNetwork(5, 10, 3, seed: 3).Model();
        var rows = TestModels.RandomTable(4, 5, seed: 4, scale: 2);
        var result = new SaliencyExplainer(model).Explain(rows, OutputTarget.Output(2));
        Assert.Equal([2], result.Targets.ToArray());
        for (int r = 0; r < rows.RowCount; r++)
        {
            var numeric = GradientTestModels.FiniteDifferences(model, rows.Row(r).ToArray(), 2, h: 1e-3f);
            for (int j = 0; j < 5; j++) Assert.Equal(numeric[j], result.Value(r, j), 1e-2);
        }
    }

    [Fact]
    public void AllTargets_GiveEveryClassGradientOfTheSoftmaxModel()
    {
        float[] w = [1, -2, 0.5f, 0.3f, 1.5f, -1, -0.7f, 0.2f, 2];
        float[] b = [0.1f, -0.2f, 0.3f];
        var model = GradientTestModels.SoftmaxLinear(w, b);
        var rows = TestModels.RandomTable(5, 3, seed: 5);
        var result = new SaliencyExplainer(model).Explain(rows, OutputTarget.All);
        Assert.Equal([0, 1, 2], result.Targets.ToArray());
        for (int r = 0; r < rows.RowCount; r++)
        {
            // dp_o/dx_j = p_o (W_oj - sum_c p_c W_cj), computed here in double.
            var z = new double[3];
            for (int o = 0; o < 3; o++) z[o] = b[o] + Enumerable.Range(0, 3).Sum(j => (double)w[o * 3 + j] * rows[r, j]);
            var p = z.Select(v => Math.Exp(v - z.Max())).ToArray();
            double total = p.Sum();
            for (int o = 0; o < 3; o++) p[o] /= total;
            for (int o = 0; o < 3; o++)
                for (int j = 0; j < 3; j++)
                {
                    double expected = p[o] * (w[o * 3 + j] - Enumerable.Range(0, 3).Sum(c => p[c] * w[c * 3 + j]));
                    Assert.Equal(expected, result.Value(r, j, o), 1e-6);
                    Assert.Equal(p[o], result.Prediction(r, o), 1e-6);
                }
        }
    }

    [Fact]
    public void PredictedTarget_ExplainsEachRowsArgMax()
    {
        var model = new ReluNetwork(4, 16, 5, seed: 6).Model();
        var rows = TestModels.RandomTable(30, 4, seed: 7, scale: 3);
        var explainer = new SaliencyExplainer(model);
        var predicted = explainer.Explain(rows, OutputTarget.Predicted);
        var all = explainer.Explain(rows, OutputTarget.All);
        var scores = model.Predict(rows);
        Assert.Equal(["predicted"], predicted.OutputNames.ToArray());
        Assert.Equal(rows.RowCount, predicted.RowTargets.Length);
        Assert.True(predicted.RowTargets.Distinct().Count() > 1, "the test rows should not all predict one class");
        for (int r = 0; r < rows.RowCount; r++)
        {
            int argMax = Enumerable.Range(0, 5).MaxBy(o => scores[r * 5 + o]);
            Assert.Equal(argMax, predicted.RowTargets[r]);
            Assert.Equal(scores[r * 5 + argMax], predicted.Prediction(r), 1e-9);
            for (int j = 0; j < 4; j++) Assert.Equal(all.Value(r, j, argMax), predicted.Value(r, j));
        }
    }

    [Fact]
    public void BatchSizeAndParallelism_DoNotChangeTheResult()
    {
        var model = new ReluNetwork(8, 16, 3, seed: 8).Model();
        var rows = TestModels.RandomTable(40, 8, seed: 9);
        var one = new SaliencyExplainer(model, new SaliencyOptions { BatchSize = 1, MaxDegreeOfParallelism = 2 }).Explain(rows, OutputTarget.All);
        var big = new SaliencyExplainer(model, new SaliencyOptions { BatchSize = 8192 }).Explain(rows, OutputTarget.All);
        var serial = new SaliencyExplainer(new ReluNetwork(8, 16, 3, seed: 8).Model(isThreadSafe: false), new SaliencyOptions { BatchSize = 3 }).Explain(rows, OutputTarget.All);
        Assert.Equal(big.Values.ToArray(), one.Values.ToArray());
        Assert.Equal(big.Values.ToArray(), serial.Values.ToArray());
    }

    [Fact]
    public void NonDifferentiableModel_IsRejectedWithAClearMessage()
    {
        var model = DelegateModel.Linear([1f, 2f]);
        var e = Assert.Throws<XaiException>(() => new SaliencyExplainer(model));
        Assert.Contains("saliency needs a differentiable model", e.Message);
        Assert.Contains("DelegateModel", e.Message);
    }

    [Fact]
    public void InputShape_IsPassedThroughAndChecked()
    {
        var model = DifferentiableDelegateModel.Linear(Enumerable.Repeat(1f, 12).ToArray());
        var rows = TestModels.RandomTable(2, 12, seed: 10);
        var result = new SaliencyExplainer(model, new SaliencyOptions { InputShape = [3, 2, 2] }).Explain(rows);
        Assert.Equal([3, 2, 2], result.InputShape.ToArray());
        var e = Assert.Throws<XaiException>(() => new SaliencyExplainer(model, new SaliencyOptions { InputShape = [1, 3, 3] }));
        Assert.Equal("input shape 1,3,3 has 9 values but the model takes 12 features", e.Message);
    }

    [Fact]
    public void NonFiniteGradient_IsReportedAsAnXaiException()
    {
        var model = DifferentiableDelegateModel.FromRowFunctions(2, ["y"], (x, y) => y[0] = x[0], (x, _, g) => { g[0] = 1; g[1] = float.NaN; });
        var e = Assert.Throws<XaiException>(() => new SaliencyExplainer(model).Explain(TestModels.RandomTable(2, 2, seed: 11)));
        Assert.Contains("NaN for the gradient of output 'y'", e.Message);
    }

    [Fact]
    public void Cancellation_StopsTheCall()
    {
        var model = DifferentiableDelegateModel.Linear([1f, 2f]);
        using var source = new CancellationTokenSource();
        source.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new SaliencyExplainer(model).Explain(TestModels.RandomTable(3, 2, seed: 12), cancellationToken: source.Token));
    }

    [Fact]
    public void Progress_CountsEveryEvaluation()
    {
        var model = DifferentiableDelegateModel.Linear([1f, 2f]);
        var reports = new List<ExplanationProgress>();
        var progress = new SynchronousProgress(reports.Add);
        var result = new SaliencyExplainer(model, new SaliencyOptions { BatchSize = 4 }).Explain(TestModels.RandomTable(10, 2, seed: 13), progress: progress);
        Assert.Equal(20, reports.Max(p => p.Completed));
        Assert.All(reports, p => Assert.Equal(20, p.Total));
        Assert.Equal(20, result.ModelEvaluations);
    }

    private sealed class SynchronousProgress(Action<ExplanationProgress> report) : IProgress<ExplanationProgress>
    {
        private readonly Lock _gate = new();

        public void Report(ExplanationProgress value)
        {
            lock (_gate) report(value);
        }
    }
}
