namespace Interactive.Xai.Tests;

public class OutputCorrelationTests
{
    [Fact]
    public void Every_feature_is_correlated_with_the_output_by_pearson_and_by_spearman()
    {
        // output = x0. x1 = x0^3 (monotone: Spearman 1), x2 = 6 - x0 (-1 both), x3 constant (NaN), x4 with ties.
        var data = FeatureTable.FromArray(new float[,]
        {
            { 1, 1, 5, 7, 1 }, { 2, 8, 4, 7, 1 }, { 3, 27, 3, 7, 2 }, { 4, 64, 2, 7, 2 }, { 5, 125, 1, 7, 3 },
        }, ["x0", "x1", "x2", "x3", "x4"]);
        var model = DelegateModel.FromRowFunction(5, x => x[0], featureNames: data.FeatureNames);
        var result = OutputCorrelationAnalysis.Compute(model, data);
        Assert.Equal(5, result.RowCount);
        Assert.Equal(5, result.ModelEvaluations);
        Assert.Equal(1.0, result.Pearson[0], 12);
        Assert.Equal(1.0, result.Spearman[0], 12);
        // Pearson of x and x^3 for x = 1..5 by hand: deviations of x are -2..2 (sum of squares 10), of x^3 (mean 45)
        // are -44, -37, -18, 19, 80: sum of products 88 + 37 + 0 + 19 + 160 = 304, sum of squares 1936 + 1369 + 324 + 361 + 6400 = 10390
        Assert.Equal(304 / Math.Sqrt(10 * 10390.0), result.Pearson[1], 12);
        Assert.Equal(1.0, result.Spearman[1], 12);
        Assert.Equal(-1.0, result.Pearson[2], 12);
        Assert.Equal(-1.0, result.Spearman[2], 12);
        Assert.True(double.IsNaN(result.Pearson[3]) && double.IsNaN(result.Spearman[3]));
        // ranks of x4 are 1.5, 1.5, 3.5, 3.5, 5: deviations -1.5, -1.5, 0.5, 0.5, 2 against -2..2: 9 / sqrt(9 * 10)
        Assert.Equal(9 / Math.Sqrt(90), result.Spearman[4], 12);
    }

    [Fact]
    public void Another_output_is_chosen_by_index_and_one_outside_is_a_clear_error()
    {
        var data = FeatureTable.FromArray(new float[,] { { 1, 0 }, { 2, 1 }, { 3, 0 } });
        var model = DelegateModel.FromRowFunction(2, ["a", "b"], (x, y) => { y[0] = x[0]; y[1] = -x[0]; });
        var result = OutputCorrelationAnalysis.Compute(model, data, target: 1);
        Assert.Equal("b", result.OutputName);
        Assert.Equal(-1.0, result.Pearson[0], 12);
        Assert.Contains("output 2 is outside", Assert.Throws<XaiException>(() => OutputCorrelationAnalysis.Compute(model, data, target: 2)).Message);
    }
}
