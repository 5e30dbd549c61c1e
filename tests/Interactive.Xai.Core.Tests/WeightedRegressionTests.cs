using Interactive.Xai.Numerics;

namespace Interactive.Xai.Tests;

public class WeightedRegressionTests
{
    [Fact]
    public void WeightedRidge_MatchesTheClosedFormOnAHandExample()
    {
        // x = (0,1), (1,0), (2,1), (3,3); y = 1, 2, 4, 3; weights 1, 2, 1, 2; penalty 1 on the slopes only.
        // Weighted means: x = (5/3, 4/3), y = 5/2. Centred Gram [[22/3, 20/3], [20/3, 28/3]], cross (5, 3);
        // Gram + I = [[25/3, 20/3], [20/3, 31/3]] with determinant 125/3, so the slopes are (31/3 * 5 - 20/3 * 3) / (125/3)
        // = 19/25 and (25/3 * 3 - 20/3 * 5) / (125/3) = -1/5, and the intercept 5/2 - 19/25 * 5/3 + 1/5 * 4/3 = 3/2
        // (checked with exact fractions; the uncentred objective sum w (y - a - x b)^2 + |b|^2 grows when a or b moves).
        double[] x = [0, 1, 1, 0, 2, 1, 3, 3];
        double[] y = [1, 2, 4, 3];
        double[] w = [1, 2, 1, 2];
        var regression = WeightedRegression.Create(x, 4, 2, y, 1, w);
        var fit = regression.Fit([0, 1], 0, ridge: 1);
        Assert.Equal(0.76, fit.Coefficients[0], 12);
        Assert.Equal(-0.2, fit.Coefficients[1], 12);
        Assert.Equal(1.5, fit.Intercept, 12);
        Assert.Equal(6.0, regression.SumOfWeights);

        // Unpenalised on feature 0 alone: slope = cross / Gram = 5 / (22/3) = 15/22, intercept 5/2 - 15/22 * 5/3 = 15/11.
        var single = regression.Fit([0], 0, ridge: 0);
        Assert.Equal(15 / 22.0, single.Coefficients[0], 12);
        Assert.Equal(0, single.Coefficients[1]);
        Assert.Equal(15 / 11.0, single.Intercept, 12);
    }

    /// <summary>Orthonormal weighted design: columns with weighted mean 0, weighted variance 1, uncorrelated.</summary>
    private static WeightedRegression Orthonormal(double[] slopes, double intercept)
    {
        double[][] columns = [[1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]];
        var x = new double[4 * 3];
        var y = new double[4];
        for (int i = 0; i < 4; i++)
        {
            y[i] = intercept;
            for (int j = 0; j < 3; j++) { x[i * 3 + j] = columns[j][i]; y[i] += slopes[j] * columns[j][i]; }
        }
        return WeightedRegression.Create(x, 4, 3, y, 1, [1, 1, 1, 1]);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.5)]
    [InlineData(2.5)]
    [InlineData(4.0)]
    public void Lasso_OnAnOrthonormalDesign_IsSoftThresholdingOfTheLeastSquaresSlopes(double lambda)
    {
        double[] slopes = [3, -1, 2];
        var regression = Orthonormal(slopes, intercept: 5);
        var beta = regression.Lasso(lambda, 0);
        for (int j = 0; j < 3; j++)
            Assert.Equal(Math.Sign(slopes[j]) * Math.Max(Math.Abs(slopes[j]) - lambda, 0), beta[j], 9);
    }

    [Fact]
    public void LassoPath_OnAnOrthonormalDesign_AddsFeaturesInOrderOfTheirSlopes()
    {
        // Soft-thresholding: feature 0 (|3|) enters below λ = 3, feature 2 (|2|) below 2, feature 1 (|-1|) below 1.
        var regression = Orthonormal([3, -1, 2], intercept: 5);
        Assert.Equal([0], regression.LassoPath(1, 0));
        Assert.Equal([0, 2], regression.LassoPath(2, 0));
        Assert.Equal([0, 1, 2], regression.LassoPath(3, 0));
    }

    [Fact]
    public void HighestWeights_RanksByCoefficientTimesTheInstancesValue_AsTheLimePackage()
    {
        // y = 1 x0 + 2 x1 exactly on an orthonormal design; the instance is z0 = (3, 1, 0): |β z0| = (3, 2, 0), so K = 1
        // picks feature 0 although feature 1 has the larger coefficient (and the same spread).
        var regression = Orthonormal([1, 2, 0], intercept: 0);
        Assert.Equal([0], regression.HighestWeights(1, 0, [3, 1, 0]));
        Assert.Equal([0, 1], regression.HighestWeights(2, 0, [3, 1, 0]));
        // With every value 1 (lime's discretised or image representation) it is the largest |coefficient|.
        Assert.Equal([1], regression.HighestWeights(1, 0, [1, 1, 1]));
        // The penalty is lime's 0.01: the slopes shrink by Gram / (Gram + 0.01) = 4 / 4.01, which keeps the order.
        Assert.Equal(0.01, WeightedRegression.HighestWeightsRidge);
        Assert.Equal(2 * 4 / 4.01, regression.Fit([0, 1, 2], 0, WeightedRegression.HighestWeightsRidge).Coefficients[1], 12);
    }

    [Fact]
    public void ForwardSelection_GreedilyAddsTheFeatureThatRaisesTheUnpenalisedFitMost()
    {
        // Orthonormal: each feature adds slope² to the explained variance, so the order is by |slope|.
        var regression = Orthonormal([3, -1, 2], intercept: 5);
        Assert.Equal([0], regression.ForwardSelection(1, 0));
        Assert.Equal([0, 2], regression.ForwardSelection(2, 0));
        Assert.Equal(1.0, regression.Fit(regression.ForwardSelection(3, 0), 0, 0).RSquared, 12);
    }
}
