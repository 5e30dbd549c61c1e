namespace Interactive.Xai.Tests;

public class LimeExplainerTests
{
    private static readonly float[] Weights = [3f, -2f, 1f, 0.5f, 0f];

    private static FeatureTable Uniform(int rows, int seed) => TestModels.RandomTable(rows, Weights.Length, seed);

    [Fact]
    public void LinearModel_WithoutDiscretisation_RecoversTheWeightsWithFidelityOne()
    {
        var model = DelegateModel.Linear(Weights, bias: 0.5f);
        var training = Uniform(400, seed: 1);
        var rows = Uniform(5, seed: 2);
        var options = new LimeOptions { Discretize = false, KernelWidth = 100, FeatureSelection = LimeFeatureSelection.None, Ridge = 0, Samples = 500, StabilityRuns = 1 };
        var lime = new LimeExplainer(model, training, options).Explain(rows);
        for (int r = 0; r < rows.RowCount; r++)
        {
            for (int j = 0; j < Weights.Length; j++) Assert.Equal(Weights[j], lime.Coefficient(r, j), 3);
            Assert.True(lime.RowFidelity(r) > 0.99999, $"fidelity {lime.RowFidelity(r)}");
            Assert.Equal(lime.Prediction(r), lime.LocalPrediction(r), 3);
            Assert.Equal(lime.LocalPrediction(r), lime.Intercept(r) + lime.RowValues(r).Sum(), 9);
        }
    }

    [Fact]
    public void LinearModel_WithDefaultKernelAndSamplingAroundTheRow_StillRecoversTheWeights()
    {
        var model = DelegateModel.Linear(Weights);
        var options = new LimeOptions { Discretize = false, Sampling = LimeSampling.AroundRow, FeatureSelection = LimeFeatureSelection.None, StabilityRuns = 1 };
        var lime = new LimeExplainer(model, Uniform(300, seed: 3), options).Explain(Uniform(3, seed: 4));
        for (int r = 0; r < 3; r++)
            for (int j = 0; j < Weights.Length; j++) Assert.Equal(Weights[j], lime.Coefficient(r, j), 2);
        Assert.Equal(0.75 * Math.Sqrt(5), lime.KernelWidth, 12);
    }

