using System.Text.RegularExpressions;
using Interactive.Xai.Inspection;
using Interactive.Xai.Notebook;
using Interactive.Xai.Torch;
using Interactive.Xai.Torch.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Tests;

/// <summary>#!xai-layer-gradient, #!xai-activation-functions and #!xai-distributions.</summary>
public sealed class NetworkViewCommandTests
{
    static NetworkViewCommandTests()
    {
        TorchViews.LoadNativeLibrary();
        NotebookFormatters.Register();
    }

    private static int Charts(string html) => Regex.Matches(html, "<div class=\"xai-chart\"").Count;

    private static FeatureTable Digits(int rows)
    {
        var random = new Random(4);
        return FeatureTable.FromRowMajor(Enumerable.Range(0, rows * 64).Select(_ => (float)random.Next(0, 17)).ToArray(), rows, 64,
            Enumerable.Range(0, 64).Select(i => "p" + i).ToArray());
    }

    [Fact]
    public void Activation_functions_of_the_digits_cnn_are_its_relus_with_the_range_of_the_convolutions_before_them()
    {
        manual_seed(3);
        using var model = TorchModel.FromModule(new DigitsCnn(), [1, 8, 8], new TorchModelOptions { DisposeModule = true });
        var data = Digits(6);
        var (result, shown) = Fixtures.Run("#!xai-activation-functions --model m --data d --bins 10", new() { ["m"] = model, ["d"] = data });
        Assert.True(result.Succeeded, result.Error);
        var usage = Assert.IsType<ActivationFunctionUsage>(Assert.Single(shown));
        Assert.Equal(["relu1", "relu2"], usage.Layers.Select(l => l.Layer).ToArray());
        Assert.All(usage.Layers, l => Assert.Equal(10, l.PreActivations.Counts.Length));
        // a ReLU's inputs are the outputs of the convolution before it, captured here by another hook
        using var x = tensor(data.Values.ToArray(), [6L, 1, 8, 8]);
        var convolutions = TorchInspector.Activations((nn.Module<Tensor, Tensor>)model.Module, x, ["conv1", "conv2"]).Layers;
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(convolutions[i].Values.Min(), usage.Layers[i].ReachedMinimum, 5);
            Assert.Equal(convolutions[i].Values.Max(), usage.Layers[i].ReachedMaximum, 5);
        }
        Assert.Equal(1, Charts(NotebookFormatters.ToHtml(usage)));
    }

    [Fact]
    public void Layer_gradient_draws_the_chosen_target_and_refuses_a_layer_without_feature_maps_in_one_line()
    {
        using var model = TorchModel.FromModule(new DigitsCnn(), [1, 8, 8], new TorchModelOptions { DisposeModule = true });
        var data = Digits(3);
        var (result, shown) = Fixtures.Run("#!xai-layer-gradient --model m --data d --layer conv2 --target 3", new() { ["m"] = model, ["d"] = data });
        Assert.True(result.Succeeded, result.Error);
        var gradient = Assert.IsType<LayerOutputGradient>(Assert.Single(shown));
        Assert.Equal([3, 3, 3], gradient.Targets.ToArray());
        Assert.Equal([16, 4, 4], gradient.Shape.ToArray());
        Assert.Equal(2, Charts(NotebookFormatters.ToHtml(gradient)));

        (result, shown) = Fixtures.Run("#!xai-layer-gradient --model m --data d --layer fc", new() { ["m"] = model, ["d"] = data });
        Fixtures.AssertOneLineError(result, shown, "feature maps");
        (result, shown) = Fixtures.Run("#!xai-layer-gradient --model m --data d", new() { ["m"] = model, ["d"] = data });
        Fixtures.AssertOneLineError(result, shown, "--layer");
    }

    [Fact]
    public void Distributions_show_bands_and_histograms_per_kind_and_say_when_none_were_logged()
    {
        using var monitor = new TrainingMonitor();
        using var empty = new TrainingMonitor();
        for (int epoch = 0; epoch < 3; epoch++)
            foreach (var kind in new[] { DistributionKind.Weights, DistributionKind.Gradients })
                monitor.LogDistributions(epoch, epoch, kind, new Dictionary<string, float[]> { ["fc.weight"] = [1, 2, epoch], ["fc.bias"] = [epoch] });
        var (result, shown) = Fixtures.Run("#!xai-distributions --monitor m", new() { ["m"] = monitor });
        Assert.True(result.Succeeded, result.Error);
        var view = Assert.IsType<TrainingDistributionsView>(Assert.Single(shown));
        Assert.Equal(4, Charts(NotebookFormatters.ToHtml(view)));
        (result, shown) = Fixtures.Run("#!xai-distributions --monitor m --kind gradients --tensor fc.bias", new() { ["m"] = monitor });
        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(2, Charts(NotebookFormatters.ToHtml(Assert.Single(shown))));

        (result, shown) = Fixtures.Run("#!xai-distributions --monitor m", new() { ["m"] = empty });
        Fixtures.AssertOneLineError(result, shown, "ParameterDistributions.Log");
        (result, shown) = Fixtures.Run("#!xai-distributions --monitor m --kind biases", new() { ["m"] = monitor });
        Fixtures.AssertOneLineError(result, shown, "--kind biases");
        (result, shown) = Fixtures.Run("#!xai-distributions --monitor m --tensor conv9.weight", new() { ["m"] = monitor });
        Fixtures.AssertOneLineError(result, shown, "conv9.weight");
    }
}
