using Interactive.Xai.Torch.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

public sealed class SummaryTests
{
    [Fact]
    public void Summary_of_a_hand_built_cnn_has_hand_computed_shapes_parameter_counts_and_memory()
    {
        using var cnn = TestModules.Cnn();
        var fc = (TorchSharp.Modules.Linear)cnn.named_modules().Single(m => m.name == "fc").module;
        fc.bias!.requires_grad = false;

        var s = TorchInspector.Summarize(cnn, [2, 1, 8, 8], "cnn");

        Assert.Equal(["features.conv1", "features.relu1", "flatten", "fc"], s.Nodes.Select(n => n.Name).ToArray());
        Assert.Equal(["Conv2d", "ReLU", "Flatten", "Linear"], s.Nodes.Select(n => n.Operator).ToArray());
        Assert.Equal([2L, 4, 6, 6], s.Nodes[0].OutputShapes.Single().ToArray());
        Assert.Equal([2L, 4, 6, 6], s.Nodes[1].OutputShapes.Single().ToArray());
        Assert.Equal([2L, 144], s.Nodes[2].OutputShapes.Single().ToArray());
        Assert.Equal([2L, 10], s.Nodes[3].OutputShapes.Single().ToArray());
        Assert.Equal(4 * 9 + 4, s.Nodes[0].ParameterCount);
        Assert.Equal(0, s.Nodes[1].ParameterCount);
        Assert.Equal(144 * 10 + 10, s.Nodes[3].ParameterCount);
        Assert.Equal(144 * 10, s.Nodes[3].TrainableParameterCount);
        Assert.Equal(40 + 1450, s.ParameterCount);
        Assert.Equal(40 + 1440, s.TrainableParameterCount);
        Assert.Equal(1490 * 4, s.ParameterByteCount);
        Assert.Equal(2 * 64 * 4, s.InputByteCount);
        Assert.Equal((3 * 2 * 144 + 2 * 10) * 4, s.ActivationByteCount);
        Assert.Equal(["features"], s.Nodes[0].Containers.ToArray());
        Assert.Empty(s.Nodes[3].Containers);
        Assert.Contains(s.Nodes[0].Attributes, a => a.Key == "kernel_size" && a.Value == "[3, 3]");
        Assert.False(s.Parameters.Single(p => p.Name == "fc.bias").Trainable);
        Assert.Equal("features.conv1", s.Parameters.Single(p => p.Name == "features.conv1.weight").Owner);
    }

    [Fact]
    public void Summary_links_each_layer_to_the_one_that_fed_it_and_the_model_output()
    {
        using var cnn = TestModules.Cnn();
        var s = TorchInspector.Summarize(cnn, [1, 1, 8, 8]);
        Assert.Equal([(0, 1), (1, 2), (2, 3)], s.Edges().Select(e => (e.From, e.To)).ToArray());
        Assert.Equal(["input"], s.Nodes[0].Inputs.ToArray());
        Assert.Equal("fc", s.Outputs.Single().Name);
        Assert.Equal([0, 1, 2, 3], s.Depths());
        // The JSON carries the traced facts.
        var json = StructureJson.Serialize(s);
        Assert.Contains("\"outputShapes\"", json);
        Assert.Contains("\"trainableParameterCount\": 1490", json);
    }

    [Fact]
    public void Summary_of_an_lstm_model_reports_its_three_outputs()
    {
        manual_seed(3);
        using var model = new LstmTagger(3, 5, 2);
        var s = TorchInspector.Summarize(model, [7, 2, 3]);
        var lstm = s.Nodes.Single(n => n.Operator == "LSTM");
        Assert.Equal([[7L, 2, 5], [1L, 2, 5], [1L, 2, 5]], lstm.OutputShapes.Select(o => o.ToArray()).ToArray());
        Assert.Equal(4 * 5 * (3 + 5) + 2 * 4 * 5, lstm.ParameterCount);
    }

    [Fact]
    public void A_shape_that_does_not_fit_the_model_is_a_clear_error()
    {
        using var cnn = TestModules.Cnn();
        var e = Assert.Throws<XaiException>(() => TorchInspector.Summarize(cnn, [1, 3, 8, 8]));
        Assert.Contains("[1, 3, 8, 8]", e.Message);
        Assert.Throws<XaiException>(() => TorchInspector.Summarize(cnn, [1, 0, 8, 8]));
    }
}