    [Theory]
    [InlineData(42)]
    [InlineData(7)]
    [InlineData(1234)]
    public void Discretised_RowInTheTopQuartileOfEveryFeature_RecoversRankingSignsAndSize(int seed)
    {
        // For x ~ U(-1, 1) the top quartile's mean is 0.75 and the rest's is -0.25, so the indicator's weight is w * 1.
        var model = DelegateModel.Linear(Weights);
        var row = FeatureTable.FromRows([[0.9f, 0.9f, 0.9f, 0.9f, 0.9f]]);
        var options = new LimeOptions { FeatureCount = 4, FeatureSelection = LimeFeatureSelection.ForwardSelection, Samples = 20000, StabilityRuns = 1, Seed = seed };
        var lime = new LimeExplainer(model, Uniform(4000, seed: 5), options).Explain(row);
        Assert.Equal([0, 1, 2, 3], lime.Selected(0).ToArray());
        Assert.Equal(0.0, lime.Value(0, 4));
        // The sampling error of each weight is about 0.05 here (20,000 samples, about half the weight mass): 3 sigma.
        for (int j = 0; j < 4; j++) Assert.Equal(Weights[j], lime.Value(0, j), 0.15);
        var ranking = Enumerable.Range(0, 4).OrderByDescending(j => Math.Abs(lime.Value(0, j))).ToArray();
        Assert.Equal([0, 1, 2, 3], ranking);
        Assert.Contains("0.5", lime.FeatureDescription(0, 0), StringComparison.Ordinal);
        Assert.StartsWith("x0 >", lime.FeatureDescription(0, 0), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(42)]
    [InlineData(7)]
    [InlineData(1234)]
    public void Discretised_RowInTheBottomQuartile_FlipsTheSigns(int seed)
    {
        var model = DelegateModel.Linear(Weights);
        var row = FeatureTable.FromRows([[-0.9f, -0.9f, -0.9f, -0.9f, -0.9f]]);
        var options = new LimeOptions { FeatureCount = 4, Samples = 20000, StabilityRuns = 1, Seed = seed };
        var lime = new LimeExplainer(model, Uniform(4000, seed: 6), options).Explain(row);
        for (int j = 0; j < 4; j++) Assert.Equal(-Weights[j], lime.Value(0, j), 0.15);
        Assert.DoesNotContain(4, lime.Selected(0));
    }

    [Theory]
    [InlineData(LimeFeatureSelection.ForwardSelection)]
    [InlineData(LimeFeatureSelection.LassoPath)]
    [InlineData(LimeFeatureSelection.HighestWeights)]
    public void IgnoredFeature_IsNotSelected(LimeFeatureSelection selection)
    {
        var model = DelegateModel.Linear(Weights);
        var options = new LimeOptions { Discretize = false, FeatureCount = 4, FeatureSelection = selection, Samples = 2000, StabilityRuns = 1 };
        var lime = new LimeExplainer(model, Uniform(300, seed: 7), options).Explain(Uniform(4, seed: 8));
        for (int r = 0; r < 4; r++)
        {
            Assert.DoesNotContain(4, lime.Selected(r));
            Assert.Equal(0.0, lime.Value(r, 4));
            Assert.Equal(4, lime.Selected(r).Length);
        }
    }

    [Theory]
    [InlineData(LimeFeatureSelection.ForwardSelection, 1)]
    [InlineData(LimeFeatureSelection.ForwardSelection, 2)]
    [InlineData(LimeFeatureSelection.LassoPath, 1)]
    [InlineData(LimeFeatureSelection.LassoPath, 2)]
    public void SmallK_PicksTheStrongestFeatures(LimeFeatureSelection selection, int k)
    {
        // Standardised slopes: 3, -2, 1, 0.5, 0 times the same std, so the strongest are x0 then x1.
        var model = DelegateModel.Linear(Weights);
        var options = new LimeOptions { Discretize = false, FeatureCount = k, FeatureSelection = selection, Samples = 2000, StabilityRuns = 1 };
        var lime = new LimeExplainer(model, Uniform(300, seed: 20), options).Explain(Uniform(3, seed: 21));
        for (int r = 0; r < 3; r++) Assert.Equal(Enumerable.Range(0, k).ToArray(), lime.Selected(r).ToArray());
    }

    [Fact]
    public void HighestWeights_RanksByCoefficientTimesTheRowsStandardisedValue_AsTheLimePackage()
    {
        // lime's highest_weights ranks |coef x data[0]|; without discretisation data[0] is the row standardised by the
        // training mean and std, so on a linear model the rank is by |w_j (x_j - mean_j)|, which depends on the row.
        var model = DelegateModel.Linear(Weights);
        var training = Uniform(300, seed: 20);
        var rows = FeatureTable.FromRows([[0.5f, 0.5f, 0.5f, 0.5f, 0.5f], [0.05f, 0.9f, 0.9f, 0.05f, 0.9f]]); // {0, 1}, then {1, 2}
        var options = new LimeOptions { Discretize = false, FeatureCount = 2, FeatureSelection = LimeFeatureSelection.HighestWeights, Samples = 4000, StabilityRuns = 1 };
        var lime = new LimeExplainer(model, training, options).Explain(rows);
        var means = Enumerable.Range(0, Weights.Length).Select(j => Enumerable.Range(0, training.RowCount).Average(r => (double)training[r, j])).ToArray();
        for (int r = 0; r < rows.RowCount; r++)
        {
            var score = Enumerable.Range(0, Weights.Length).Select(j => Math.Abs(Weights[j] * (rows[r, j] - means[j]))).ToArray();
            var order = Enumerable.Range(0, Weights.Length).OrderByDescending(j => score[j]).ToArray();
            Assert.True(score[order[1]] > 1.5 * score[order[2]], "the second and third scores must be apart for this test to be sharp");
            Assert.Equal(order.Take(2).Order().ToArray(), lime.Selected(r).ToArray());
        }
    }

    [Fact]
    public void IgnoredFeature_GetsNearZeroWeightWhenEveryFeatureIsKept()
    {
        var model = DelegateModel.Linear(Weights);
        var options = new LimeOptions { FeatureSelection = LimeFeatureSelection.None, Samples = 20000, StabilityRuns = 1 };
        var lime = new LimeExplainer(model, Uniform(1000, seed: 9), options).Explain(Uniform(3, seed: 10));
        for (int r = 0; r < 3; r++)
        {
            // Three sampling standard errors (about 0.05 each), against weights of 0.5 to 3.
            double largest = lime.RowValues(r).Max(Math.Abs);
            Assert.True(Math.Abs(lime.Value(r, 4)) < 0.15, $"ignored feature's value {lime.Value(r, 4)} vs largest {largest}");
            Assert.True(largest > 1);
        }
    }

    [Fact]
    public void StrongSignal_IsStableOverSeeds_AndWeakSignal_IsNot()
    {
        var training = TestModels.RandomTable(500, 6, seed: 11);
        var rows = TestModels.RandomTable(4, 6, seed: 12);
        var options = new LimeOptions { FeatureCount = 2, Samples = 300, StabilityRuns = 5 };
        var strong = new LimeExplainer(DelegateModel.Linear([5f, -4f, 0.1f, 0.1f, 0.1f, 0.1f]), training, options with { Discretize = false }).Explain(rows);
        Assert.Equal(1.0, strong.MeanStabilityJaccard, 9);
        // Six equally strong features and K = 2: which two win is decided by sampling noise.
        var weak = new LimeExplainer(DelegateModel.Linear([1f, 1f, 1f, 1f, 1f, 1f]), training, options).Explain(rows);
        Assert.True(weak.MeanStabilityJaccard < 0.9, $"jaccard {weak.MeanStabilityJaccard}");
        Assert.Contains(weak.ValueStandardDeviations, s => s > 0);
        Assert.Equal(5, weak.StabilityRuns);
    }

    [Fact]
    public void SameSeed_GivesTheSameResult_WhateverTheBatchingAndParallelism()
    {
        var model = TestModels.Nonlinear(5);
        var training = Uniform(200, seed: 13);
        var rows = Uniform(6, seed: 14);
        var a = new LimeExplainer(model, training, new LimeOptions { Samples = 700 }).Explain(rows);
        var b = new LimeExplainer(model, training, new LimeOptions { Samples = 700, BatchSize = 97, MaxDegreeOfParallelism = 1, MaxEvaluationsPerBlock = 1500 }).Explain(rows);
        Assert.Equal(a.Values.ToArray(), b.Values.ToArray());
        Assert.Equal(a.Fidelity.ToArray(), b.Fidelity.ToArray());
        Assert.Equal(a.StabilityJaccard.ToArray(), b.StabilityJaccard.ToArray());
        Assert.Equal(6 + 6 * 3 * 700, a.ModelEvaluations);
        var c = new LimeExplainer(model, training, new LimeOptions { Samples = 700, Seed = 7 }).Explain(rows);
        Assert.NotEqual(a.Values.ToArray(), c.Values.ToArray());
    }

    [Fact]
    public void Blocks_AreSizedByValuesHeld_SoAWideModelUsesFewerRowsPerBlock_WithTheSameResult()
    {
        // 40 features, 100 samples: 4,000 input values per (row, run). A bound of 12,000 values holds 3 jobs per block
        // although the row bound (MaxEvaluationsPerBlock, default 2^18) would hold all 18: the model then never sees
        // more than 300 samples at once; the result is the same as with one block.
        var batches = new System.Collections.Concurrent.ConcurrentBag<int>();
        var weights = Enumerable.Range(0, 40).Select(j => (float)Math.Sin(j + 1)).ToArray();
        var model = new DelegateModel(40, ["y"], (inputs, n, outputs) =>
        {
            batches.Add(n);
            for (int r = 0; r < n; r++) outputs[r] = System.Numerics.Tensors.TensorPrimitives.Dot(inputs.Slice(r * 40, 40), weights);
        });
        var training = TestModels.RandomTable(100, 40, seed: 30);
        var rows = TestModels.RandomTable(6, 40, seed: 31);
        var options = new LimeOptions { Samples = 100, BatchSize = 100_000, FeatureSelection = LimeFeatureSelection.None };
        var whole = new LimeExplainer(model, training, options).Explain(rows);
        Assert.Contains(6 * 3 * 100, batches);
        batches.Clear();
        var bounded = new LimeExplainer(model, training, options) { MaxValuesPerBlock = 12_000 }.Explain(rows);
        Assert.Equal(6 + 6 * 3 * 100, bounded.ModelEvaluations);
        Assert.All(batches, b => Assert.True(b <= 300, $"a batch of {b} samples"));
        Assert.Contains(300, batches);
        Assert.Equal(whole.Values.ToArray(), bounded.Values.ToArray());
        Assert.Equal(whole.ValueStandardDeviations.ToArray(), bounded.ValueStandardDeviations.ToArray());
    }

    [Fact]
    public void AllTargets_ExplainsEachOutputWithItsOwnSurrogate()
    {
        var model = DelegateModel.FromRowFunction(3, ["a", "b"], (x, o) => { o[0] = 2 * x[0]; o[1] = -3 * x[2]; });
        var options = new LimeOptions { Discretize = false, FeatureSelection = LimeFeatureSelection.None, StabilityRuns = 1, Samples = 400, Ridge = 0 };
        var lime = new LimeExplainer(model, TestModels.RandomTable(100, 3, seed: 15), options).Explain(TestModels.RandomTable(2, 3, seed: 16), OutputTarget.All);
        Assert.Equal(2, lime.TargetCount);
        for (int r = 0; r < 2; r++)
        {
            Assert.Equal(2, lime.Coefficient(r, 0, 0), 2);
            Assert.Equal(0, lime.Coefficient(r, 2, 0), 2);
            Assert.Equal(-3, lime.Coefficient(r, 2, 1), 2);
            Assert.Equal(0, lime.Coefficient(r, 0, 1), 2);
        }
    }

    [Fact]
    public void ToAttribution_CarriesTheValues()
    {
        var model = DelegateModel.Linear(Weights);
        var lime = new LimeExplainer(model, Uniform(100, seed: 17), new LimeOptions { Samples = 200, StabilityRuns = 1 }).Explain(Uniform(3, seed: 18));
        var attribution = lime.ToAttribution();
        Assert.Equal(lime.Values.ToArray(), attribution.Values.ToArray());
        Assert.Equal("lime", attribution.Method);
    }

    [Fact]
    public void BadOptionsAndData_GiveClearErrors()
    {
        var model = DelegateModel.Linear(Weights);
        var training = Uniform(50, seed: 19);
        Assert.Contains("at least 2 samples", Assert.Throws<XaiException>(() => new LimeExplainer(model, training, new LimeOptions { Samples = 1 })).Message, StringComparison.Ordinal);
        Assert.Contains("kernel width", Assert.Throws<XaiException>(() => new LimeExplainer(model, training, new LimeOptions { KernelWidth = 0 })).Message, StringComparison.Ordinal);
        Assert.Contains("training data has 3 columns", Assert.Throws<XaiException>(() => new LimeExplainer(model, TestModels.RandomTable(10, 3, 1))).Message, StringComparison.Ordinal);
        var explainer = new LimeExplainer(model, training);
        Assert.Throws<XaiException>(() => explainer.Explain(TestModels.RandomTable(2, 3, 1)));
        Assert.Throws<XaiException>(() => explainer.Explain(Uniform(2, 1), OutputTarget.Output(3)));
    }
}
