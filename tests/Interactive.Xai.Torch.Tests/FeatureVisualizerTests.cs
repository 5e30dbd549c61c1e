using Interactive.Xai.Torch.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

public sealed class FeatureVisualizerTests
{
    [Theory]
    [InlineData("features.conv1", 2)]
    [InlineData("features.relu1", 0)]
    [InlineData("fc", 7)]
    public void Maximisation_raises_the_target_activation_above_the_start_and_above_random_inputs_of_the_same_energy(string layer, int unit)
    {
        using var cnn = TestModules.Cnn();
        var before = TorchInspector.Weights(cnn);
        var result = FeatureVisualizer.Maximize(cnn, layer, unit, new FeatureVisualizationOptions { InputShape = [1, 8, 8], Steps = 60, Seed = 3 });

        Assert.Equal(64, result.Input.Length);
        Assert.Equal(60, result.Objective.Length);
        Assert.True(result.FinalActivation > result.StartActivation, $"start {result.StartActivation}, final {result.FinalActivation}");
        // Recompute the final activation independently through the network.
        using var x = tensor(result.Input.ToArray()).reshape(1, 1, 8, 8);
        Assert.Equal(UnitActivations(cnn, x, layer, unit)[0], result.FinalActivation, 1e-4);
        // Plain gradient ascent (no jitter or total variation, which trade activation for natural images) beats
        // every one of 200 random images scaled to the optimised image's RMS.
        result = FeatureVisualizer.Maximize(cnn, layer, unit, new FeatureVisualizationOptions { InputShape = [1, 8, 8], Steps = 100, Seed = 3, Jitter = 0, TotalVariation = 0 });
        double rms = Math.Sqrt(result.Input.Average(v => (double)v * v));
        using var noise = TestModules.Randn(77, 200, 1, 8, 8);
        using var scaled = noise * (rms / Math.Sqrt(noise.square().mean().item<float>()));
        double best = UnitActivations(cnn, scaled, layer, unit).Max();
        Assert.True(result.FinalActivation > best, $"final {result.FinalActivation}, best random {best}");
        // The network is unchanged and its gradients untouched.
        Assert.Equal(before.Tensor("fc.weight").Values.ToArray(), TorchInspector.Weights(cnn).Tensor("fc.weight").Values.ToArray());
        Assert.All(cnn.parameters(), p => Assert.Null(p.grad));
    }

    private static double[] UnitActivations(TorchSharp.Modules.Sequential cnn, Tensor x, string layer, int unit)
    {
        var captured = TorchInspector.Activations(cnn, x, [layer]).Layer(layer);
        return Enumerable.Range(0, captured.BatchSize).Select(i =>
        {
            var sample = captured.Sample(i);
            return captured.Shape.Length == 4 ? sample.Skip(unit * 36).Take(36).Average(v => (double)v) : sample[unit];
        }).ToArray();
    }

    [Fact]
    public void The_same_seed_gives_the_same_image()
    {
        using var cnn = TestModules.Cnn();
        var options = new FeatureVisualizationOptions { InputShape = [1, 8, 8], Steps = 10, Seed = 9 };
        var a = FeatureVisualizer.Maximize(cnn, "features.conv1", 1, options);
        var b = FeatureVisualizer.Maximize(cnn, "features.conv1", 1, options);
        Assert.Equal(a.Input.ToArray(), b.Input.ToArray());
        Assert.NotEqual(a.Input.ToArray(), FeatureVisualizer.Maximize(cnn, "features.conv1", 1, options with { Seed = 10 }).Input.ToArray());
    }

    [Fact]
    public void A_unit_out_of_range_is_a_clear_error()
    {
        using var cnn = TestModules.Cnn();
        var e = Assert.Throws<XaiException>(() => FeatureVisualizer.Maximize(cnn, "features.conv1", 4, new FeatureVisualizationOptions { InputShape = [1, 8, 8], Steps = 1 }));
        Assert.Contains("4 channels or neurons; there is no unit 4", e.Message);
    }
}
