using System.Collections.Immutable;
using Interactive.Xai.Charts;
using Interactive.Xai.Inspection;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

public sealed class StructureChartTests
{
    // input -> MatMul(W) -> Add(b) -> Relu -> output, plus a side branch Relu -> Identity (a dead end).
    private static readonly ModelStructure Small = new()
    {
        Name = "small",
        Format = "test",
        Inputs = [new StructureValue("x", "float32", ["batch", "3"])],
        Outputs = [new StructureValue("y", "float32", ["batch", "2"])],
        Nodes =
        [
            new StructureNode("mm", "MatMul", ["x", "W"], ["h0"]),
            new StructureNode("add", "Add", ["h0", "b"], ["h1"]),
            new StructureNode("relu", "Relu", ["h1"], ["y"]),
            new StructureNode(XssName, "Identity", ["y"], ["z"]),
        ],
        Parameters =
        [
            new StructureTensor("W", "float32", [3, 2]) { Values = [1, 2, 3, 4, 5, 6] },
            new StructureTensor("b", "float32", [2]) { Values = [-1, 1] },
        ],
    };

    [Fact]
    public void The_graph_places_nodes_by_depth_and_draws_every_edge_and_graph_input_and_output()
    {
        Assert.Equal([0, 1, 2, 3], Small.Depths());
        Assert.Equal(8, Small.ParameterCount);
        var traces = Traces(StructureCharts.Graph(Small));
        // edges, one trace per operator (4), inputs, outputs
        Assert.Equal(7, traces.Length);
        var edges = traces[0];
        // 3 node-to-node edges + x -> MatMul + Relu -> y, each a segment of two points and a gap.
        Assert.Equal(5 * 3, edges.GetProperty("x").GetArrayLength());
        var matmul = traces.Single(t => t.GetProperty("name").GetString() == "MatMul");
        Assert.Equal(1.0, matmul.GetProperty("x")[0].GetDouble());
        var identity = traces.Single(t => t.GetProperty("name").GetString() == "Identity");
        Assert.Equal(4.0, identity.GetProperty("x")[0].GetDouble());
        Assert.Contains("&lt;img", identity.GetProperty("hovertext")[0].GetString());
        Assert.DoesNotContain("<img", Plotly.NET.GenericChart.toFigureJson(StructureCharts.Graph(Small)));
        var output = traces.Single(t => t.GetProperty("name").GetString() == "outputs");
        Assert.Equal(5.0, output.GetProperty("x")[0].GetDouble());
    }

    [Fact]
    public void Parameter_histograms_show_one_tensor_at_a_time_with_its_statistics()
    {
        var chart = StructureCharts.ParameterHistograms(Small);
        var traces = Traces(chart);
        Assert.Equal(["W", "b"], traces.Select(t => t.GetProperty("name").GetString()!).ToArray());
        Assert.Equal([1.0, 2, 3, 4, 5, 6], Numbers(traces[0].GetProperty("x")));
        Assert.False(traces[1].GetProperty("visible").GetBoolean());
        var title = Layout(chart).GetProperty("title").GetProperty("text").GetString()!;
        Assert.Contains("mean 3.5", title);
        Assert.Contains("min 1", title);
        Assert.Equal(2, Layout(chart).GetProperty("updatemenus")[0].GetProperty("buttons").GetArrayLength());
    }
}
