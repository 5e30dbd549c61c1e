using Interactive.Xai.Charts;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

public sealed class OtherChartTests
{
    [Fact]
    public void Permutation_importance_shows_means_with_standard_deviation_error_bars_and_every_repeat()
    {
        var table = Table(200, 3, 5);
        var model = DelegateModel.Linear([4f, 1f, 0f], 0, table.FeatureNames);
        var labels = new float[200];
        model.Predict(table).CopyTo(labels, 0);
        var e = new PermutationImportanceExplainer(model, new PermutationImportanceOptions { Repeats = 4, Metric = PermutationMetric.MeanSquaredError }).Explain(table, labels);
        var chart = PermutationImportanceCharts.Bar(e);
        var traces = Traces(chart);
        Assert.Equal(["bar", "scatter"], traces.Select(t => t.GetProperty("type").GetString()!).ToArray());
        // Ascending from the bottom: x2 (no effect, importance exactly 0), x1, x0.
        Assert.Equal(["x2", "x1", "x0"], Strings(Layout(chart).GetProperty("yaxis").GetProperty("ticktext")));
        Assert.Equal([e.Mean[2], e.Mean[1], e.Mean[0]], Numbers(traces[0].GetProperty("x")));
        Assert.Equal([e.StandardDeviation[2], e.StandardDeviation[1], e.StandardDeviation[0]], Numbers(traces[0].GetProperty("error_x").GetProperty("array")));
        Assert.Equal(0, Numbers(traces[0].GetProperty("x"))[0]);
        var dots = Numbers(traces[1].GetProperty("x"));
        Assert.Equal(12, dots.Length);
        Assert.Equal(e.Values[0].ToArray(), dots[8..]);
        Assert.Contains("mean squared error", Layout(chart).GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void Partial_dependence_draws_ice_lines_the_mean_curve_and_the_data_histogram()
    {
        var table = Table(40, 2, 9);
        var model = DelegateModel.FromRowFunction(2, x => x[0] * x[0] + x[0] * x[1], featureNames: table.FeatureNames);
        var e = new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 7 }).Explain(table, "x0");
        var traces = Traces(PartialDependenceCharts.Line(e, maxIceCurves: 10));
        Assert.Equal(12, traces.Length);
        Assert.Equal(10, traces.Count(t => t.GetProperty("name").GetString() == "ICE (one row each)"));
        var mean = traces[10];
        Assert.Equal(e.Grid.ToArray(), Numbers(mean.GetProperty("x")));
        Assert.Equal(e.Average(), Numbers(mean.GetProperty("y")));
        // The strip is the explanation's binned counts (not every row's value): they add up to the rows.
        Assert.Equal("bar", traces[11].GetProperty("type").GetString());
        Assert.Equal("y2", traces[11].GetProperty("yaxis").GetString());
        Assert.Equal(e.HistogramCounts.Length, traces[11].GetProperty("x").GetArrayLength());
        Assert.Equal(40, Numbers(traces[11].GetProperty("y")).Sum());
        // ICE rows are an evenly spaced subset: row 0 first, and each line is that row's ICE curve.
        Assert.Equal(e.Ice(0).Select(v => v).ToArray(), Numbers(traces[0].GetProperty("y")));
        Assert.Equal(e.Ice(4).ToArray(), Numbers(traces[1].GetProperty("y")));

        var centred = Traces(PartialDependenceCharts.Line(e, centered: true, maxIceCurves: 10));
        Assert.All(centred.Take(11), t => Assert.Equal(0, Numbers(t.GetProperty("y"))[0]));
        var shifted = Numbers(centred[1].GetProperty("y"));
        var ice = e.Ice(4);
        for (int g = 0; g < ice.Length; g++) Assert.Equal(ice[g] - ice[0], shifted[g], 12);
    }

    [Fact]
    public void Partial_dependence_of_many_rows_draws_the_kept_curves_and_no_value_per_row()
    {
        var table = Table(5000, 2, 4);
        var model = DelegateModel.FromRowFunction(2, x => x[0] * x[1], featureNames: table.FeatureNames);
        var e = new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 5, MaxIceCurves = 50 }).Explain(table, "x0");
        Assert.Equal(50, e.IceRows.Length);
        var traces = Traces(PartialDependenceCharts.Line(e, maxIceCurves: 10));
        var ice = traces.Where(t => t.GetProperty("name").GetString() == "ICE (one row each)").ToArray();
        Assert.Equal(10, ice.Length);
        // Every fifth kept curve: rows 0, 500, 1000, ...
        Assert.Equal(e.Ice(500), Numbers(ice[1].GetProperty("y")));
        Assert.Contains("row 500<br>", ice[1].GetProperty("hovertemplate").GetString());
        var strip = traces[^1];
        Assert.Equal(5000, Numbers(strip.GetProperty("y")).Sum());
        Assert.True(strip.GetProperty("x").GetArrayLength() <= 40);
    }

    [Fact]
    public void Two_dimensional_partial_dependence_puts_the_grid_means_in_z_by_y_then_x()
    {
        var table = Table(30, 2, 2);
        var model = DelegateModel.FromRowFunction(2, x => 2 * x[0] - x[1], featureNames: table.FeatureNames);
        var e = new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 4 }).Explain2D(table, "x0", "x1");
        var trace = Assert.Single(Traces(PartialDependenceCharts.Surface(e)));
        Assert.Equal("heatmap", trace.GetProperty("type").GetString());
        var z = trace.GetProperty("z");
        Assert.Equal(e.GridY.Length, z.GetArrayLength());
        for (int i = 0; i < e.GridX.Length; i++)
            for (int j = 0; j < e.GridY.Length; j++)
                Assert.Equal(e.Average(i, j), z[j][i].GetDouble(), 12);
        Assert.Equal("contour", Traces(PartialDependenceCharts.Surface(e, contour: true))[0].GetProperty("type").GetString());
    }

    [Fact]
    public void Ale_draws_one_point_per_edge_and_the_bin_counts_as_bars_at_bin_midpoints()
    {
        var table = Table(100, 2, 4);
        var model = DelegateModel.FromRowFunction(2, x => 3 * x[0] + x[1], featureNames: table.FeatureNames);
        var e = new AccumulatedLocalEffectsExplainer(model, new AccumulatedLocalEffectsOptions { Bins = 5 }).Explain(table, "x0");
        var traces = Traces(AccumulatedLocalEffectsCharts.Line(e));
        Assert.Equal(["scatter", "bar"], traces.Select(t => t.GetProperty("type").GetString()!).ToArray());
        Assert.Equal(e.Edges.ToArray(), Numbers(traces[0].GetProperty("x")));
        Assert.Equal(e.Effects(), Numbers(traces[0].GetProperty("y")));
        Assert.Equal(e.BinCounts.Select(c => (double)c).ToArray(), Numbers(traces[1].GetProperty("y")));
        Assert.Equal(100, Numbers(traces[1].GetProperty("y")).Sum());
        Assert.Equal((e.Edges[0] + e.Edges[1]) / 2, Numbers(traces[1].GetProperty("x"))[0], 12);
        // A linear effect: the ALE line has slope 3 between any two edges.
        var y = Numbers(traces[0].GetProperty("y"));
        for (int k = 1; k < y.Length; k++) Assert.Equal(3, (y[k] - y[k - 1]) / (e.Edges[k] - e.Edges[k - 1]), 3);
    }
}
