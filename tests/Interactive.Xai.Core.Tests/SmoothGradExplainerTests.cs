namespace Interactive.Xai.Tests;

public class SmoothGradExplainerTests
{
    [Fact]
    public void LinearModel_ValuesEqualTheWeightsExactly()
    {
        float[] w = [1.5f, -2f, 0.5f, -3f];
        var model = DifferentiableDelegateModel.Linear(w, bias: 2);
        var rows = TestModels.RandomTable(5, 4, seed: 1, scale: 4);
        var result = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 25, NoiseLevel = 0.3 }).Explain(rows);
        for (int r = 0; r < rows.RowCount; r++)
            for (int j = 0; j < 4; j++)
            {
                Assert.Equal(w[j], result.Value(r, j));
                Assert.Equal(0, result.StandardError(r, j));
            }
        Assert.Equal(5 + 5 * 25, result.ModelEvaluations);
    }

    // f = sum x_i^2: the gradient at x + e is 2 (x + e), e ~ N(0, sigma^2), so the average over S samples is 2x with
    // standard error 2 sigma / sqrt(S). With S = 4000 the tolerance is 5 standard errors (about 0.016 for sigma = 0.1).
    [Fact]
    public void Quadratic_AverageGradientIsTwiceTheInputWithinFiveStandardErrors()
    {
        var model = GradientTestModels.SumOfSquares(6);
        var rows = FeatureTable.FromArray(new float[,] { { 0, 1, -1, 0.5f, 0.25f, -0.5f }, { 0.2f, 0.4f, 0.6f, 0.8f, 1, 0 } });
        const int samples = 4000;
        var result = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = samples, NoiseLevel = 0.05 }).Explain(rows);
        for (int r = 0; r < rows.RowCount; r++)
        {
            double sigma = 0.05 * (rows.Row(r).ToArray().Max() - rows.Row(r).ToArray().Min());
            double standardError = 2 * sigma / Math.Sqrt(samples);
            for (int j = 0; j < 6; j++)
            {
                Assert.True(Math.Abs(result.Value(r, j) - 2 * rows[r, j]) < 5 * standardError,
                    $"row {r}, feature {j}: {result.Value(r, j)} vs {2 * rows[r, j]} (5 se = {5 * standardError})");
                // The reported standard error estimates 2 sigma / sqrt(S) to within 10% at this many samples.
                Assert.Equal(standardError, result.StandardError(r, j), standardError * 0.1);
            }
        }
    }

    // SmoothGrad-Squared on f = sum x_i^2: E[(2 (x + e))^2] = 4 (x^2 + sigma^2).
    [Fact]
    public void SquaredVariant_OnQuadratic_IsFourTimesSecondMoment()
    {
        var model = GradientTestModels.SumOfSquares(3);
        var rows = FeatureTable.FromArray(new float[,] { { -1, 0, 1 } });
        double sigma = 0.2 * 2;
        var result = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 20000, NoiseLevel = 0.2, Squared = true }).Explain(rows);
        for (int j = 0; j < 3; j++)
        {
            double expected = 4 * (rows[0, j] * rows[0, j] + sigma * sigma);
            Assert.True(Math.Abs(result.Value(0, j) - expected) < 5 * result.StandardError(0, j),
                $"feature {j}: {result.Value(0, j)} vs {expected} (se {result.StandardError(0, j)})");
            // Var[4 (x + e)^2] = 16 (4 x^2 sigma^2 + 2 sigma^4): the reported standard error matches it to within 10%.
            double x = rows[0, j];
            double standardError = Math.Sqrt(16 * (4 * x * x * sigma * sigma + 2 * Math.Pow(sigma, 4)) / 20000);
            Assert.Equal(standardError, result.StandardError(0, j), 0.1 * standardError);
        }
    }

    // Mixed-scale tabular rows: the row's range (here ~1000, set by the large feature) would drown the small feature in
    // noise. Absolute per-feature deviations give each feature its own sigma: on f = sum x_j^2 SmoothGrad-Squared is
    // 4 (x_j^2 + sigma_j^2) per feature, and a feature with sigma 0 gets its exact gradient.
    [Fact]
    public void PerFeatureNoise_GivesEachFeatureItsOwnSigma()
    {
        var model = GradientTestModels.SumOfSquares(3);
        var rows = FeatureTable.FromArray(new float[,] { { 0.5f, 1000, -2 } });
        double[] sigmas = [0.1, 50, 0];
        var result = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 20000, NoiseStandardDeviations = sigmas, Squared = true }).Explain(rows);
        for (int j = 0; j < 3; j++)
        {
            double x = rows[0, j], expected = 4 * (x * x + sigmas[j] * sigmas[j]);
            if (sigmas[j] == 0) Assert.Equal(expected, result.Value(0, j), 9);
            else Assert.True(Math.Abs(result.Value(0, j) - expected) < 5 * result.StandardError(0, j),
                $"feature {j}: {result.Value(0, j)} vs {expected} (se {result.StandardError(0, j)})");
        }
        Assert.Equal("absolute", result.Details["noiseLevel"]);

        // The noise is sigma_j x the same standard normal draws: plain SmoothGrad minus the exact gradient 2 x_j is
        // 2 sigma_j mean(e_j), so doubling one sigma doubles that gap exactly (up to float rounding of the inputs).
        var one = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 50, NoiseStandardDeviations = [1.0] }).Explain(rows);
        var two = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 50, NoiseStandardDeviations = [2.0] }).Explain(rows);
        for (int j = 0; j < 3; j++)
        {
            double gap = one.Value(0, j) - 2 * rows[0, j];
            Assert.True(Math.Abs(gap) > 1e-3, "the noise should move the average");
            Assert.Equal(2 * gap, two.Value(0, j) - 2 * rows[0, j], 1e-5 * (1 + Math.Abs(rows[0, j])));
        }
    }

    [Fact]
    public void FeatureScales_AreTheLevelTimesEachColumnsSampleStd_AndBadNoiseIsRefused()
    {
        // Columns 1, 2, 3, 4 (sample std sqrt(5/3)) and 100, 300, 500, 700 (sample std 200 sqrt(5/3)).
        var reference = FeatureTable.FromArray(new float[,] { { 1, 100 }, { 2, 300 }, { 3, 500 }, { 4, 700 } });
        var scales = SmoothGradOptions.FeatureScales(reference, 0.1);
        Assert.Equal(0.1 * Math.Sqrt(5 / 3.0), scales[0], 9);
        Assert.Equal(0.1 * 200 * Math.Sqrt(5 / 3.0), scales[1], 6);
        var model = GradientTestModels.SumOfSquares(2);
        Assert.Contains("have 3 values; give one, or one per feature (2)",
            Assert.Throws<XaiException>(() => new SmoothGradExplainer(model, new SmoothGradOptions { NoiseStandardDeviations = [1, 2, 3] })).Message);
        Assert.Contains("finite number of at least 0",
            Assert.Throws<XaiException>(() => new SmoothGradExplainer(model, new SmoothGradOptions { NoiseStandardDeviations = [1, -2] })).Message);
        Assert.Contains("at least 2 rows", Assert.Throws<XaiException>(() => SmoothGradOptions.FeatureScales(reference.Slice(0, 1))).Message);
    }

    [Fact]
    public void SameSeed_SameResult_OtherSeed_OtherResult()
    {
        var model = new ReluNetwork(6, 12, 2, seed: 2).Model();
        var rows = TestModels.RandomTable(4, 6, seed: 3);
        var a = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 20, Seed = 5 }).Explain(rows);
        var b = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 20, Seed = 5 }).Explain(rows);
        var c = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 20, Seed = 6 }).Explain(rows);
        Assert.Equal(a.Values.ToArray(), b.Values.ToArray());
        Assert.NotEqual(a.Values.ToArray(), c.Values.ToArray());
    }

    [Fact]
    public void BatchSizeParallelismAndTargets_DoNotChangeTheResult()
    {
        var model = new ReluNetwork(6, 12, 3, seed: 4).Model();
        var rows = TestModels.RandomTable(10, 6, seed: 5);
        var one = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 15, BatchSize = 1, MaxDegreeOfParallelism = 2 }).Explain(rows, OutputTarget.All);
        var big = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 15, BatchSize = 8192 }).Explain(rows, OutputTarget.All);
        Assert.Equal(big.Values.ToArray(), one.Values.ToArray());
        Assert.Equal(big.StandardErrors.ToArray(), one.StandardErrors.ToArray());
        // Every target of a row sees the same noisy copies, so one target alone gives the same numbers as its slot of all.
        var single = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 15, BatchSize = 7 }).Explain(rows, OutputTarget.Output(1));
        for (int r = 0; r < rows.RowCount; r++)
            for (int j = 0; j < 6; j++) Assert.Equal(big.Value(r, j, 1), single.Value(r, j));
    }

    [Fact]
    public void ZeroNoise_EqualsSaliency()
    {
        var model = new ReluNetwork(5, 8, 2, seed: 6).Model();
        var rows = TestModels.RandomTable(6, 5, seed: 7);
        var smooth = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 3, NoiseLevel = 0 }).Explain(rows, OutputTarget.All);
        var saliency = new SaliencyExplainer(model).Explain(rows, OutputTarget.All);
        Assert.Equal(saliency.Values.ToArray(), smooth.Values.ToArray());
    }

    [Fact]
    public void PredictedTarget_FillsRowTargets()
    {
        var model = new ReluNetwork(4, 16, 5, seed: 8).Model();
        var rows = TestModels.RandomTable(20, 4, seed: 9, scale: 3);
        var result = new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 4 }).Explain(rows, OutputTarget.Predicted);
        var scores = model.Predict(rows);
        for (int r = 0; r < rows.RowCount; r++)
            Assert.Equal(Enumerable.Range(0, 5).MaxBy(o => scores[r * 5 + o]), result.RowTargets[r]);
    }

    [Fact]
    public void BadOptionsAndModels_AreRejected()
    {
        var model = DifferentiableDelegateModel.Linear([1f]);
        Assert.Contains("at least 1 sample", Assert.Throws<XaiException>(() => new SmoothGradExplainer(model, new SmoothGradOptions { Samples = 0 })).Message);
        Assert.Contains("noise level", Assert.Throws<XaiException>(() => new SmoothGradExplainer(model, new SmoothGradOptions { NoiseLevel = -1 })).Message);
        Assert.Contains("smoothgrad needs a differentiable model", Assert.Throws<XaiException>(() => new SmoothGradExplainer(DelegateModel.Linear([1f]))).Message);
    }
}
