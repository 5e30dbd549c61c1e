namespace Interactive.Xai.Tests;

public class CorrelationAnalysisTests
{
    private static readonly FeatureTable Small = FeatureTable.FromRows(
        [[1, 2, 5], [2, 4, 4], [3, 5, 3], [4, 4, 2], [5, 5, 1]], ["x", "y", "z"]);

    [Fact]
    public void Pearson_MatchesTheHandComputedValue()
    {
        var r = CorrelationAnalysis.Compute(Small);
        // dx = -2..2, dy = -2, 0, 1, 0, 1: r = 6 / sqrt(10 * 6)
        Assert.Equal(6 / Math.Sqrt(60), r.Value(0, 1), 12);
        // Each entry against its own hand value (not one entry against its mirror, which passes when both are wrong).
        Assert.Equal(6 / Math.Sqrt(60), r.Value(1, 0), 12);
        Assert.Equal(-1, r.Value(0, 2), 12);
        Assert.Equal(-1, r.Value(2, 0), 12);
        // dz = 2, 1, 0, -1, -2 against dy = -2, 0, 1, 0, 1: sum dy dz = -4 - 2 = -6, so r = -6 / sqrt(6 * 10).
        Assert.Equal(-6 / Math.Sqrt(60), r.Value(1, 2), 12);
        Assert.Equal(-6 / Math.Sqrt(60), r.Value(2, 1), 12);
        for (int i = 0; i < 3; i++) Assert.Equal(1, r.Value(i, i), 12);
    }

    [Fact]
    public void Spearman_UsesAverageRanksForTies()
    {
        var r = CorrelationAnalysis.Compute(Small, CorrelationMethod.Spearman);
        // y's ranks are 1, 2.5, 4.5, 2.5, 4.5: r = 7 / sqrt(10 * 9)
        Assert.Equal(7 / Math.Sqrt(90), r.Value(0, 1), 12);
        Assert.Equal(-1, r.Value(0, 2), 12);
    }

    [Fact]
    public void Spearman_IsOneForAnyMonotoneTransform()
    {
        var random = new Random(1);
        var rows = Enumerable.Range(0, 100).Select(_ => { float x = (float)random.NextDouble() * 3; return new[] { x, MathF.Exp(x), -x * x * x }; }).ToArray();
        var r = CorrelationAnalysis.Compute(FeatureTable.FromRows(rows), CorrelationMethod.Spearman);
        Assert.Equal(1, r.Value(0, 1), 12);
        Assert.Equal(-1, r.Value(0, 2), 12);
        Assert.True(CorrelationAnalysis.Compute(FeatureTable.FromRows(rows)).Value(0, 1) < 0.97);
    }

    [Fact]
    public void ClusteredOrder_PutsCorrelatedFeaturesNextToEachOther()
    {
        var random = new Random(2);
        var rows = Enumerable.Range(0, 300).Select(_ =>
        {
            double a = random.NextDouble(), c = random.NextDouble();
            double Noise() => 0.1 * random.NextDouble();
            // columns: a, c, -a, c, a (each with noise): blocks {0, 2, 4} and {1, 3}
            return new[] { (float)(a + Noise()), (float)(c + Noise()), (float)(-a + Noise()), (float)(c + Noise()), (float)(a + Noise()) };
        }).ToArray();
        var r = CorrelationAnalysis.Compute(FeatureTable.FromRows(rows));
        var order = r.Order.ToArray();
        Assert.Equal(5, order.Distinct().Count());
        var positions = order.Select((feature, position) => (feature, position)).ToDictionary(p => p.feature, p => p.position);
        var block = new[] { 0, 2, 4 }.Select(f => positions[f]).Order().ToArray();
        Assert.Equal(2, block[^1] - block[0]);
        Assert.Equal(1, Math.Abs(positions[1] - positions[3]));
        Assert.Equal(4, r.Merges.Length);
        Assert.True(r.Merges[^1].Distance > 0.8);
    }

    [Fact]
    public void ConstantColumn_GivesNaN()
    {
        var r = CorrelationAnalysis.Compute(FeatureTable.FromRows([[1, 3], [2, 3], [3, 3]]));
        Assert.True(double.IsNaN(r.Value(0, 1)));
        Assert.Throws<XaiException>(() => CorrelationAnalysis.Compute(FeatureTable.FromRows([[1f, 2f]])));
    }
}
