using Interactive.Xai.Numerics;

namespace Interactive.Xai.Tests;

/// <summary>Exact sums: the correctly rounded total, whatever the order of the terms or how they are grouped.</summary>
public class ExactSumTests
{
    private static double Sum(IEnumerable<double> values)
    {
        var sum = new ExactSum();
        foreach (var v in values) sum.Add(v);
        return sum.Value;
    }

    [Fact]
    public void CancellingTerms_GiveTheExactTotal_WhereNaiveSummationLosesIt()
    {
        double[] terms = [1e16, 1.0, -1e16, 1.0];
        Assert.Equal(1.0, terms.Aggregate(0.0, (a, b) => a + b)); // naive: 1e16 + 1 rounds the 1 away
        Assert.Equal(2.0, Sum(terms));
        Assert.Equal(1e-300, Sum([1e300, 1e-300, -1e300]));
    }

    [Fact]
    public void HalfwayCases_RoundToEven()
    {
        // 1 + 2^-53 is exactly halfway between 1 and the next double: ties to even gives 1.
        Assert.Equal(1.0, Sum([1.0, Math.Pow(2, -53)]));
        // A tiny extra term decides a tie: above halfway rounds up.
        Assert.Equal(1.0 + Math.Pow(2, -52), Sum([1.0, Math.Pow(2, -53), 1e-30]));
        Assert.Equal(1.0, Sum([1.0, Math.Pow(2, -53), -1e-30]));
    }

    [Fact]
    public void AnyOrderAndAnyGrouping_GiveTheSameBits()
    {
        var random = new Random(5);
        var terms = Enumerable.Range(0, 5000).Select(_ => (random.NextDouble() - 0.3) * Math.Pow(10, random.Next(-8, 9))).ToArray();
        double expected = Sum(terms);
        for (int trial = 0; trial < 20; trial++)
        {
            var shuffled = terms.OrderBy(_ => random.Next()).ToArray();
            // Split into random groups, sum each, send its partials and merge them in a random order.
            var merged = new ExactSum();
            int start = 0;
            var groups = new List<double[]>();
            while (start < shuffled.Length)
            {
                int count = random.Next(1, 400);
                var group = new ExactSum();
                foreach (var v in shuffled.Skip(start).Take(count)) group.Add(v);
                groups.Add(group.Partials());
                start += count;
            }
            foreach (var partials in groups.OrderBy(_ => random.Next())) merged.Add(ExactSum.FromPartials(partials));
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(merged.Value));
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(Sum(shuffled)));
        }
    }

    [Fact]
    public void MatchesAnIndependentExactSum_OfIntegersScaledByAPowerOfTwo()
    {
        // Terms k / 2^20 with integer k: their exact total is (sum of k) / 2^20, exact in a decimal as well.
        var random = new Random(9);
        var numerators = Enumerable.Range(0, 2000).Select(_ => (long)random.Next(-1_000_000_000, 1_000_000_000)).ToArray();
        double scale = Math.Pow(2, -20);
        long total = numerators.Sum();
        Assert.Equal((double)total * scale, Sum(numerators.Select(k => k * scale)));
    }

    [Fact]
    public void NonFiniteTerms_AreSummedOnTheirOwn()
    {
        Assert.Equal(double.PositiveInfinity, Sum([1.0, double.PositiveInfinity, 5.0]));
        Assert.True(double.IsNaN(Sum([double.PositiveInfinity, 1.0, double.NegativeInfinity])));
        var withInfinity = new ExactSum();
        withInfinity.Add(double.NegativeInfinity);
        Assert.Equal(double.NegativeInfinity, ExactSum.FromPartials(withInfinity.Partials()).Value);
        Assert.Equal(0.0, new ExactSum().Value);
    }
}
