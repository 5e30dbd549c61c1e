using System.Text.Json;
using Interactive.Xai.Charts;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

public sealed class AttributionChartTests
{
    private static readonly float[] Weights = [3f, -2f, 1f, 0.5f, 0.1f];

    [Fact]
    public void Importance_bars_are_the_mean_absolute_values_sorted_with_the_largest_on_top()
    {
        var e = LinearShap(60, Weights);
        var traces = Traces(AttributionCharts.Importance(e));
        var bar = Assert.Single(traces);
        Assert.Equal("bar", bar.GetProperty("type").GetString());
        Assert.Equal("h", bar.GetProperty("orientation").GetString());
        var x = Numbers(bar.GetProperty("x"));
        var means = e.MeanAbsoluteValues();
        // Bottom to top = ascending importance; here the weights' magnitudes decide the order.
        Assert.Equal(means.Order().ToArray(), x, new ToleranceComparer(1e-12));
        var layout = Layout(AttributionCharts.Importance(e));
        var ticks = Strings(layout.GetProperty("yaxis").GetProperty("ticktext"));
        Assert.Equal(["x4", "x3", "x2", "x1", "x0"], ticks);
    }

    [Fact]
    public void Importance_folds_the_least_important_features_into_one_bar_holding_their_sum()
    {
        var e = LinearShap(40, Weights);
        var chart = AttributionCharts.Importance(e, maxFeatures: 3);
        var x = Numbers(Traces(chart)[0].GetProperty("x"));
        var means = e.MeanAbsoluteValues();
        Assert.Equal(3, x.Length);
        Assert.Equal(means[2] + means[3] + means[4], x[0], 12);
        Assert.Equal(["sum of 3 other features", "x1", "x0"], Strings(Layout(chart).GetProperty("yaxis").GetProperty("ticktext")));
    }

    [Fact]
    public void Beeswarm_has_one_dot_per_row_and_feature_at_its_attribution_and_switches_to_webgl_for_many_points()
    {
        var e = LinearShap(50, Weights);
        var traces = Traces(AttributionCharts.Beeswarm(e));
        Assert.Equal(5, traces.Length);
        Assert.All(traces, t => Assert.Equal("scatter", t.GetProperty("type").GetString()));
        Assert.Equal(50 * 5, traces.Sum(t => t.GetProperty("x").GetArrayLength()));
        // The top trace is x0 (largest weight): its dots are x0's attributions in row order, the rows in customdata.
        var top = traces[^1];
        Assert.Equal("x0", top.GetProperty("name").GetString());
        var x = Numbers(top.GetProperty("x"));
        for (int r = 0; r < 50; r++)
        {
            Assert.Equal((float)e.Value(r, 0), (float)x[r]); // charts carry single precision
            Assert.Equal(r, top.GetProperty("customdata")[r][0].GetInt32());
            Assert.Equal(e.Data.Row(r)[0], top.GetProperty("customdata")[r][1].GetSingle());
        }
        // Dots stay within their feature's band.
        var y = Numbers(top.GetProperty("y"));
        Assert.All(y, v => Assert.InRange(v, 4 - 0.45, 4 + 0.45));
        Assert.Equal(1, traces.Count(t => t.GetProperty("marker").TryGetProperty("showscale", out var s) && s.GetBoolean()));

        var many = LinearShap(AttributionCharts.WebGLThreshold / 5 + 1, Weights);
        Assert.All(Traces(AttributionCharts.Beeswarm(many)), t => Assert.Equal("scattergl", t.GetProperty("type").GetString()));
    }

    [Fact]
    public void Beeswarm_colours_run_from_low_to_high_feature_values()
    {
        var e = LinearShap(100, Weights);
        var top = Traces(AttributionCharts.Beeswarm(e))[^1];
        var colours = Numbers(top.GetProperty("marker").GetProperty("color"));
        var values = e.Data.Column(0);
        int lowest = Array.IndexOf(values, values.Min()), highest = Array.IndexOf(values, values.Max());
        Assert.Equal(0, colours[lowest]);
        Assert.Equal(1, colours[highest]);
        Assert.All(colours, c => Assert.InRange(c, 0, 1));
    }

    [Fact]
    public void Waterfall_steps_run_from_the_base_value_to_the_prediction()
    {
        var e = LinearShap(10, Weights);
        for (int row = 0; row < 10; row++)
        {
            var trace = Assert.Single(Traces(AttributionCharts.Waterfall(e, row, maxFeatures: 3)));
            Assert.Equal("waterfall", trace.GetProperty("type").GetString());
            var measure = Strings(trace.GetProperty("measure"));
            Assert.Equal(["relative", "relative", "relative", "total"], measure);
            var x = Numbers(trace.GetProperty("x"));
            double end = trace.GetProperty("base").GetDouble() + x[..^1].Sum();
            Assert.Equal(e.Prediction(row), end, 5);
            Assert.Equal(e.BaseValue(), trace.GetProperty("base").GetDouble(), 12);
            // The two largest contributions are shown by name, the rest summed in the bottom step.
            var labels = Strings(trace.GetProperty("y"));
            Assert.Equal("3 other features", labels[0]);
            var values = e.RowValues(row);
            var largest = Enumerable.Range(0, 5).OrderByDescending(f => Math.Abs(values[f])).Take(2).ToArray();
            Assert.StartsWith($"x{largest[0]} = ", labels[2]);
            Assert.StartsWith($"x{largest[1]} = ", labels[1]);
            Assert.Equal(values.Sum() - values[largest[0]] - values[largest[1]], x[0], 9);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => AttributionCharts.Waterfall(e, 10));
    }

