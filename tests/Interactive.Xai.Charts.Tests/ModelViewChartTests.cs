using System.Text.Json;
using Interactive.Xai.Charts;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

/// <summary>Force plots, tree gain importance, feature-output correlation and global surrogate trees.</summary>
public sealed class ModelViewChartTests
{
    [Fact]
    public void A_force_plot_draws_one_arrow_per_segment_between_its_ends_and_labels_the_features()
    {
        var shap = LinearShap(5, [3f, -2f, 0.5f, 0.01f], ["a", "b", XssName, "d"]);
        var force = ForcePlot.Row(shap, 2);
        var chart = ForceCharts.Force(shap, 2);
        var traces = Traces(chart);
        var segments = force.Positive.Concat(force.Negative).ToArray();
        Assert.Equal(segments.Length, traces.Length);
        for (int i = 0; i < segments.Length; i++)
        {
            var x = Numbers(traces[i].GetProperty("x"));
            Assert.Equal(segments[i].Start, x.Min(), 9);
            Assert.Equal(segments[i].End, x.Max(), 9);
            Assert.Equal(segments[i].Value > 0 ? ChartTheme.Positive : ChartTheme.Negative, traces[i].GetProperty("fillcolor").GetString());
        }
        var texts = Layout(chart).GetProperty("annotations").EnumerateArray().Select(a => a.GetProperty("text").GetString()!).ToArray();
        Assert.Contains($"<b>f(x) = {force.Prediction.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}</b>", texts);
        Assert.Contains(texts, t => t.StartsWith("base value ", StringComparison.Ordinal));
        Assert.DoesNotContain(texts, t => t.Contains("<img", StringComparison.Ordinal));
        string title = Layout(chart).GetProperty("title").GetProperty("text").GetString()!;
        Assert.Contains("Force plot of row 2", title);
        Assert.DoesNotContain("miss the prediction", title); // exact Shapley values add up
    }

