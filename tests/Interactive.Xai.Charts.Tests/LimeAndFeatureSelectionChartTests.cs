using Interactive.Xai.Charts;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

public sealed class LimeAndFeatureSelectionChartTests
{
    [Fact]
    public void Lime_bar_shows_the_selected_values_largest_on_top_with_fidelity_in_the_title()
    {
        var names = new[] { "a", XssName, "c", "d" };
        var training = Table(300, 4, 1, names);
        var model = DelegateModel.Linear([3f, -2f, 0.5f, 0f], 0, names);
        var lime = new LimeExplainer(model, training, new LimeOptions { FeatureCount = 3, Samples = 1000 }).Explain(training.Slice(0, 2));
        var chart = LimeCharts.Bar(lime, row: 1);
        var trace = Traces(chart)[0];
        var x = Numbers(trace.GetProperty("x"));
        Assert.Equal(3, x.Length);
        var expected = lime.Selected(1).Select(f => lime.Value(1, f)).OrderBy(Math.Abs).ToArray();
        Assert.Equal(expected.Select(v => (double)(float)v).ToArray(), x.Select(v => (double)(float)v).ToArray());
        Assert.Equal(3, trace.GetProperty("error_x").GetProperty("array").GetArrayLength());
        string title = Layout(chart).GetProperty("title").GetProperty("text").GetString()!;
        Assert.Contains($"fidelity (weighted R²) {lime.RowFidelity(1):F3}", title, StringComparison.Ordinal);
        Assert.Contains("Jaccard over 3 seeds", title, StringComparison.Ordinal);
        var ticks = Strings(Layout(chart).GetProperty("yaxis").GetProperty("ticktext"));
        Assert.DoesNotContain(ticks, t => t.Contains('<', StringComparison.Ordinal));
        Assert.Contains(ticks, t => t.Contains("&lt;img", StringComparison.Ordinal));
    }

    [Fact]
    public void Counterfactual_table_lists_only_changed_features_as_original_to_new()
    {
        var names = new[] { "a", "b", "c" };
        var training = Table(200, 3, 2, names);
        var model = DelegateModel.FromRowFunction(3, x => 2 * x[1], featureNames: names);
        var row = FeatureTable.FromRows([[0.1f, -0.4f, 0.3f]], names);
        var cf = new CounterfactualExplainer(model, training, new CounterfactualOptions { Count = 3 }).Explain(row, CounterfactualGoal.Range(0.5, 1));
        var chart = CounterfactualCharts.Table(cf);
        var trace = Traces(chart)[0];
        Assert.Equal("table", trace.GetProperty("type").GetString());
        var columns = trace.GetProperty("cells").GetProperty("values").EnumerateArray().Select(c => Strings(c)).ToArray();
        Assert.Equal(["b", "prediction", "goal met"], columns[0]);
        Assert.Equal(2 + cf.Sets[0].Count, columns.Length);
        for (int i = 0; i < cf.Sets[0].Count; i++)
        {
            Assert.StartsWith("-0.4 → ", columns[2 + i][0], StringComparison.Ordinal);
            Assert.Equal("yes", columns[2 + i][2]);
        }
        var changes = Traces(CounterfactualCharts.Changes(cf));
        Assert.Equal(cf.Sets[0].Count, changes.Length);
        Assert.Equal(["b"], Strings(changes[0].GetProperty("y")));
        double expected = (cf.Sets[0].Counterfactuals[0, 1] - -0.4f) / cf.Scales[1];
        Assert.Equal(expected, Numbers(changes[0].GetProperty("x"))[0], 4);
    }

    [Fact]
    public void Counterfactual_titles_name_the_data_row_and_say_when_the_row_already_meets_the_goal()
    {
        var names = new[] { "a", "b", "c" };
        var training = Table(200, 3, 2, names);
        var model = DelegateModel.FromRowFunction(3, x => 2 * x[1], featureNames: names);
        var row = FeatureTable.FromRows([[0.1f, -0.4f, 0.3f]], names);
        var explainer = new CounterfactualExplainer(model, training, new CounterfactualOptions { Count = 2, Generations = 5 });
        // the row was row 7 of the caller's data; the explanation holds it as its row 0
        var cf = explainer.Explain(row, CounterfactualGoal.Range(0.5, 1)) with { SourceRows = [7] };
        string title = Layout(CounterfactualCharts.Table(cf)).GetProperty("title").GetProperty("text").GetString()!;
        Assert.StartsWith("Counterfactuals for row 7 ", title, StringComparison.Ordinal);

        var met = explainer.Explain(row, CounterfactualGoal.Range(-1, 0)) with { SourceRows = [7] };   // f = -0.8 already
        Assert.True(met.Sets[0].AlreadyMeetsGoal);
        string metTitle = Layout(CounterfactualCharts.Table(met)).GetProperty("title").GetProperty("text").GetString()!;
        Assert.StartsWith("Row 7 already meets the goal", metTitle, StringComparison.Ordinal);
    }

