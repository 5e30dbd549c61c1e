using Interactive.Xai.Inspection;
using Interactive.Xai.Torch.Inspection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

/// <summary>
/// Issue 14's network views against hand computations in float64: the gradient of the output with respect to an inner
/// layer's feature maps, the range an activation function's inputs reach, and weight/gradient distributions per epoch.
/// </summary>
public sealed class NetworkViewTests
{
    // conv: Conv2d(1 -> 2, 2x2, no padding) on 3x3 images -> 2 x 2 x 2 maps; relu; flatten (8); fc: Linear(8 -> 3).
    private static readonly double[,,] ConvWeights = { { { 0.5, -1.0 }, { 0.25, 1.5 } }, { { -0.75, 0.5 }, { 1.0, -0.5 } } };
    private static readonly double[] ConvBias = [0.1, -0.2];
    private static readonly double[,] FcWeights =
    {
        { 0.3, -0.2, 0.5, 0.1, -0.4, 0.6, 0.2, -0.1 },
        { -0.5, 0.4, 0.1, 0.3, 0.2, -0.3, 0.7, 0.05 },
        { 0.2, 0.1, -0.6, 0.4, 0.3, 0.1, -0.2, 0.5 },
    };
    private static readonly double[] FcBias = [0.05, -0.1, 0.2];

    private static Sequential TinyCnn()
    {
        var conv = nn.Conv2d(1, 2, 2);
        var fc = nn.Linear(8, 3);
        using (no_grad())
        {
            conv.weight!.copy_(tensor(Floats(ConvWeights.Cast<double>()), [2, 1, 2, 2]));
            conv.bias!.copy_(tensor(Floats(ConvBias), [2]));
            fc.weight!.copy_(tensor(Floats(FcWeights.Cast<double>()), [3, 8]));
            fc.bias!.copy_(tensor(Floats(FcBias), [3]));
        }
        return nn.Sequential(("conv", conv), ("relu", nn.ReLU()), ("flatten", nn.Flatten()), ("fc", fc));
    }

    private static float[] Floats(IEnumerable<double> values) => values.Select(v => (float)v).ToArray();

    private static readonly float[][] Images =
    [
        [1, 2, 0, -1, 0.5f, 1, 0, 1, -2],
        [0.3f, -0.7f, 1.2f, 0.8f, -1.1f, 0.4f, 2, 0, -0.5f],
        [-1, -1, -1, 1, 1, 1, 0.5f, -0.5f, 0.25f],
    ];

    /// <summary>The conv output (c, y, x) of one image in float64 (from the same float32 weights libtorch holds).</summary>
    private static double[] ConvOutput(float[] image)
    {
        var a = new double[8];
        for (int c = 0; c < 2; c++)
            for (int y = 0; y < 2; y++)
                for (int x = 0; x < 2; x++)
                {
                    double sum = (float)ConvBias[c];
                    for (int i = 0; i < 2; i++)
                        for (int j = 0; j < 2; j++) sum += (float)ConvWeights[c, i, j] * (double)image[(y + i) * 3 + x + j];
                    a[c * 4 + y * 2 + x] = sum;
                }
        return a;
    }

    private static double[] Logits(float[] image)
    {
        var a = ConvOutput(image);
        var o = new double[3];
        for (int t = 0; t < 3; t++)
        {
            o[t] = (float)FcBias[t];
            for (int k = 0; k < 8; k++) o[t] += (float)FcWeights[t, k] * Math.Max(0, a[k]);
        }
        return o;
    }

    [Fact]
    public void The_gradient_with_respect_to_a_conv_layers_output_is_the_next_layers_weight_where_the_relu_passes()
    {
        using var net = TinyCnn();
        using var x = tensor(Images.SelectMany(i => i).ToArray(), [3, 1, 3, 3]);
        var result = TorchInspector.LayerOutputGradient(net, "conv", x);

        Assert.Equal([2, 2, 2], result.Shape.ToArray());
        Assert.Equal([1, 3, 3], result.InputShape.ToArray());
        Assert.Equal("Conv2d", result.LayerType);
        for (int r = 0; r < 3; r++)
        {
            var logits = Logits(Images[r]);
            int predicted = Array.IndexOf(logits, logits.Max());
            Assert.Equal(predicted, result.Targets[r]);
            Assert.Equal(logits[predicted], result.OutputValues[r], 5);
            // d o_t / d a_k = W_fc[t, k] when a_k > 0 (the ReLU passes it), else 0.
            var a = ConvOutput(Images[r]);
            for (int k = 0; k < 8; k++)
                Assert.Equal(a[k] > 0 ? (float)FcWeights[predicted, k] : 0, result.Values[r * 8 + k], 6);
            // channel-summed magnitude: Σ_c |g_c(y, x)|
            var magnitude = result.Magnitude(r);
            for (int p = 0; p < 4; p++)
                Assert.Equal(Math.Abs(result.Values[r * 8 + p]) + Math.Abs(result.Values[r * 8 + 4 + p]), magnitude[p], 6);
        }
    }

