using Interactive.Xai.Inspection;
using static Interactive.Xai.Onnx.Tests.TestModels;

namespace Interactive.Xai.Onnx.Tests;

public sealed class OnnxGraphReaderTests
{
    [Fact]
    public void The_linear_model_graph_holds_its_known_weights_and_bias()
    {
        var structure = OnnxGraphReader.Read(PathOf("linear4.onnx"));
        Assert.Equal("ONNX", structure.Format);
        Assert.Equal(["Gemm", "Constant", "Squeeze"], structure.Nodes.Select(n => n.Operator).ToArray());
        var weight = Assert.Single(structure.Parameters, p => p.Name == "linear.weight");
        Assert.Equal([1L, 4L], weight.Shape.ToArray());
        Assert.Equal("float32", weight.ElementType);
        Assert.Equal(Floats(Reference.GetProperty("linear4").GetProperty("weights")), weight.Values.ToArray());
        var bias = Assert.Single(structure.Parameters, p => p.Name == "linear.bias");
        Assert.Equal((float)Reference.GetProperty("linear4").GetProperty("bias").GetDouble(), Assert.Single(bias.Values));
        var input = Assert.Single(structure.Inputs);
        Assert.Equal("input", input.Name);
        Assert.Equal(2, input.Shape.Length);
        Assert.Equal("4", input.Shape[1]);
        Assert.Equal("y", Assert.Single(structure.Outputs).Name);
        // Gemm feeds Squeeze; the Constant feeds Squeeze too.
        Assert.Equal([(0, 2, "/linear/Gemm_output_0"), (1, 2, "/Constant_output_0")], structure.Edges().OrderBy(e => e.From).ToArray());
    }

    [Fact]
    public void The_mlp_graph_has_three_gemm_layers_with_the_exported_shapes_and_counts()
    {
        var structure = OnnxGraphReader.Read(PathOf("mlp10.onnx"));
        var gemms = structure.Nodes.Where(n => n.Operator == "Gemm").ToArray();
        Assert.Equal(3, gemms.Length);
        Assert.All(gemms, g => Assert.Contains(g.Attributes, a => a.Key == "transB" && a.Value == "1"));
        var shapes = structure.Parameters.ToDictionary(p => p.Name, p => p.Shape.ToArray());
        Assert.Equal([32L, 10L], shapes["net.0.weight"]);
        Assert.Equal([32L, 32L], shapes["net.2.weight"]);
        Assert.Equal([1L, 32L], shapes["net.4.weight"]);
        // 10*32+32 + 32*32+32 + 32+1 weights and biases, plus the 10 means and 10 standard deviations baked in.
        Assert.Equal(10 * 32 + 32 + 32 * 32 + 32 + 32 + 1 + 20, structure.ParameterCount);
        Assert.Contains(structure.Properties, p => p.Key == "metadata: feature_names" && p.Value.StartsWith("age,sex,bmi", StringComparison.Ordinal));
        Assert.Contains(structure.Properties, p => p.Key == "opsets" && p.Value == "ai.onnx 13");
        // Depths follow the chain: each Gemm is deeper than the one before.
        var depths = structure.Depths();
        var gemmDepths = Enumerable.Range(0, structure.Nodes.Length).Where(n => structure.Nodes[n].Operator == "Gemm").Select(n => depths[n]).ToArray();
        Assert.Equal(gemmDepths.Order().Distinct().ToArray(), gemmDepths);
        var summary = structure.Parameters.Single(p => p.Name == "net.0.bias").Summary()!.Value;
        Assert.InRange(summary.Min, -10, summary.Max);
    }

    [Fact]
    public void Corrupt_and_truncated_files_are_clear_errors()
    {
        var bytes = File.ReadAllBytes(PathOf("mlp10.onnx"));
        var truncated = Assert.Throws<XaiException>(() => OnnxGraphReader.Read(bytes[..(bytes.Length / 2)], "half.onnx"));
        Assert.StartsWith("half.onnx: not a readable ONNX model", truncated.Message);
        var garbage = new byte[300];
        new Random(1).NextBytes(garbage);
        Assert.Throws<XaiException>(() => OnnxGraphReader.Read(garbage, "garbage.onnx"));
        Assert.Throws<XaiException>(() => OnnxGraphReader.Read("no-such-file.onnx"));
        Assert.Contains("no graph", Assert.Throws<XaiException>(() => OnnxGraphReader.Read([0x08, 0x07], "empty.onnx")).Message);
    }
}