    [Fact]
    public void Correlation_heatmap_is_in_clustered_order_on_a_fixed_scale()
    {
        var random = new Random(3);
        var rows = Enumerable.Range(0, 100).Select(_ => { float a = (float)random.NextDouble(), b = (float)random.NextDouble(); return new[] { a, b, a + 0.01f * (float)random.NextDouble() }; }).ToArray();
        var matrix = CorrelationAnalysis.Compute(FeatureTable.FromRows(rows, ["a", "b", "a2"]));
        var trace = Traces(FeatureSelectionCharts.CorrelationHeatmap(matrix))[0];
        var labels = Strings(trace.GetProperty("x"));
        Assert.Equal(matrix.Order.Select(i => matrix.FeatureNames[i]).ToArray(), labels);
        Assert.Equal(1, Math.Abs(Array.IndexOf(labels, "a") - Array.IndexOf(labels, "a2")));
        Assert.Equal(-1, trace.GetProperty("zmin").GetDouble());
        Assert.Equal(1, trace.GetProperty("zmax").GetDouble());
        var z = trace.GetProperty("z").EnumerateArray().Select(Numbers).ToArray();
        Assert.Equal(matrix.Value(matrix.Order[0], matrix.Order[1]), z[0][1], 9);
    }

    [Fact]
    public void Elimination_curve_has_a_std_band_and_marks_the_selected_size()
    {
        var data = Table(120, 4, 4);
        var labels = Enumerable.Range(0, 120).Select(r => 2 * data[r, 0]).ToArray();
        var rfe = new RecursiveFeatureElimination(task =>
        {
            // Importance = |correlation with the label|; score = that of the best feature, minus a small cost per feature.
            var importances = Enumerable.Range(0, task.Train.ColumnCount).Select(j => task.Features[j] == 0 ? 1.0 : 0.01 * (j + 1)).ToArray();
            return new FeatureSubsetScore((task.Features.Contains(0) ? 1 : 0) - 0.01 * task.Features.Length + 0.001 * task.Fold, importances);
        }, new RecursiveFeatureEliminationOptions { Folds = 3 }).Explain(data, labels);
        var chart = FeatureSelectionCharts.EliminationCurve(rfe);
        var traces = Traces(chart);
        Assert.Equal(4, traces.Length);
        Assert.Equal("tonexty", traces[1].GetProperty("fill").GetString());
        Assert.Equal([4.0, 3, 2, 1], Numbers(traces[2].GetProperty("x")));
        Assert.Equal(rfe.MeanScores.ToArray(), Numbers(traces[2].GetProperty("y")));
        Assert.Equal([1.0], Numbers(traces[3].GetProperty("x")));
        Assert.Equal(["x0"], rfe.SelectedNames.ToArray());
        var report = new HtmlReport("fs").AddExplanation(rfe).ToHtml();
        Assert.Contains("Recursive feature elimination with cross-validation", report, StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_include_lime_and_counterfactual_sections()
    {
        var training = Table(100, 3, 5);
        var model = DelegateModel.Linear([1f, 2f, 3f]);
        var lime = new LimeExplainer(model, training, new LimeOptions { Samples = 200 }).Explain(training.Slice(0, 2));
        Assert.Equal(2, ExplanationReport.Charts(lime).Count);
        Assert.Contains(ExplanationReport.Facts(lime), f => f.Label == "mean fidelity (weighted R²)");
        var cf = new CounterfactualExplainer(model, training, new CounterfactualOptions { Count = 2, Generations = 5 }).Explain(training.Slice(0, 1), CounterfactualGoal.Range(2, 3));
        Assert.Equal(2, ExplanationReport.Charts(cf).Count);
        var html = new HtmlReport("r").AddExplanation(lime).AddExplanation(cf).ToHtml();
        Assert.Contains("LIME: local surrogate models", html, StringComparison.Ordinal);
        Assert.Contains("Counterfactuals (output 0 in [2, 3])", html, StringComparison.Ordinal);
    }
}