    [Fact]
    public void Dependence_is_coloured_by_the_planted_interacting_feature()
    {
        // f = x0 * x2 + x1: x0's attribution is (x0 - m0) * x2-ish, so its vertical spread is explained by x2.
        var table = Table(300, 4, 3);
        var model = DelegateModel.FromRowFunction(4, x => x[0] * x[2] + x[1], featureNames: table.FeatureNames);
        var e = new ExactShapleyExplainer(model, WeightedBackground.FromTable(Table(30, 4, 4))).Explain(table);
        Assert.Equal(2, InteractionHeuristic.StrongestInteraction(e, 0));
        var chart = AttributionCharts.Dependence(e, "x0");
        var trace = Assert.Single(Traces(chart));
        Assert.Equal(Numbers(trace.GetProperty("x")), table.Column(0).Select(v => (double)v).ToArray());
        Assert.Equal(Numbers(trace.GetProperty("marker").GetProperty("color")), table.Column(2).Select(v => (double)v).ToArray());
        Assert.Equal("x2", trace.GetProperty("marker").GetProperty("colorbar").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("x0", Layout(chart).GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Throws<XaiException>(() => AttributionCharts.Dependence(e, "nope"));
    }

    [Fact]
    public void Heatmap_orders_rows_by_prediction_and_keeps_their_indices_for_linking()
    {
        var e = LinearShap(30, Weights);
        var trace = Assert.Single(Traces(AttributionCharts.Heatmap(e)));
        Assert.Equal("heatmap", trace.GetProperty("type").GetString());
        var z = trace.GetProperty("z");
        Assert.Equal(5, z.GetArrayLength());
        Assert.Equal(30, z[0].GetArrayLength());
        var rows = trace.GetProperty("customdata")[0].EnumerateArray().Select(v => v.GetInt32()).ToArray();
        var predictions = rows.Select(r => e.Prediction(r)).ToArray();
        Assert.Equal(predictions.Order().ToArray(), predictions);
        // Top map row is the most important feature (x0); cell values are that row's attribution.
        for (int c = 0; c < 30; c++) Assert.Equal((float)e.Value(rows[c], 0), z[4][c].GetSingle());
        Assert.Equal("x0", trace.GetProperty("y")[4].GetString());
        Assert.Equal(0.0, trace.GetProperty("zmid").GetDouble());
    }

    [Fact]
    public void Multi_output_explanations_get_one_chart_with_a_dropdown_that_switches_traces_and_ticks()
    {
        var e = TwoOutputShap(20, [1f, -3f, 2f]);
        var chart = AttributionCharts.Importance(e);
        var traces = Traces(chart);
        Assert.Equal(2, traces.Length);
        Assert.Equal(0, traces[0].GetProperty("meta").GetInt32());
        Assert.Equal(1, traces[1].GetProperty("meta").GetInt32());
        Assert.False(traces[1].GetProperty("visible").GetBoolean());
        var menu = Layout(chart).GetProperty("updatemenus")[0];
        var buttons = menu.GetProperty("buttons").EnumerateArray().ToArray();
        Assert.Equal(["up", "down"], buttons.Select(b => b.GetProperty("label").GetString()!).ToArray());
        var second = buttons[1].GetProperty("args");
        Assert.Equal([false, true], second[0].GetProperty("visible").EnumerateArray().Select(v => v.GetBoolean()).ToArray());
        Assert.Equal(["x0", "x2", "x1"], Strings(second[1].GetProperty("yaxis.ticktext")));
        // Output "down" is -2 x "up": its bars are twice as long.
        Assert.Equal(Numbers(traces[0].GetProperty("x")).Select(v => 2 * v).ToArray(), Numbers(traces[1].GetProperty("x")), new ToleranceComparer(1e-9));
    }

    [Fact]
    public void Feature_names_reach_plotly_escaped_so_they_show_as_text()
    {
        var e = LinearShap(10, [1f, 2f], names: [XssName, "b & c"]);
        foreach (var chart in ExplanationReport.Charts(e))
        {
            string json = Plotly.NET.GenericChart.toFigureJson(chart);
            Assert.DoesNotContain("<img", json);
            Assert.DoesNotContain("b & c", json);
        }
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", Plotly.NET.GenericChart.toFigureJson(AttributionCharts.Importance(e)));
    }
}

internal sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
{
    public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
    public int GetHashCode(double obj) => 0;
}
