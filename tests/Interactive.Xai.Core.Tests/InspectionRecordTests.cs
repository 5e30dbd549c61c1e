using Interactive.Xai.Inspection;

namespace Interactive.Xai.Core.Tests;

public sealed class InspectionRecordTests
{
    [Fact]
    public void Value_statistics_of_known_values()
    {
        var s = ValueStatistics.Of([3, -4, 0, 1]);
        Assert.Equal(4, s.Count);
        Assert.Equal(0.0, s.Mean);
        Assert.Equal(Math.Sqrt(26 / 4.0), s.StandardDeviation, 12);
        Assert.Equal((-4.0, 3.0), (s.Min, s.Max));
        Assert.Equal(2.0, s.MeanAbsolute);
        Assert.Equal(4.0, s.MaxAbsolute);
        Assert.Equal(Math.Sqrt(26), s.Norm, 12);
        Assert.Equal(0.25, s.ZeroFraction);
        Assert.Equal(0, ValueStatistics.Of([]).Count);
    }

    [Fact]
    public void Hidden_states_are_read_the_same_from_time_first_and_batch_first_layouts()
    {
        // Two inputs, three steps, two hidden units; value = 100 * input + 10 * step + unit.
        float V(int n, int t, int h) => 100 * n + 10 * t + h;
        var timeFirst = new float[12];
        var batchFirst = new float[12];
        for (int n = 0; n < 2; n++)
            for (int t = 0; t < 3; t++)
                for (int h = 0; h < 2; h++)
                {
                    timeFirst[(t * 2 + n) * 2 + h] = V(n, t, h);
                    batchFirst[(n * 3 + t) * 2 + h] = V(n, t, h);
                }
        LayerActivation Layer(long[] shape, float[] values, bool first) => new()
        {
            Name = "rnn", LayerType = "GRU", Shape = [.. shape], Values = [.. values], Kind = ActivationKind.Recurrent, BatchFirst = first,
            Statistics = ValueStatistics.Of(values),
        };
        var a = Layer([3, 2, 2], timeFirst, false);
        var b = Layer([2, 3, 2], batchFirst, true);
        float[] expected = [100, 101, 110, 111, 120, 121];
        Assert.Equal(expected, a.HiddenStates(1));
        Assert.Equal(expected, b.HiddenStates(1));
        Assert.Equal(expected, a.Sample(1));
        Assert.Equal((2, 3), (a.BatchSize, a.TimeSteps));
        Assert.Equal((2, 3), (b.BatchSize, b.TimeSteps));
        Assert.Throws<XaiException>(() => a.HiddenStates(2));
    }

    [Fact]
    public void Attention_matrices_per_head_and_their_mean()
    {
        var a = new AttentionWeights { Layer = "a", BatchSize = 1, HeadCount = 2, QueryLength = 1, KeyLength = 2, Values = [1, 0, 0.5f, 0.5f] };
        Assert.Equal([0.5f, 0.5f], a.Matrix(0, 1));
        Assert.Equal([0.75f, 0.25f], a.Matrix(0, null));
        Assert.Throws<XaiException>(() => a.Matrix(1, 0));
        Assert.Throws<XaiException>(() => a.Matrix(0, 2));
    }

    [Fact]
    public void A_non_finite_gradient_is_exploding_and_a_tiny_one_is_vanishing_relative_to_the_largest_layer()
    {
        static ValueStatistics G(double mean, double max) => new(1, 0, 0, 0, 0, mean, max, 0, 0);
        var layers = GradientFlow.Classify(
        [
            new LayerGradient { Name = "a", LayerType = "Linear", Weights = G(double.NaN, double.NaN) },
            new LayerGradient { Name = "b", LayerType = "Linear", Weights = G(1, 2) },
            new LayerGradient { Name = "c", LayerType = "Linear", Weights = G(0.99e-7, 1e-7) },
            new LayerGradient { Name = "d", LayerType = "Linear", Weights = G(1.01e-7, 1e-7) },
            new LayerGradient { Name = "e", LayerType = "Linear", Weights = G(0, 0) },
        ], 1e-7, 1e3);
        Assert.Equal([GradientHealth.Exploding, GradientHealth.Normal, GradientHealth.Vanishing, GradientHealth.Normal, GradientHealth.Vanishing], layers.Select(l => l.WeightHealth));
    }

    [Fact]
    public void A_tensor_that_was_all_zeros_changes_infinitely_and_an_unchanged_one_by_zero()
    {
        StructureTensor T(params float[] v) => new("w", "float32", [v.Length]) { Values = [.. v] };
        var zero = new WeightSnapshot { Label = "0", Tensors = [T(0, 0)] };
        Assert.Equal(double.PositiveInfinity, zero.CompareTo(new WeightSnapshot { Label = "1", Tensors = [T(0, 1)] }).Changes[0].RelativeChange);
        Assert.Equal(0.0, zero.CompareTo(zero).Changes[0].RelativeChange);
    }

    [Fact]
    public void Structure_json_carries_traced_shapes_counts_containers_and_memory_when_present()
    {
        var s = new ModelStructure
        {
            Name = "m", Format = "TorchSharp",
            Nodes = [new StructureNode("block.fc", "Linear", ["input"], ["block.fc"]) { OutputShapes = [[2, 3]], ParameterCount = 12, TrainableParameterCount = 9, Containers = ["block"] }],
            Parameters = [new StructureTensor("block.fc.weight", "float32", [3, 3]) { ByteCount = 36 }, new StructureTensor("block.fc.bias", "float32", [3]) { ByteCount = 12, Trainable = false, Owner = "block.fc" }],
            InputByteCount = 16, ActivationByteCount = 24,
        };
        using var json = System.Text.Json.JsonDocument.Parse(StructureJson.Serialize(s));
        var root = json.RootElement;
        Assert.Equal(9, root.GetProperty("trainableParameterCount").GetInt64());
        Assert.Equal(48, root.GetProperty("parameterBytes").GetInt64());
        Assert.Equal(16, root.GetProperty("inputBytes").GetInt64());
        Assert.Equal(24, root.GetProperty("activationBytes").GetInt64());
        var node = root.GetProperty("nodes")[0];
        Assert.Equal("[[2,3]]", node.GetProperty("outputShapes").GetRawText().Replace(" ", "").Replace("\n", "").Replace("\r", ""));
        Assert.Equal(12, node.GetProperty("parameterCount").GetInt64());
        Assert.Equal("block", node.GetProperty("containers")[0].GetString());
        Assert.False(root.GetProperty("parameters")[1].GetProperty("trainable").GetBoolean());
        Assert.Equal("block.fc", root.GetProperty("parameters")[1].GetProperty("owner").GetString());
        // Formats read without running the model write none of the traced fields.
        var plain = StructureJson.Serialize(s with { Nodes = [new StructureNode("n", "Relu", [], [])], InputByteCount = null, ActivationByteCount = null });
        Assert.DoesNotContain("outputShapes", plain);
        Assert.DoesNotContain("inputBytes", plain);
    }
}
