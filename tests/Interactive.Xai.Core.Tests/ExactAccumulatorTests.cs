using Interactive.Xai.Numerics;

namespace Interactive.Xai.Tests;

/// <summary>
/// The bucketed exact accumulator: the correctly rounded total, bit for bit what adding the same terms to an
/// <see cref="ExactSum"/> one by one gives, whatever the order, grouping, magnitudes or signs of the terms.
/// </summary>
public class ExactAccumulatorTests
{
    private static double Sum(IEnumerable<double> values, long addsBeforeFlush = 1L << 35)
    {
        var accumulator = new ExactAccumulator(addsBeforeFlush);
        foreach (var v in values) accumulator.Add(v);
        var sum = new ExactSum();
        accumulator.MoveTo(sum);
        return sum.Value;
    }

    private static double OneByOne(IEnumerable<double> values)
    {
        var sum = new ExactSum();
        foreach (var v in values) sum.Add(v);
        return sum.Value;
    }

    private static void SameBits(double expected, double actual)
        => Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual), $"{actual:R}, expected {expected:R}");

    [Fact]
    public void TenTenths_SumToExactlyOne_WhereNaiveSummationFallsShort()
    {
        // 0.1 is 3602879701896397 / 2^55; ten of them are 36028797018963970 / 2^55, whose nearest double is 1.
        Assert.NotEqual(1.0, Enumerable.Repeat(0.1, 10).Aggregate(0.0, (a, b) => a + b));
        SameBits(1.0, Sum(Enumerable.Repeat(0.1, 10)));
    }

    [Fact]
    public void CancellingTerms_GiveTheExactTotal()
    {
        SameBits(2.0, Sum([1e16, 1.0, -1e16, 1.0]));
        // Beyond 2^512 the terms take the exact sum's own path; mixed with bucketed ones the total is still exact.
        SameBits(1e-300, Sum([1e300, 1e-300, -1e300]));
        SameBits(3.0, Sum([Math.ScaleB(1, 600), 3.0, -Math.ScaleB(1, 600)]));
        SameBits(1.0, Sum([double.MaxValue, 1.0, -double.MaxValue]));
    }

    [Fact]
    public void HalfwayCases_RoundToEven()
    {
        SameBits(1.0, Sum([1.0, Math.ScaleB(1, -53)]));
        SameBits(1.0 + Math.ScaleB(1, -52), Sum([1.0, Math.ScaleB(1, -53), 1e-30]));
        SameBits(1.0, Sum([1.0, Math.ScaleB(1, -53), -1e-30]));
        // 1 + 3 * 2^-53 is halfway between 1 + 2^-52 and 1 + 2^-51: even is 1 + 2^-51.
        SameBits(1.0 + Math.ScaleB(1, -51), Sum([Math.ScaleB(1, -53), 1.0, Math.ScaleB(1, -53), Math.ScaleB(1, -53)]));
    }

    [Fact]
    public void IntegersScaledByAPowerOfTwo_SumToTheIntegerTotal()
    {
        var random = new Random(3);
        var numerators = Enumerable.Range(0, 5000).Select(_ => (long)random.Next(-1_000_000_000, 1_000_000_000)).ToArray();
        foreach (int power in new[] { -1074 + 31, -20, 0, 300, 480 })
        {
            double scale = Math.ScaleB(1, power);
            SameBits(numerators.Sum() * scale, Sum(numerators.Select(k => k * scale)));
        }
    }

    [Fact]
    public void Subnormals_AndTheLargestBucketedMagnitudes_AreExact()
    {
        SameBits(3 * double.Epsilon, Sum([double.Epsilon, double.Epsilon, double.Epsilon]));
        SameBits(Math.ScaleB(1, -1022) - double.Epsilon, Sum([Math.ScaleB(1, -1022), -double.Epsilon]));
        SameBits(-double.Epsilon, Sum([Math.ScaleB(1, -1000), -double.Epsilon, -Math.ScaleB(1, -1000)]));
        // Just below and at 2^512 (bucketed / the exact sum's own path).
        double below = Math.ScaleB(1.9999999999999998, 511), at = Math.ScaleB(1, 512);
        SameBits(OneByOne([below, below, below, -at]), Sum([below, below, below, -at]));
        SameBits(Math.ScaleB(2.0 - Math.ScaleB(1, -51), 511), Sum([below, -at, below])); // 2 below - at, exactly
        SameBits(at, Sum([below, at, -below]));
    }

    [Fact]
    public void RandomTermsOverTheWholeRange_AnyOrderAndGrouping_GiveTheOneByOneBits()
    {
        var random = new Random(11);
        var terms = Enumerable.Range(0, 4000).Select(_ =>
        {
            double v = Math.ScaleB(random.NextDouble() + 0.5, random.Next(-1080, 1020));
            return random.Next(2) == 0 ? v : -v;
        }).ToArray();
        // Also clustered magnitudes, as metric terms and model outputs are, with cancellation.
        var clustered = Enumerable.Range(0, 4000).Select(_ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 4))).ToArray();
        foreach (var set in new[] { terms, clustered, terms.Concat(clustered).Concat(clustered.Select(v => -v)).ToArray() })
        {
            double expected = OneByOne(set);
            for (int trial = 0; trial < 10; trial++)
            {
                var shuffled = set.OrderBy(_ => random.Next()).ToArray();
                SameBits(expected, Sum(shuffled));
                // Random groups, each accumulated and moved into its own exact sum, merged in a random order.
                var groups = new List<ExactSum>();
                var accumulator = new ExactAccumulator();
                for (int start = 0; start < shuffled.Length;)
                {
                    int count = Math.Min(random.Next(1, 500), shuffled.Length - start);
                    foreach (var v in shuffled.AsSpan(start, count)) accumulator.Add(v);
                    var group = new ExactSum();
                    accumulator.MoveTo(group);
                    groups.Add(group);
                    start += count;
                }
                var merged = new ExactSum();
                foreach (var group in groups.OrderBy(_ => random.Next())) merged.Add(ExactSum.FromPartials(group.Partials()));
                SameBits(expected, merged.Value);
            }
            // Buckets emptied into the held-back sum every few terms (as after 2^35 terms) change nothing.
            SameBits(expected, Sum(set, addsBeforeFlush: 3));
        }
    }

    [Fact]
    public void SignOfAZeroTotal_IsWhatAddingOneByOneGives()
    {
        double[][] cases = [[], [-0.0], [-0.0, -0.0], [-0.0, 0.0], [0.0, -0.0], [1.0, -1.0], [-0.0, 1.0, -1.0], [-1e300, 1e300], [0.0]];
        foreach (var terms in cases) SameBits(OneByOne(terms), Sum(terms));
        SameBits(-0.0, Sum([-0.0]));
        // Into a sum that is already -0: +0 terms or cancelling terms make it +0, -0 terms keep it -0.
        foreach (var (more, expected) in new[] { (new[] { 0.0 }, 0.0), (new[] { 2.0, -2.0 }, 0.0), (new[] { -0.0 }, -0.0), (Array.Empty<double>(), -0.0) })
        {
            var target = new ExactSum();
            target.Add(-0.0);
            var accumulator = new ExactAccumulator();
            foreach (var v in more) accumulator.Add(v);
            accumulator.MoveTo(target);
            SameBits(expected, target.Value);
        }
    }

    [Fact]
    public void NonFiniteTerms_AreSummedAsTheExactSumDoes()
    {
        SameBits(double.PositiveInfinity, Sum([1.0, double.PositiveInfinity, 5.0]));
        Assert.True(double.IsNaN(Sum([double.PositiveInfinity, 1.0, double.NegativeInfinity])));
        Assert.True(double.IsNaN(Sum([2.0, double.NaN])));
    }

    [Fact]
    public void TheThreadsAccumulator_IsEmptyWhenTaken_EvenAfterAnAbandonedSum()
    {
        var first = ExactAccumulator.ForThisThread();
        first.Add(5.0);
        first.Add(-0.0);
        first.Add(1e300);
        // Abandoned without MoveTo (as when an exception ends a sum): the next taker still starts from zero.
        var again = ExactAccumulator.ForThisThread();
        Assert.Same(first, again);
        again.Add(2.0);
        var sum = new ExactSum();
        again.MoveTo(sum);
        SameBits(2.0, sum.Value);
        var empty = new ExactSum();
        again.MoveTo(empty);
        SameBits(0.0, empty.Value);
    }

    [Fact]
    public void FloatValues_SumExactly()
    {
        var random = new Random(2);
        var values = Enumerable.Range(0, 3001).Select(_ => (float)((random.NextDouble() - 0.4) * Math.Pow(10, random.Next(-6, 7)))).ToArray();
        var accumulator = new ExactAccumulator();
        accumulator.Add(values);
        var sum = new ExactSum();
        accumulator.MoveTo(sum);
        SameBits(OneByOne(values.Select(v => (double)v)), sum.Value);
    }
}
