using Interactive.Xai.Inspection;

namespace Interactive.Xai.Tests;

public class ValueDistributionTests
{
    [Fact]
    public void Counts_equal_a_direct_count_and_quantiles_interpolate_linearly_between_order_statistics()
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 1000).Select(_ => (float)(random.NextDouble() * 7 - 2)).ToArray();
        var d = ValueDistribution.Of(values, bins: 13);
        Assert.Equal(1000, d.Count);
        Assert.Equal(14, d.BinEdges.Length);
        Assert.Equal(values.Min(), d.Minimum);
        Assert.Equal(values.Max(), d.Maximum);
        for (int b = 0; b < 13; b++)
            Assert.Equal(values.Count(v => v >= d.BinEdges[b] && (b == 12 ? v <= d.BinEdges[b + 1] : v < d.BinEdges[b + 1])), d.Counts[b]);
        // numpy's default quantile of 1..10: position p·9
        var ten = ValueDistribution.Of(Enumerable.Range(1, 10).Select(i => (float)i).ToArray());
        Assert.Equal(5.5, ten.Median, 12);
        Assert.Equal(1 + 0.0668 * 9, ten.Quantiles[1], 12);
        Assert.Equal(5.5, ten.Mean, 12);
        Assert.Equal(Math.Sqrt(8.25), ten.StandardDeviation, 12);
    }

    [Fact]
    public void Non_finite_values_are_counted_apart_and_a_constant_gets_one_bin_around_it()
    {
        var d = ValueDistribution.Of([3, 3, float.NaN, float.PositiveInfinity, 3]);
        Assert.Equal(3, d.Count);
        Assert.Equal(2, d.NonFiniteCount);
        Assert.Equal([2.5, 3.5], d.BinEdges.ToArray());
        Assert.Equal([3L], d.Counts.ToArray());
        var none = ValueDistribution.Of([float.NaN]);
        Assert.Equal(0, none.Count);
        Assert.True(double.IsNaN(none.Median));
    }

    [Fact]
    public void A_monitor_keeps_one_distribution_per_tensor_kind_and_epoch()
    {
        using var monitor = new TrainingMonitor();
        monitor.LogDistributions(0, 1, DistributionKind.Gradients, new Dictionary<string, float[]> { ["w"] = [1, 2, 3] });
        monitor.LogDistributions(0, 5, DistributionKind.Gradients, new Dictionary<string, float[]> { ["w"] = [4, 5] });
        monitor.LogDistributions(1, 9, DistributionKind.Gradients, new Dictionary<string, float[]> { ["w"] = [6] });
        var series = monitor.Snapshot().Distributions.Series("w", DistributionKind.Gradients);
        Assert.Equal([0, 1], series.Select(s => s.Epoch).ToArray());
        Assert.Equal(2, series[0].Distribution.Count);
        Assert.Equal(4.5, series[0].Distribution.Median, 12);
        Assert.Empty(monitor.Snapshot().Distributions.Tensors(DistributionKind.Weights));
        Assert.Throws<XaiException>(() => monitor.LogDistributions(0, 1, DistributionKind.Weights, new Dictionary<string, float[]> { ["w"] = [1] }, bins: 0));
    }
}
