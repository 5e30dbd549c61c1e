namespace Interactive.Xai.Tests;

public class KernelShapExplainerTests
{
    [Fact]
    public void SmallFeatureCount_EnumeratesAllCoalitionsAndEqualsExactValues()
    {
        var model = TestModels.Nonlinear(6);
        var background = WeightedBackground.FromTable(TestModels.RandomTable(5, 6, seed: 1));
        var rows = TestModels.RandomTable(4, 6, seed: 2);
        var exact = new ExactShapleyExplainer(model, background).Explain(rows);
        var kernel = new KernelShapExplainer(model, background).Explain(rows);
        Assert.Equal("true", kernel.Details["exact"]);
        for (int i = 0; i < exact.Values.Length; i++) Assert.Equal(exact.Values[i], kernel.Values[i], 5);
        Assert.All(kernel.StandardErrors, e => Assert.Equal(0.0, e));
    }

    [Fact]
    public void LinearModel_IsExactEvenWhenSampling()
    {
        var w = Enumerable.Range(0, 14).Select(i => (float)(i % 4 - 1.5)).ToArray();
        var model = DelegateModel.Linear(w);
        var background = WeightedBackground.FromTable(TestModels.RandomTable(4, 14, seed: 3));
        var rows = TestModels.RandomTable(3, 14, seed: 4);
        var kernel = new KernelShapExplainer(model, background, new KernelShapOptions { Samples = 300 }).Explain(rows);
        Assert.Equal("false", kernel.Details["exact"]);
        for (int r = 0; r < 3; r++)
            for (int j = 0; j < 14; j++)
            {
                double mean = Enumerable.Range(0, 4).Average(b => background.Rows[b, j]);
                Assert.Equal(w[j] * (rows[r, j] - mean), kernel.Value(r, j), 3);
            }
    }

    [Fact]
    public void SampledEstimates_ConvergeToExactValuesAsSamplesGrow()
    {
        var model = TestModels.Nonlinear(12);
        var background = WeightedBackground.FromTable(TestModels.RandomTable(4, 12, seed: 5, scale: 2));
        var rows = TestModels.RandomTable(5, 12, seed: 6, scale: 2);
        var exact = new ExactShapleyExplainer(model, background).Explain(rows);
        double Error(int samples)
        {
            var kernel = new KernelShapExplainer(model, background, new KernelShapOptions { Samples = samples }).Explain(rows);
            return exact.Values.Zip(kernel.Values, (a, b) => Math.Abs(a - b)).Average();
        }
        double coarse = Error(60), fine = Error(2000), nearlyAll = Error(4000);
        Assert.True(fine < coarse, $"error with 2000 samples {fine} not below error with 60 samples {coarse}");
        Assert.True(nearlyAll < fine || nearlyAll < 1e-3, $"error with 4000 samples {nearlyAll}");
        Assert.True(fine < 0.05, $"mean absolute error with 2000 samples {fine}");
    }

    [Fact]
    public void SampledEstimates_AreAdditiveAndReportStandardErrorsCoveringTheError()
    {
        var model = TestModels.Nonlinear(12);
        var background = WeightedBackground.FromTable(TestModels.RandomTable(4, 12, seed: 7, scale: 2));
        var rows = TestModels.RandomTable(4, 12, seed: 8, scale: 2);
        var exact = new ExactShapleyExplainer(model, background).Explain(rows);
        var kernel = new KernelShapExplainer(model, background, new KernelShapOptions { Samples = 200 }).Explain(rows);
        Assert.True(kernel.AdditivityError < 1e-5, $"additivity {kernel.AdditivityError}");
        Assert.Contains(kernel.StandardErrors, e => e > 0);
        // Most errors lie within 3 standard errors.
        int within = Enumerable.Range(0, kernel.Values.Length).Count(i => Math.Abs(kernel.Values[i] - exact.Values[i]) <= 3 * kernel.StandardErrors[i] + 1e-6);
        Assert.True(within >= 0.8 * kernel.Values.Length, $"{within} of {kernel.Values.Length} within 3 SE");
        // Standard errors are not inflated: the typical error is a sizeable fraction of the typical standard error,
        // and both shrink when the budget grows.
        double meanError = Enumerable.Range(0, kernel.Values.Length).Average(i => Math.Abs(kernel.Values[i] - exact.Values[i]));
        double meanSe = kernel.StandardErrors.Average();
        Assert.True(meanError > 0.2 * meanSe, $"mean error {meanError} vs mean SE {meanSe}");
        var larger = new KernelShapExplainer(model, background, new KernelShapOptions { Samples = 2000 }).Explain(rows);
        Assert.True(larger.StandardErrors.Average() < meanSe, $"SE with 2000 samples {larger.StandardErrors.Average()} vs {meanSe}");
    }

    [Fact]
    public void SameSeed_GivesTheSameValues_AndFeaturesEqualToBackgroundGetZero()
    {
        var model = TestModels.Nonlinear(12);
        var background = WeightedBackground.FromTable(TestModels.RandomTable(3, 12, seed: 9));
        var values = TestModels.RandomTable(2, 12, seed: 10).Values.ToArray();
        for (int r = 0; r < 2; r++) values[r * 12 + 5] = background.Rows[0, 5];
        var bg = background.Rows.Values.ToArray();
        for (int b = 0; b < 3; b++) bg[b * 12 + 5] = background.Rows[0, 5];
        background = WeightedBackground.FromTable(FeatureTable.FromRowMajor(bg, 3, 12));
        var rows = FeatureTable.FromRowMajor(values, 2, 12);
        var options = new KernelShapOptions { Samples = 150, Seed = 3 };
        var a = new KernelShapExplainer(model, background, options).Explain(rows);
        var b2 = new KernelShapExplainer(model, background, options with { MaxDegreeOfParallelism = 1, BatchSize = 13 }).Explain(rows);
        Assert.Equal(a.Values.ToArray(), b2.Values.ToArray());
        Assert.Equal(0.0, a.Value(0, 5));
        Assert.Equal(0.0, a.Value(1, 5));
    }
}
