using Interactive.Xai.Charts;
using Interactive.Xai.Inspection;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

public sealed class NetworkViewChartTests
{
    private static TrainingDistributions ThreeEpochs()
    {
        using var monitor = new TrainingMonitor();
        for (int epoch = 0; epoch < 3; epoch++)
        {
            monitor.LogDistributions(epoch, epoch, DistributionKind.Weights, new Dictionary<string, float[]>
            {
                ["w"] = [.. Enumerable.Range(0, 11).Select(i => (float)(i * (epoch + 1)))],
                ["b"] = [epoch, epoch + 1],
            }, bins: 4);
        }
        return monitor.Snapshot().Distributions;
    }

    [Fact]
    public void Bands_draw_each_tensors_median_and_quantile_pairs_by_epoch_in_its_own_axes()
    {
        var d = ThreeEpochs();
        var traces = Traces(TrainingDistributionCharts.Bands(d, DistributionKind.Weights));
        // per tensor: 4 bands (lower and upper edge) and the median
        Assert.Equal(2 * 9, traces.Length);
        var median = traces[8];
        Assert.Equal("median", median.GetProperty("name").GetString());
        Assert.Equal([0, 1, 2], Numbers(median.GetProperty("x")));
        // the median of 0, k, ..., 10k is 5k
        Assert.Equal([5, 10, 15], Numbers(median.GetProperty("y")));
        // the outer band runs from the minimum to the maximum
        Assert.Equal([0, 0, 0], Numbers(traces[0].GetProperty("y")));
        Assert.Equal([10, 20, 30], Numbers(traces[1].GetProperty("y")));
        Assert.Equal("x2", traces[9].GetProperty("xaxis").GetString());
        var layout = Layout(TrainingDistributionCharts.Bands(d, DistributionKind.Weights));
        Assert.Equal("w", layout.GetProperty("annotations")[0].GetProperty("text").GetString());
        Assert.Throws<XaiException>(() => TrainingDistributionCharts.Bands(d, DistributionKind.Gradients));
    }

    [Fact]
    public void Histograms_stack_each_epochs_counts_above_its_epoch_relative_to_the_largest_bin()
    {
        var d = ThreeEpochs();
        var traces = Traces(TrainingDistributionCharts.Histograms(d, DistributionKind.Weights, "w"));
        Assert.Equal(3, traces.Length);
        long largest = d.Series("w", DistributionKind.Weights).Max(e => e.Distribution.Counts.Max());
        foreach (var trace in traces)
        {
            int epoch = int.Parse(trace.GetProperty("name").GetString()!["epoch ".Length..]);
            var counts = d.Series("w", DistributionKind.Weights)[epoch].Distribution.Counts;
            var y = Numbers(trace.GetProperty("y"));
            Assert.Equal(counts.Length + 2, y.Length);
            Assert.Equal(epoch, y[0]);
            for (int b = 0; b < counts.Length; b++) Assert.Equal(epoch + 1.6 * counts[b] / largest, y[b + 1], 5);
        }
        Assert.Throws<XaiException>(() => TrainingDistributionCharts.Histograms(d, DistributionKind.Weights, "missing"));
    }

    private static LayerOutputGradient Gradient() => new()
    {
        Layer = "conv2", LayerType = "Conv2d", InputShape = [1, 4, 4], Inputs = [.. new float[32]], Shape = [2, 2, 2],
        Targets = [3, 1], OutputNames = ["a", "b", "c", "d"], OutputValues = [0.5, 0.25],
        Values = [1, -2, 0, 3, 0.5f, 0.5f, -1, 0, /* row 1 */ 0, 0, 0, 0, 0, 0, 0, 4],
    };

