using Interactive.Xai.Engine;

namespace Interactive.Xai.Core.Tests;

/// <summary>The vectorised perturbation fills and the scalar ones build the same model inputs, so give identical explanations.</summary>
public sealed class FillPathTests
{
    private static FeatureTable Table(int rows, int features, int seed)
    {
        var random = new Random(seed);
        var values = new float[rows, features];
        for (int r = 0; r < rows; r++) for (int f = 0; f < features; f++) values[r, f] = (float)random.NextDouble();
        return FeatureTable.FromArray(values);
    }

    private static DelegateModel Nonlinear(int m) => DelegateModel.FromRowFunction(m, x =>
    {
        float s = 0;
        for (int j = 0; j < x.Length; j++) s += (j + 1) * x[j] * x[(j + 1) % x.Length];
        return s;
    });

    private static (AttributionExplanation Vectorised, AttributionExplanation Scalar) Both(Func<AttributionExplanation> explain)
    {
        var vectorised = explain();
        MaskedRowFill.DisabledOnThisThread = true;
        try
        {
            return (vectorised, explain());
        }
        finally
        {
            MaskedRowFill.DisabledOnThisThread = false;
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(12)]
    public void Exact_shapley_values_are_the_same_on_both_fill_paths(int m)
    {
        var explainer = new ExactShapleyExplainer(Nonlinear(m), WeightedBackground.FromTable(Table(3, m, 2)), new ExactShapleyOptions { BatchSize = 1000 });
        var rows = Table(4, m, 1);
        var (vectorised, scalar) = Both(() => explainer.Explain(rows));
        Assert.Equal(scalar.Values.ToArray(), vectorised.Values.ToArray());
        Assert.InRange(scalar.AdditivityError, 0, 1e-4);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(20)]
    public void Kernel_shap_values_are_the_same_on_both_fill_paths(int m)
    {
        var explainer = new KernelShapExplainer(Nonlinear(m), WeightedBackground.FromTable(Table(4, m, 3)), new KernelShapOptions { Samples = 300, BatchSize = 777 });
        var rows = Table(5, m, 4);
        var (vectorised, scalar) = Both(() => explainer.Explain(rows));
        Assert.Equal(scalar.Values.ToArray(), vectorised.Values.ToArray());
        Assert.Equal(scalar.StandardErrors.ToArray(), vectorised.StandardErrors.ToArray());
    }
}