    [Fact]
    public void A_stacked_force_plot_fills_each_rows_push_up_below_and_push_down_above_its_prediction()
    {
        var shap = LinearShap(12, [3f, -2f, 0.5f]);
        var chart = ForceCharts.Stacked(shap, ForceOrder.Prediction);
        var traces = Traces(chart);
        var order = ForcePlot.Order(shap, ForceOrder.Prediction);
        var line = traces[^1];
        Assert.Equal(order.Select(r => shap.Prediction(r)).ToArray(), Numbers(line.GetProperty("y")), new Tolerance(1e-5));
        // Band heights per position add up to each row's sum of positive values (vermillion) and of negative values (blue).
        var up = new double[order.Length];
        var down = new double[order.Length];
        foreach (var band in traces[..^1])
        {
            var y = Numbers(band.GetProperty("y"));
            int n = order.Length;
            for (int p = 0; p < n; p++)
            {
                double height = y[p] - y[2 * n - 1 - p]; // inner edge forward, outer edge backward
                if (band.GetProperty("fillcolor").GetString() == ChartTheme.Positive) up[p] += height; else down[p] -= height;
            }
        }
        for (int p = 0; p < order.Length; p++)
        {
            var values = shap.RowValues(order[p]);
            Assert.Equal(values.Where(v => v > 0).Sum(), up[p], 4);
            Assert.Equal(values.Where(v => v < 0).Sum(), -down[p], 4);
        }
        Assert.Contains("ordered by prediction", Layout(chart).GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void Gain_importance_sits_next_to_split_counts_in_gain_order()
    {
        var tree = new DecisionTree
        {
            Feature = [0, -1, 1, -1, -1], Threshold = [0.5, 0, 2, 0, 0], Left = [1, -1, 3, -1, -1], Right = [2, -1, 4, -1, -1],
            Value = [0, 1, 0, 3, 5], Cover = [10, 6, 4, 1, 3],
        };
        var importance = TreeGainImportance.Compute(new TreeEnsemble { Trees = [tree], FeatureCount = 3, FeatureNames = ["a", "b", XssName] });
        var chart = TreeImportanceCharts.GainAndSplits(importance);
        var traces = Traces(chart);
        // gains 29.4 (a), 3 (b), 0: bottom to top in increasing gain
        Assert.Equal([0, 3 / 32.4, 29.4 / 32.4], Numbers(traces[0].GetProperty("x")), new Tolerance(1e-12));
        Assert.Equal([0.0, 1, 1], Numbers(traces[1].GetProperty("x")));
        Assert.Equal("x2", traces[1].GetProperty("xaxis").GetString());
        Assert.Equal(["&lt;img src=x onerror=alert(1)&gt;", "b", "a"], Strings(Layout(chart).GetProperty("yaxis").GetProperty("ticktext")));
    }

    [Fact]
    public void Output_correlation_bars_are_sorted_by_strength_and_constant_features_are_named()
    {
        var data = FeatureTable.FromArray(new float[,] { { 1, 5, 7, 2 }, { 2, 3, 7, 1 }, { 3, 4, 7, 2 }, { 4, 1, 7, 1 } }, ["x", "w", "c", XssName]);
        var correlation = OutputCorrelationAnalysis.Compute(DelegateModel.FromRowFunction(4, x => x[0], featureNames: data.FeatureNames), data);
        var chart = OutputCorrelationCharts.Bars(correlation);
        var labels = Strings(Layout(chart).GetProperty("yaxis").GetProperty("ticktext"));
        Assert.Equal("x", labels[^1]); // r = 1 at the top
        Assert.DoesNotContain("c", labels);
        var title = Layout(chart).GetProperty("title").GetProperty("text").GetString()!;
        Assert.Contains("constant, so not correlated: c", title);
        Assert.Contains("4 rows", title);
        // Seen in the real kernel: "the model's output output" for an output named "output".
        Assert.StartsWith("Correlation of each feature with the model's output over 4 rows", title);
        var named = OutputCorrelationAnalysis.Compute(DelegateModel.FromRowFunction(4, x => x[0], "Score", data.FeatureNames), data);
        Assert.StartsWith("Correlation of each feature with the model's output Score over 4 rows",
            Layout(OutputCorrelationCharts.Bars(named)).GetProperty("title").GetProperty("text").GetString()!);
        var pearson = Traces(chart).Single(t => t.GetProperty("name").GetString() == "Pearson");
        Assert.Equal(1.0, Numbers(pearson.GetProperty("x"))[^1], 12);
    }

    [Fact]
    public void A_surrogate_tree_has_one_box_per_node_and_its_fidelity_in_the_title()
    {
        var rows = new List<float[]>();
        for (int i = 0; i < 10; i++) for (int j = 0; j < 10; j++) rows.Add([(i + 0.5f) / 10, (j + 0.5f) / 10]);
        var data = FeatureTable.FromRows(rows, ["a", XssName]);
        var model = DelegateModel.FromRowFunction(2, x => x[0] <= 0.5f ? (x[1] <= 0.3f ? 0 : 1) : 10, featureNames: data.FeatureNames);
        var surrogate = GlobalSurrogate.Fit(model, data, new GlobalSurrogateOptions { MaxDepth = 3 });
        var chart = SurrogateCharts.Tree(surrogate);
        var annotations = Layout(chart).GetProperty("annotations").EnumerateArray().Select(a => a.GetProperty("text").GetString()!).ToArray();
        Assert.Equal(surrogate.Tree.NodeCount + 2, annotations.Length); // every node, and yes / no under the root
        Assert.Contains("<b>a ≤ 0.5</b><br>value 5.35<br>100 rows", annotations);
        Assert.Contains(annotations, t => t.StartsWith("<b>&lt;img", StringComparison.Ordinal));
        Assert.Contains("value 10<br>50 rows", annotations);
        Assert.Contains("fidelity R² = 1.000 on 100 rows", Layout(chart).GetProperty("title").GetProperty("text").GetString());
    }

    private sealed class Tolerance(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;

        public int GetHashCode(double value) => 0;
    }
}