    [Fact]
    public void Gradient_magnitude_images_carry_the_channel_sums_as_hover_values_and_each_image_reaches_its_own_maximum()
    {
        var trace = Traces(LayerGradientCharts.Magnitudes(Gradient(), upsample: false))[0];
        // row 0: |1|+|0.5|, |-2|+|0.5|, |0|+|-1|, |3|+|0| = 1.5, 2.5, 1, 3; row 1: 0, 0, 0, 4
        var raw = trace.GetProperty("customdata");
        // the two tiles side by side with an empty (null) column between them
        Assert.Equal([1.5, 2.5], [raw[0][0].GetDouble(), raw[0][1].GetDouble()]);
        Assert.Equal([1, 3], [raw[1][0].GetDouble(), raw[1][1].GetDouble()]);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, raw[0][2].ValueKind);
        Assert.Equal(4, raw[1][4].GetDouble());
        var z = trace.GetProperty("z");
        Assert.Equal(1, z[1][1].GetDouble(), 6);
        Assert.Equal(1, z[1][4].GetDouble(), 6);
        Assert.Equal(0.5, z[0][0].GetDouble(), 6);
        var upsampled = Traces(LayerGradientCharts.Magnitudes(Gradient()))[0].GetProperty("customdata");
        Assert.Equal(4, upsampled.GetArrayLength());
        var labels = Layout(LayerGradientCharts.Magnitudes(Gradient())).GetProperty("annotations");
        Assert.Equal("row 0, output d", labels[0].GetProperty("text").GetString());
        // a TorchScript network's unnamed outputs are called "output[k]": the label does not say "output output[3]"
        var unnamed = Gradient() with { OutputNames = ["output[0]", "output[1]", "output[2]", "output[3]"] };
        Assert.Equal("row 0, output[3]", Layout(LayerGradientCharts.Magnitudes(unnamed)).GetProperty("annotations")[0].GetProperty("text").GetString());
        Assert.Equal("row 0, output 3", Layout(LayerGradientCharts.Magnitudes(Gradient() with { OutputNames = [] })).GetProperty("annotations")[0].GetProperty("text").GetString());
        // upsampled to the input's 4 x 4, the input's outline is drawn over the images
        Assert.Equal("contour", Traces(LayerGradientCharts.Magnitudes(Gradient()))[1].GetProperty("type").GetString());
    }

    [Fact]
    public void Activation_curves_shade_exactly_the_reached_range_and_scale_the_histogram_bars_to_the_counts()
    {
        var pre = new float[] { -2, -1, -1, 0.5f, 3 };
        var grid = Enumerable.Range(0, 21).Select(i => -3.25 + 7.5 * i / 20).ToArray();
        var usage = new ActivationFunctionUsage
        {
            InputShape = [5, 1],
            Layers = [new ActivationFunctionLayer { Layer = "relu", FunctionType = "ReLU", PreActivations = ValueDistribution.Of(pre, 5),
                NegativeFraction = 0.6, CurveInputs = [.. grid], CurveOutputs = [.. grid.Select(v => Math.Max(0, v))] }],
        };
        var chart = ActivationFunctionCharts.Curves(usage);
        var layout = Layout(chart);
        var shape = layout.GetProperty("shapes")[0];
        Assert.Equal(-2, shape.GetProperty("x0").GetDouble());
        Assert.Equal(3, shape.GetProperty("x1").GetDouble());
        var bars = Traces(chart)[0];
        var heights = Numbers(bars.GetProperty("y"));
        // counts over 5 bins of width 1 from -2 ([-2,-1), [-1,0), [0,1), [1,2), [2,3]): 1, 2, 1, 0, 1; the tallest bar is
        // 0.4 of the curve's span (ReLU over -3.25..4.25: 0 to 4.25)
        double[] expected = [0.2 * 4.25, 0.4 * 4.25, 0.2 * 4.25, 0, 0.2 * 4.25];
        Assert.Equal(expected.Length, heights.Length);
        for (int b = 0; b < expected.Length; b++) Assert.Equal(expected[b], heights[b], 5);
        Assert.Contains("inputs -2 to 3, 60% below 0", layout.GetProperty("annotations")[0].GetProperty("text").GetString());
    }
}
