using System.Collections.Immutable;
using System.Text.Json;
using System.Text.RegularExpressions;
using Interactive.Xai.Charts;
using Interactive.Xai.Inspection;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

/// <summary>Inspection charts built from hand-made records with known values.</summary>
public sealed class InspectionChartTests
{
    // The traced form of features(conv1, relu1) -> flatten -> fc on [2, 1, 8, 8], with an unsafe layer name.
    private static readonly ModelStructure Cnn = new()
    {
        Name = "cnn",
        Format = "TorchSharp",
        Inputs = [new StructureValue("input", "float32", ["2", "1", "8", "8"])],
        Outputs = [new StructureValue(XssName, "float32", ["2", "10"])],
        Nodes =
        [
            new StructureNode("features.conv1", "Conv2d", ["input"], ["features.conv1"]) { OutputShapes = [[2, 4, 6, 6]], ParameterCount = 40, TrainableParameterCount = 40, Containers = ["features"] },
            new StructureNode("features.relu1", "ReLU", ["features.conv1"], ["features.relu1"]) { OutputShapes = [[2, 4, 6, 6]], Containers = ["features"] },
            new StructureNode("flatten", "Flatten", ["features.relu1"], ["flatten"]) { OutputShapes = [[2, 144]] },
            new StructureNode(XssName, "Linear", ["flatten"], [XssName]) { OutputShapes = [[2, 10]], ParameterCount = 1450, TrainableParameterCount = 1440 },
        ],
        Parameters =
        [
            new StructureTensor("features.conv1.weight", "float32", [4, 1, 3, 3]) { ByteCount = 144 },
            new StructureTensor("features.conv1.bias", "float32", [4]) { ByteCount = 16 },
            new StructureTensor("fc.weight", "float32", [10, 144]) { ByteCount = 5760 },
            new StructureTensor("fc.bias", "float32", [10]) { ByteCount = 40, Trainable = false },
        ],
        InputByteCount = 512,
        ActivationByteCount = 3536,
    };

    [Fact]
    public void The_layer_table_lists_containers_then_layers_with_shapes_counts_and_torchinfo_totals()
    {
        var rows = LayerSummaryCharts.Rows(Cnn);
        Assert.Equal(5, rows.Count);
        Assert.Equal(["features", "", "40", "40"], rows[0]);
        Assert.EndsWith("Conv2d: features.conv1", rows[1][0]);
        Assert.StartsWith("\u00A0\u00A0└─", rows[1][0]);
        Assert.Equal(["[2, 4, 6, 6]", "40", "40"], rows[1].Skip(1));
        Assert.Equal("--", rows[2][2]);
        Assert.Equal(["[2, 10]", "1,450", "1,440"], rows[4].Skip(1));
        var totals = LayerSummaryCharts.Totals(Cnn).ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal("1,490", totals["Total params"]);
        Assert.Equal("1,480", totals["Trainable params"]);
        Assert.Equal("10", totals["Non-trainable params"]);
        Assert.Equal("0.01", totals["Params size (MB)"]);
        Assert.Equal("0.01", totals["Estimated total size (MB)"]); // (512 + 3536 + 5960) bytes

        var table = Traces(LayerSummaryCharts.Table(Cnn)).Single();
        Assert.Equal("table", table.GetProperty("type").GetString());
        var columns = table.GetProperty("cells").GetProperty("values");
        Assert.Equal(4, columns.GetArrayLength());
        Assert.Equal(5 + 1 + 7, columns[0].GetArrayLength()); // layers, a gap, totals
        Assert.Contains("&lt;img", Strings(columns[0])[4]);
        Assert.DoesNotContain("<img", Plotly.NET.GenericChart.toFigureJson(LayerSummaryCharts.Table(Cnn)));
    }

    [Fact]
    public void The_module_tree_puts_layers_under_their_containers_with_layer_counts_as_sizes()
    {
        var tree = Traces(LayerSummaryCharts.Tree(Cnn)).Single();
        Assert.Equal("icicle", tree.GetProperty("type").GetString());
        var ids = Strings(tree.GetProperty("ids"));
        var parents = Strings(tree.GetProperty("parents"));
        var values = Numbers(tree.GetProperty("values"));
        Assert.Equal(["m:", "c:features", "n:features.conv1", "n:features.relu1", "n:flatten", "n:&lt;img src=x onerror=alert(1)&gt;"], ids);
        Assert.Equal(["", "m:", "c:features", "c:features", "m:", "m:"], parents);
        Assert.Equal([4.0, 2, 1, 1, 1, 1], values);
        Assert.Equal("total", tree.GetProperty("branchvalues").GetString());
    }