    [Fact]
    public void A_fixed_target_gives_that_outputs_gradient_and_the_relu_layer_gets_the_whole_weight_row()
    {
        using var net = TinyCnn();
        using var x = tensor(Images.SelectMany(i => i).ToArray(), [3, 1, 3, 3]);
        // relu's output is 2 x 2 x 2 maps too; d o_1 / d relu_k = W_fc[1, k] everywhere.
        var result = TorchInspector.LayerOutputGradient(net, "relu", x, target: 1, outputNames: ["a", "b", "c"]);
        Assert.All(result.Targets, t => Assert.Equal(1, t));
        Assert.Equal("b", result.TargetName(2));
        for (int r = 0; r < 3; r++)
            for (int k = 0; k < 8; k++) Assert.Equal((float)FcWeights[1, k], result.Values[r * 8 + k], 6);
    }

    [Fact]
    public void A_layer_without_feature_maps_or_an_unknown_layer_or_target_is_refused_with_one_line()
    {
        using var net = TinyCnn();
        using var x = tensor(Images.SelectMany(i => i).ToArray(), [3, 1, 3, 3]);
        Assert.Contains("feature maps", Assert.Throws<XaiException>(() => TorchInspector.LayerOutputGradient(net, "fc", x)).Message);
        Assert.Contains("no layer 'conv9'", Assert.Throws<XaiException>(() => TorchInspector.LayerOutputGradient(net, "conv9", x)).Message);
        Assert.Contains("out of range", Assert.Throws<XaiException>(() => TorchInspector.LayerOutputGradient(net, "conv", x, target: 3)).Message);
    }

