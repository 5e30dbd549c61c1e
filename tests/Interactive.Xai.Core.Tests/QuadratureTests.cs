using Interactive.Xai.Numerics;

namespace Interactive.Xai.Tests;

public class QuadratureTests
{
    [Theory]
    [InlineData(1, new[] { 0.0 }, new[] { 2.0 })]
    [InlineData(2, new[] { -0.57735026918962576, 0.57735026918962576 }, new[] { 1.0, 1.0 })]
    [InlineData(3, new[] { -0.77459666924148338, 0.0, 0.77459666924148338 }, new[] { 0.55555555555555556, 0.88888888888888889, 0.55555555555555556 })]
    [InlineData(5, new[] { -0.90617984593866399, -0.53846931010568309, 0.0, 0.53846931010568309, 0.90617984593866399 },
        new[] { 0.23692688505618909, 0.47862867049936647, 0.56888888888888889, 0.47862867049936647, 0.23692688505618909 })]
    public void GaussLegendre_MatchesTabulatedNodesAndWeights(int n, double[] nodes, double[] weights)
    {
        var (x, w) = Quadrature.GaussLegendre(n);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(nodes[i], x[i], 14);
            Assert.Equal(weights[i], w[i], 14);
        }
    }

    [Fact]
    public void GaussLegendre_TenNodes_MatchTabulatedLargestNode()
    {
        var (x, w) = Quadrature.GaussLegendre(10);
        Assert.Equal(0.9739065285171717, x[9], 14);
        Assert.Equal(0.0666713443086881, w[9], 14);
        Assert.Equal(0.1488743389816312, x[5], 14);
        Assert.Equal(0.2955242247147529, w[5], 14);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(20)]
    [InlineData(64)]
    public void GaussLegendre_IntegratesPolynomialsUpToDegree2nMinus1Exactly(int n)
    {
        var (x, w) = Quadrature.GaussLegendre(n);
        for (int degree = 0; degree <= Math.Min(2 * n - 1, 30); degree++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += w[i] * Math.Pow(x[i], degree);
            double exact = degree % 2 == 1 ? 0 : 2.0 / (degree + 1);
            Assert.True(Math.Abs(sum - exact) < 1e-13, $"n={n}, degree {degree}: {sum} vs {exact}");
        }
    }

    [Fact]
    public void GaussLegendre_TwoNodesMissDegreeFour()
    {
        var (points, weights) = Quadrature.OnUnitInterval(IntegrationRule.GaussLegendre, 2);
        double sum = 0;
        for (int i = 0; i < 2; i++) sum += weights[i] * Math.Pow(points[i], 4);
        Assert.True(Math.Abs(sum - 0.2) > 1e-3);
    }

    [Theory]
    [InlineData(IntegrationRule.RiemannLeft, new[] { 0.0, 0.25, 0.5, 0.75 }, new[] { 0.25, 0.25, 0.25, 0.25 })]
    [InlineData(IntegrationRule.RiemannRight, new[] { 0.25, 0.5, 0.75, 1.0 }, new[] { 0.25, 0.25, 0.25, 0.25 })]
    [InlineData(IntegrationRule.RiemannMiddle, new[] { 0.125, 0.375, 0.625, 0.875 }, new[] { 0.25, 0.25, 0.25, 0.25 })]
    [InlineData(IntegrationRule.RiemannTrapezoid, new[] { 0.0, 1.0 / 3, 2.0 / 3, 1.0 }, new[] { 1.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 6 })]
    public void RiemannRules_HaveTheTextbookPointsAndWeights(IntegrationRule rule, double[] points, double[] weights)
    {
        var (p, w) = Quadrature.OnUnitInterval(rule, 4);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(points[i], p[i], 15);
            Assert.Equal(weights[i], w[i], 15);
        }
    }

    [Fact]
    public void Trapezoid_WithOneStep_IsRejected()
    {
        var e = Assert.Throws<XaiException>(() => Quadrature.OnUnitInterval(IntegrationRule.RiemannTrapezoid, 1));
        Assert.Contains("at least 2 steps", e.Message);
    }
}