    private static StructureTensor Tensor(string name, long[] shape, params float[] values) => new(name, "float32", [.. shape]) { Values = [.. values] };

    [Fact]
    public void A_weight_heatmap_has_one_row_per_output_unit_and_a_symmetric_diverging_range()
    {
        var chart = WeightCharts.Heatmap(Tensor("fc.weight", [2, 3], 1, -4, 2, 0, 3, -1));
        var z = Traces(chart).Single().GetProperty("z");
        Assert.Equal([1.0, -4, 2], Numbers(z[0]));
        Assert.Equal([0.0, 3, -1], Numbers(z[1]));
        var heat = Traces(chart).Single();
        Assert.Equal(-4.0, heat.GetProperty("zmin").GetDouble());
        Assert.Equal(4.0, heat.GetProperty("zmax").GetDouble());
        Assert.Contains("2 x 3", Layout(chart).GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void The_filter_grid_normalises_each_filter_to_its_own_range_with_gaps_between_tiles()
    {
        // Two 2x2 filters on one input channel: [0, 1, 2, 3] and [10, 10, 10, 30].
        var chart = WeightCharts.FilterGrid(Tensor("conv.weight", [2, 1, 2, 2], 0, 1, 2, 3, 10, 10, 10, 30), columns: 2);
        var z = Traces(chart).Single().GetProperty("z");
        Assert.Equal(2, z.GetArrayLength());
        Assert.Equal(5, z[0].GetArrayLength());
        Assert.Equal(0.0, z[0][0].GetDouble());
        Assert.Equal(1 / 3.0, z[0][1].GetDouble(), 6);
        Assert.Equal(JsonValueKind.Null, z[0][2].ValueKind); // the gap
        Assert.Equal(0.0, z[0][3].GetDouble());
        Assert.Equal(1.0, z[1][4].GetDouble());
        Assert.Equal(1.0, z[1][1].GetDouble());
        Assert.Equal(2, Layout(chart).GetProperty("annotations").GetArrayLength());
        Assert.Throws<XaiException>(() => WeightCharts.FilterGrid(Tensor("fc.weight", [2, 2], 1, 2, 3, 4)));
    }

    [Fact]
    public void The_before_after_chart_overlays_two_histograms_on_shared_bins_and_states_the_change()
    {
        var before = new WeightSnapshot { Label = "before", Tensors = [Tensor("w", [4], 3, 0, 0, 4)] };
        var after = new WeightSnapshot { Label = "after", Tensors = [Tensor("w", [4], 3, 0, 0, 9)] };
        var comparison = before.CompareTo(after);
        Assert.Equal(1.0, comparison.Changes.Single().RelativeChange, 12); // |(0,0,0,5)| / |(3,0,0,4)| = 5 / 5
        var chart = WeightCharts.Comparison(comparison, "w");
        var traces = Traces(chart);
        Assert.Equal(["before", "after"], traces.Select(t => t.GetProperty("name").GetString()!));
        Assert.Equal(traces[0].GetProperty("xbins").GetRawText(), traces[1].GetProperty("xbins").GetRawText());
        Assert.Equal("overlay", Layout(chart).GetProperty("barmode").GetString());
        Assert.Contains("relative change 1", Layout(chart).GetProperty("title").GetProperty("text").GetString());
        Assert.Equal([1.0], Numbers(Traces(WeightCharts.Changes(comparison)).Single().GetProperty("y")));
        var histograms = WeightCharts.Histograms(new WeightSnapshot { Label = "s", Tensors = [Tensor("small", [2], 1, 2), Tensor("big", [3], 5, 6, 7)] });
        Assert.Equal(["big", "small"], Traces(histograms).Select(t => t.GetProperty("name").GetString()!)); // largest first
        Assert.Equal([5.0, 6, 7], Numbers(Traces(histograms)[0].GetProperty("x")));
        Assert.Contains("mean 6", Layout(histograms).GetProperty("title").GetProperty("text").GetString());
        var stats = Traces(WeightCharts.Statistics(before));
        Assert.Equal([1.75], Numbers(stats[0].GetProperty("y")));
        Assert.Equal([4.0], Numbers(stats[2].GetProperty("y")));
    }

    private static LayerActivation Activation(string name, string type, long[] shape, float[] values, ActivationKind kind = ActivationKind.Dense, double? dead = null)
        => new() { Name = name, LayerType = type, Shape = [.. shape], Values = [.. values], Kind = kind, Statistics = ValueStatistics.Of(values), DeadFraction = dead };

    [Fact]
    public void Activation_charts_draw_a_box_per_layer_dead_fractions_feature_maps_and_hidden_states_over_time()
    {
        // Feature maps [batch 1, 2 channels, 1 x 2]; a ReLU with half its units dead; an RNN [time 3, batch 1, hidden 2].
        var maps = Activation("conv", "Conv2d", [1, 2, 1, 2], [1, 2, 3, 4], ActivationKind.FeatureMaps);
        var relu = Activation(XssName, "ReLU", [2, 2], [0, 1, 0, 2], dead: 0.5);
        var rnn = Activation("lstm", "LSTM", [3, 1, 2], [1, 2, 3, 4, 5, 6], ActivationKind.Recurrent);
        var capture = new ActivationCapture { InputShape = [1, 1, 1, 2], Layers = [maps, relu, rnn] };

        var boxes = Traces(ActivationCharts.Distributions(capture));
        Assert.Equal(3, boxes.Length);
        Assert.Equal([1.0, 2, 3, 4], Numbers(boxes[0].GetProperty("y")));
        Assert.Equal("&lt;img src=x onerror=alert(1)&gt;", boxes[1].GetProperty("name").GetString());

        var dead = Traces(ActivationCharts.DeadUnits(capture)).Single();
        Assert.Equal([0.5], Numbers(dead.GetProperty("y")));
        Assert.Equal(["50%"], Strings(dead.GetProperty("text")));

        var grid = Traces(ActivationCharts.FeatureMaps(maps, 0, columns: 2)).Single().GetProperty("z");
        Assert.Equal(1, grid.GetArrayLength());
        Assert.Equal(1.0, grid[0][0].GetDouble());
        Assert.Equal(2.0, grid[0][1].GetDouble());
        Assert.Equal(JsonValueKind.Null, grid[0][2].ValueKind);
        Assert.Equal(3.0, grid[0][3].GetDouble());
        Assert.Throws<XaiException>(() => ActivationCharts.FeatureMaps(relu));

        Assert.Equal([1f, 2, 3, 4, 5, 6], rnn.HiddenStates(0)); // [T, hidden]
        var states = Traces(ActivationCharts.HiddenStates(rnn)).Single();
        var z = states.GetProperty("z");
        Assert.Equal([1.0, 3, 5], Numbers(z[0])); // hidden unit 0 over the three steps
        Assert.Equal([2.0, 4, 6], Numbers(z[1]));
        Assert.Equal([0.0, 1, 2], Numbers(states.GetProperty("x")));
        Assert.Throws<XaiException>(() => ActivationCharts.HiddenStates(maps));
    }

    [Fact]
    public void The_gradient_flow_chart_is_log_scaled_and_marks_the_vanishing_and_exploding_layers()
    {
        static ValueStatistics Grad(double mean, double max) => new(4, 0, 0, -max, max, mean, max, 0, 0);
        var layers = GradientFlow.Classify(
        [
            new LayerGradient { Name = "l1", LayerType = "Linear", Weights = Grad(1e-12, 1e-11), Activations = Grad(1e-3, 1e-2) },
            new LayerGradient { Name = "act", LayerType = "Tanh", Activations = Grad(1e-3, 1e-2) },
            new LayerGradient { Name = "l2", LayerType = "Linear", Weights = Grad(0.5, 2), Activations = Grad(0.2, 1) },
            new LayerGradient { Name = "l3", LayerType = "Linear", Weights = Grad(10, 5e3) },
        ], 1e-7, 1e3);
        var flow = new GradientFlow { Loss = 0.25, BatchSize = 16, Layers = layers, VanishingRatio = 1e-7, ExplodingLimit = 1e3 };
        Assert.Equal([GradientHealth.Vanishing, GradientHealth.Normal, GradientHealth.Normal, GradientHealth.Exploding], layers.Select(l => l.WeightHealth));
        Assert.Equal(2, flow.Warnings().Count);

        var chart = GradientFlowCharts.Bars(flow);
        var traces = Traces(chart);
        Assert.Equal(3, traces.Length);
        var means = traces[0].GetProperty("y");
        Assert.Equal(1e-12, means[0].GetDouble(), 1e-15);
        Assert.Equal(JsonValueKind.Null, means[1].ValueKind); // no weights
        Assert.Equal(5e3, traces[1].GetProperty("y")[3].GetDouble(), 1e-3);
        var layout = Layout(chart);
        Assert.Equal("log", layout.GetProperty("yaxis").GetProperty("type").GetString());
        var notes = layout.GetProperty("annotations").EnumerateArray().Select(a => (a.GetProperty("x").GetString(), a.GetProperty("text").GetString())).ToArray();
        Assert.Equal([("l1", "<b>vanishing</b>"), ("l3", "<b>exploding</b>")], notes);
        Assert.Equal(1e3, layout.GetProperty("shapes")[0].GetProperty("y0").GetDouble());
        Assert.Contains("2 warnings", layout.GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void The_attention_heatmap_shows_one_head_at_a_time_with_token_labels_and_a_head_average()
    {
        // One input, two heads, two queries x two keys.
        var attention = new AttentionWeights
        {
            Layer = "attn", BatchSize = 1, HeadCount = 2, QueryLength = 2, KeyLength = 2,
            Values = [1, 0, 0.5f, 0.5f, 0, 1, 0.25f, 0.75f],
            QueryLabels = ["<b>", "<b>"], KeyLabels = ["<b>", "<b>"],
        };
        var chart = AttentionCharts.Heatmap(attention, 0, 1);
        var traces = Traces(chart);
        Assert.Equal(["head 0", "head 1", "mean of heads"], traces.Select(t => t.GetProperty("name").GetString()!));
        Assert.Equal([false, true, false], traces.Select(t => t.GetProperty("visible").GetBoolean()));
        Assert.Equal([0.0, 1], Numbers(traces[1].GetProperty("z")[0]));
        Assert.Equal([0.375, 0.625], Numbers(traces[2].GetProperty("z")[1]));
        // Repeated tokens stay distinct categories, escaped.
        Assert.Equal(["&lt;b&gt; (0)", "&lt;b&gt; (1)"], Strings(traces[0].GetProperty("x")));
        Assert.Equal(3, Layout(chart).GetProperty("updatemenus")[0].GetProperty("buttons").GetArrayLength());
        Assert.Equal(1, Layout(chart).GetProperty("updatemenus")[0].GetProperty("active").GetInt32());
        Assert.Throws<XaiException>(() => AttentionCharts.Heatmap(attention, 0, 2));
    }

    [Fact]
    public void Feature_visualisations_are_a_grid_of_images_each_normalised_and_labelled_with_its_activations()
    {
        FeatureVisualization Image(int unit, params float[] pixels) => new()
        {
            Layer = "conv", Unit = unit, InputShape = [1, 1, 3], Input = [.. pixels], StartInput = [0, 0, 0],
            StartActivation = 0.1, FinalActivation = 2.5, Objective = [0.1, 1, 2],
        };
        var chart = FeatureVisualizationCharts.Images([Image(0, -1, 0, 1), Image(3, 5, 5, 7)], columns: 1);
        var z = Traces(chart).Single().GetProperty("z");
        Assert.Equal(3, z.GetArrayLength()); // two one-pixel-high images and a gap row
        Assert.Equal([0.0, 0.5, 1], Numbers(z[0]));
        Assert.Equal([0.0, 0, 1], Numbers(z[2]));
        var labels = Layout(chart).GetProperty("annotations").EnumerateArray().Select(a => a.GetProperty("text").GetString()!).ToArray();
        Assert.Equal(["conv #0: 0.1 → 2.5", "conv #3: 0.1 → 2.5"], labels);
        Assert.Equal([0.1, 1, 2], Numbers(Traces(FeatureVisualizationCharts.Progress([Image(0, 1, 2, 3)])).Single().GetProperty("y")), new Tolerance());
    }

    [Fact]
    public void The_inspection_report_draws_every_section_and_escapes_names()
    {
        var capture = new ActivationCapture
        {
            InputShape = [1, 1, 1, 2],
            Layers = [Activation("conv", "Conv2d", [1, 2, 1, 2], [1, 2, 3, 4], ActivationKind.FeatureMaps), Activation("relu", "ReLU", [2, 2], [0, 1, 0, 2], dead: 0.5)],
        };
        var snapshot = new WeightSnapshot { Label = XssName, Tensors = [Tensor("conv.weight", [2, 1, 1, 2], 1, 2, 3, 4), Tensor("fc.weight", [2, 2], 1, 2, 3, 4)] };
        var report = new HtmlReport("inspection")
            .AddLayerSummary(Cnn)
            .AddWeights(snapshot)
            .AddWeightComparison(snapshot.CompareTo(snapshot with { Label = "after" }))
            .AddActivations(capture);
        string html = report.ToHtml();
        Assert.Equal(2 + 4 + 2 + 3, report.ChartCount);
        Assert.Equal(report.ChartCount, Regex.Matches(html, "class=\"xai-chart\"").Count);
        Assert.DoesNotContain(XssName, html);
        Assert.Contains("Total params", html);
    }

    private sealed class Tolerance : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-6;
        public int GetHashCode(double obj) => 0;
    }
}
