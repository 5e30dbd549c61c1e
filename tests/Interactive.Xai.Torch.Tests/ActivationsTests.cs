using Interactive.Xai.Inspection;
using Interactive.Xai.Torch.Inspection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

public sealed class ActivationsTests
{
    [Fact]
    public void Hooks_capture_the_same_activations_as_calling_the_layers_one_by_one()
    {
        using var cnn = TestModules.Cnn();
        using var x = TestModules.Randn(11, 3, 1, 8, 8);
        var capture = TorchInspector.Activations(cnn, x);

        var features = (Sequential)cnn.named_children().First().module;
        var conv = (Conv2d)features.named_children().First().module;
        var relu = (ReLU)features.named_children().Last().module;
        var flatten = (Flatten)cnn.named_children().ElementAt(1).module;
        var fc = (Linear)cnn.named_children().Last().module;
        using var _ = no_grad();
        using var h1 = conv.call(x);
        using var h2 = relu.call(h1);
        using var h3 = flatten.call(h2);
        using var h4 = fc.call(h3);

        Assert.Equal(["features.conv1", "features.relu1", "flatten", "fc"], capture.Layers.Select(l => l.Name).ToArray());
        foreach (var (name, expected) in new[] { ("features.conv1", h1), ("features.relu1", h2), ("flatten", h3), ("fc", h4) })
        {
            var layer = capture.Layer(name);
            Assert.Equal(expected.shape, layer.Shape.ToArray());
            Assert.Equal(expected.data<float>().ToArray(), layer.Values.ToArray());
        }
        Assert.Equal(ActivationKind.FeatureMaps, capture.Layer("features.conv1").Kind);
        Assert.Equal(ActivationKind.Dense, capture.Layer("fc").Kind);
        Assert.Equal(h1[1].data<float>().ToArray(), capture.Layer("features.conv1").Sample(1));
        Assert.Equal(h4.mean().item<float>(), capture.Layer("fc").Statistics.Mean, 1e-6);
    }

    [Fact]
    public void A_relu_after_a_planted_all_negative_bias_is_entirely_dead()
    {
        manual_seed(2);
        using var model = nn.Sequential(("lin", nn.Linear(3, 5)), ("relu", nn.ReLU()));
        var lin = (Linear)model.named_children().First().module;
        using (no_grad())
        {
            lin.weight!.mul_(0.01);
            lin.bias!.fill_(-100);
        }
        using var x = TestModules.Randn(4, 16, 3);
        var relu = TorchInspector.Activations(model, x).Layer("relu");
        Assert.Equal(1.0, relu.DeadFraction);
        Assert.Null(TorchInspector.Activations(model, x).Layer("lin").DeadFraction);

        // Two of five units planted dead, three planted alive: 2/5.
        using (no_grad()) lin.bias!.copy_(tensor(new float[] { -100, 100, -100, 100, 100 }));
        Assert.Equal(0.4, TorchInspector.Activations(model, x).Layer("relu").DeadFraction!.Value, 12);
    }

    [Fact]
    public void Lstm_hidden_states_of_one_input_are_a_time_by_hidden_matrix_equal_to_the_layers_output()
    {
        manual_seed(4);
        using var model = new LstmTagger(3, 6, 2);
        using var x = TestModules.Randn(5, 9, 4, 3); // 9 steps, batch of 4, 3 features
        var lstm = TorchInspector.Activations(model, x).Layers.Single(l => l.LayerType == "LSTM");
        Assert.Equal(ActivationKind.Recurrent, lstm.Kind);
        Assert.Equal(4, lstm.BatchSize);
        Assert.Equal(9, lstm.TimeSteps);
        var states = lstm.HiddenStates(2);
        Assert.Equal(9 * 6, states.Length);

        var layer = (LSTM)model.named_children().Single(c => c.name == "lstm").module;
        using var _ = no_grad();
        var (output, _, _) = layer.call(x);
        using var expected = output.select(1, 2); // [T, hidden] of input 2
        Assert.Equal([9L, 6], expected.shape);
        Assert.Equal(expected.contiguous().data<float>().ToArray(), states);
    }

    [Fact]
    public void Asking_for_a_layer_that_does_not_exist_names_it()
    {
        using var cnn = TestModules.Cnn();
        using var x = TestModules.Randn(1, 1, 1, 8, 8);
        var e = Assert.Throws<XaiException>(() => TorchInspector.Activations(cnn, x, ["conv9"]));
        Assert.Contains("conv9", e.Message);
        Assert.Single(TorchInspector.Activations(cnn, x, ["fc"]).Layers);
    }
}

public sealed class RecurrentAndEdgeCaseTests
{
    [Fact]
    public void A_batch_first_gru_is_read_as_batch_time_hidden()
    {
        manual_seed(12);
        using var model = new GruReader(3, 4);
        using var x = TestModules.Randn(13, 2, 7, 3); // batch 2, 7 steps
        var gru = TorchInspector.Activations(model, x).Layer("gru");
        Assert.Equal(ActivationKind.Recurrent, gru.Kind);
        Assert.True(gru.BatchFirst);
        Assert.Equal((2, 7), (gru.BatchSize, gru.TimeSteps));
        var layer = (GRU)model.named_children().Single(c => c.name == "gru").module;
        using var _ = no_grad();
        var (output, _) = layer.call(x);
        Assert.Equal(output[1].contiguous().data<float>().ToArray(), gru.HiddenStates(1));
    }

    [Fact]
    public void A_model_that_is_one_layer_is_inspected_as_that_layer()
    {
        manual_seed(14);
        using var linear = nn.Linear(3, 2);
        var s = TorchInspector.Summarize(linear, [4, 3]);
        Assert.Equal("(model)", s.Nodes.Single().Name);
        Assert.Equal(8, s.Nodes.Single().ParameterCount);
        using var x = TestModules.Randn(15, 4, 3);
        using var t = zeros(4, 2);
        var flow = TorchInspector.GradientFlow(linear, x, t, (o, y) => nn.functional.mse_loss(o, y));
        Assert.NotNull(flow.Layer("(model)").Weights);
    }

    [Fact]
    public void A_model_whose_layers_bypass_the_hooks_gets_a_clear_error_instead_of_an_empty_result()
    {
        using var model = new HookBypass();
        using var x = TestModules.Randn(16, 4, 3);
        Assert.Contains("forward hooks", Assert.Throws<XaiException>(() => TorchInspector.Summarize(model, [4, 3])).Message);
        Assert.Contains("forward hooks", Assert.Throws<XaiException>(() => TorchInspector.Activations(model, x)).Message);
    }
}