    [Fact]
    public void Upsampling_a_map_keeps_a_constant_map_constant_and_matches_half_pixel_bilinear_interpolation()
    {
        Assert.All(LayerOutputGradient.Bilinear([2, 2, 2, 2], 2, 2, 4, 4), v => Assert.Equal(2, v, 12));
        // 2 -> 4 per axis with half-pixel centres: source positions -0.25 (clamped to 0), 0.25, 0.75, 1.25 (-> 1).
        var up = LayerOutputGradient.Bilinear([0, 1, 2, 3], 2, 2, 4, 4);
        double[] fx = [0, 0.25, 0.75, 1];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) Assert.Equal(2 * fx[y] + fx[x], up[y * 4 + x], 12);
    }

    [Fact]
    public void Activation_functions_report_the_min_max_and_histogram_of_their_inputs_and_their_own_curve()
    {
        // x (2) -> lin1 (3) -> tanh -> lin2 (2) -> act (ReLU) -> out (1)
        float[,] w1 = { { 1, -2 }, { 0.5f, 0.5f }, { -1, 0.25f } }, w2 = { { 1, 1, -1 }, { -2, 0.5f, 1 } }, w3 = { { 1, -1 } };
        float[] b1 = [0.1f, -0.3f, 0], b2 = [0, 0.2f], b3 = [0];
        using var net = nn.Sequential(("lin1", TestModules.Linear(w1, b1)), ("tanh", nn.Tanh()), ("lin2", TestModules.Linear(w2, b2)),
            ("act", nn.ReLU()), ("out", TestModules.Linear(w3, b3)));
        float[][] rows = [[1, 2], [-1, 0.5f], [0.3f, -0.7f], [2, -1], [0, 0]];
        using var x = tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, 2L]);
        var usage = TorchInspector.ActivationFunctions(net, x, bins: 4, curvePoints: 11);

        Assert.Equal(["tanh", "act"], usage.Layers.Select(l => l.Layer).ToArray());
        Assert.Equal(["Tanh", "ReLU"], usage.Layers.Select(l => l.FunctionType).ToArray());
        // by hand in float64
        var pre1 = rows.SelectMany(r => Enumerable.Range(0, 3).Select(j => b1[j] + (double)w1[j, 0] * r[0] + (double)w1[j, 1] * r[1])).ToArray();
        var pre2 = rows.SelectMany(r =>
        {
            var h = Enumerable.Range(0, 3).Select(j => Math.Tanh(b1[j] + (double)w1[j, 0] * r[0] + (double)w1[j, 1] * r[1])).ToArray();
            return Enumerable.Range(0, 2).Select(k => b2[k] + w2[k, 0] * h[0] + w2[k, 1] * h[1] + w2[k, 2] * h[2]);
        }).ToArray();
        foreach (var (layer, pre) in new[] { (usage.Layers[0], pre1), (usage.Layers[1], pre2) })
        {
            Assert.Equal(pre.Min(), layer.ReachedMinimum, 5);
            Assert.Equal(pre.Max(), layer.ReachedMaximum, 5);
            Assert.Equal(pre.Length, layer.PreActivations.Count);
            Assert.Equal(pre.Count(v => v < 0) / (double)pre.Length, layer.NegativeFraction, 12);
            // histogram counts equal a direct count over the reported edges (the last bin closed)
            var edges = layer.PreActivations.BinEdges;
            Assert.Equal(4, layer.PreActivations.Counts.Length);
            for (int b = 0; b < 4; b++)
            {
                // values within float32 rounding of an edge could fall either side: the test data has none
                long expected = pre.Count(v => v >= edges[b] - 1e-6 && (b == 3 ? v <= edges[b + 1] + 1e-6 : v < edges[b + 1] - 1e-6));
                Assert.Equal(expected, layer.PreActivations.Counts[b]);
            }
            // the curve spans the reached range with margins and is the function itself
            Assert.Equal(11, layer.CurveInputs.Length);
            Assert.True(layer.CurveInputs[0] < layer.ReachedMinimum && layer.CurveInputs[^1] > layer.ReachedMaximum);
            for (int i = 0; i < 11; i++)
            {
                double v = (float)layer.CurveInputs[i];
                Assert.Equal(layer.FunctionType == "Tanh" ? Math.Tanh(v) : Math.Max(0, v), layer.CurveOutputs[i], 6);
            }
        }
    }

    [Fact]
    public void A_network_without_activation_modules_is_refused_with_one_line()
    {
        using var net = nn.Sequential(("lin", TestModules.Linear(new float[,] { { 1, 2 } }, [0])));
        using var x = tensor(new float[] { 1, 2 }, [1L, 2]);
        var e = Assert.Throws<XaiException>(() => TorchInspector.ActivationFunctions(net, x));
        Assert.Contains("no activation-function module", e.Message);
    }

    [Fact]
    public void Parameter_distributions_per_epoch_hold_each_tensors_exact_range_and_counts_and_replace_a_repeated_epoch()
    {
        float[,] w = { { 1, -2, 3 }, { 0.5f, 4, -1 } };
        using var lin = TestModules.Linear(w, [0.25f, -0.75f]);
        using var monitor = new TrainingMonitor();
        using var x = tensor(new float[] { 1, 2, 3, -1, 0, 1 }, [2L, 3]);
        lin.call(x).sum().backward();
        ParameterDistributions.Log(monitor, lin, epoch: 0, step: 1, bins: 5);
        using (no_grad()) ((Linear)lin).weight!.mul_(2);
        ParameterDistributions.Log(monitor, lin, epoch: 0, step: 2, bins: 5);  // replaces epoch 0
        ParameterDistributions.Log(monitor, lin, epoch: 1, step: 3, bins: 5);
        var d = monitor.Snapshot().Distributions;

        Assert.Equal(["weight", "bias"], d.Tensors(DistributionKind.Weights));
        var weights = d.Series("weight", DistributionKind.Weights);
        Assert.Equal([0, 1], weights.Select(e => e.Epoch).ToArray());
        Assert.Equal(2, weights[0].Step);
        Assert.Equal(-4, weights[0].Distribution.Minimum, 6);
        Assert.Equal(8, weights[0].Distribution.Maximum, 6);
        Assert.Equal(6, weights[0].Distribution.Counts.Sum());
        // d(sum of outputs)/dW[j, i] = Σ_rows x_i: (0, 2, 4) for both output rows
        var gradients = d.Series("weight", DistributionKind.Gradients)[0].Distribution;
        Assert.Equal(0, gradients.Minimum, 6);
        Assert.Equal(4, gradients.Maximum, 6);
        Assert.Equal(2, gradients.Median, 6);
        Assert.Equal([2, 0, 2, 0, 2], gradients.Counts.ToArray());
    }
}
