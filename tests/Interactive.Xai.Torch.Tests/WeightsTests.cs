using Interactive.Xai.Inspection;
using Interactive.Xai.Torch.Inspection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

public sealed class WeightsTests
{
    [Fact]
    public void Weight_statistics_equal_those_computed_directly_on_the_tensor()
    {
        using var cnn = TestModules.Cnn();
        var snapshot = TorchInspector.Weights(cnn, "initial");
        Assert.Equal(["features.conv1.weight", "features.conv1.bias", "fc.weight", "fc.bias"], snapshot.Tensors.Select(t => t.Name).ToArray());
        var w = cnn.named_parameters().Single(p => p.name == "fc.weight").parameter;
        var stats = WeightSnapshot.Statistics(snapshot.Tensor("fc.weight"));
        Assert.Equal(1440, stats.Count);
        Assert.Equal(w.mean().item<float>(), stats.Mean, 1e-6);
        Assert.Equal(w.std(unbiased: false).item<float>(), stats.StandardDeviation, 1e-6);
        Assert.Equal(w.min().item<float>(), stats.Min, 1e-7);
        Assert.Equal(w.max().item<float>(), stats.Max, 1e-7);
        Assert.Equal(w.abs().mean().item<float>(), stats.MeanAbsolute, 1e-6);
        Assert.Equal(w.norm().item<float>(), stats.Norm, 1e-5);
        Assert.Equal([10L, 144], snapshot.Tensor("fc.weight").Shape.ToArray());
        Assert.Equal("fc", snapshot.Tensor("fc.weight").Owner);
        Assert.Equal(1490, snapshot.ParameterCount);
    }

    [Fact]
    public void Before_and_after_training_snapshots_give_each_tensors_relative_change()
    {
        using var cnn = TestModules.Cnn();
        var before = TorchInspector.Weights(cnn, "before");
        var w = cnn.named_parameters().Single(p => p.name == "fc.weight").parameter;
        using var w0 = w.detach().clone();
        // One SGD step on a fixed batch.
        using var optimizer = TorchSharp.torch.optim.SGD(cnn.parameters(), 0.5);
        using var x = TestModules.Randn(5, 4, 1, 8, 8);
        using var y = tensor(new long[] { 0, 1, 2, 3 });
        using var loss = nn.functional.cross_entropy(cnn.call(x), y);
        loss.backward();
        optimizer.step();
        var after = TorchInspector.Weights(cnn, "after");

        var comparison = before.CompareTo(after);
        var change = comparison.Changes.Single(c => c.Name == "fc.weight");
        using var delta = w.detach() - w0;
        Assert.Equal(delta.norm().item<float>() / w0.norm().item<float>(), change.RelativeChange, 1e-5);
        Assert.Equal(delta.abs().max().item<float>(), change.Difference.MaxAbsolute, 1e-6);
        Assert.True(change.RelativeChange > 0);
        // The earlier snapshot is a copy: training did not change it.
        Assert.Equal(w0.data<float>().ToArray(), before.Tensor("fc.weight").Values.ToArray());
    }

    [Fact]
    public void Comparing_snapshots_of_different_networks_is_a_clear_error()
    {
        using var a = TestModules.Cnn();
        using var b = nn.Sequential(("fc", nn.Linear(3, 2)));
        var e = Assert.Throws<XaiException>(() => TorchInspector.Weights(a, "a").CompareTo(TorchInspector.Weights(b, "b")));
        Assert.Contains("features.conv1.weight", e.Message);
    }
}
