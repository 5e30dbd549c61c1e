using Interactive.Xai.Charts;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

public sealed class OutputChartTests
{
    private static ConfusionMatrix Matrix()
        => ConfusionMatrix.FromClasses([0, 0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 1, 2, 1, 1, 0, 2, 2, 2], ["cat", "dog", XssName]);

    [Fact]
    public void The_confusion_matrix_heatmap_colours_row_rates_and_labels_every_cell_with_count_and_rate()
    {
        var chart = OutputCharts.ConfusionMatrix(Matrix());
        var trace = Traces(chart).Single();
        var layout = Layout(chart);
        Assert.Equal("heatmap", trace.GetProperty("type").GetString());
        var z = trace.GetProperty("z").EnumerateArray().Select(Numbers).ToArray();
        Assert.Equal([0.5, 0.25, 0.25], z[0]);
        Assert.Equal([1 / 3.0, 2 / 3.0, 0], z[1], new Close());
        Assert.Equal([0.0, 0, 1], z[2]);
        Assert.Equal("2<br>50%", trace.GetProperty("text")[0][0].GetString());
        Assert.Equal("3<br>100%", trace.GetProperty("text")[2][2].GetString());
        Assert.Equal([2.0, 1, 1], Numbers(trace.GetProperty("customdata")[0]));
        Assert.Equal(["cat", "dog", PlotText.Escape(XssName)], Strings(trace.GetProperty("x")));
        Assert.Equal(Strings(trace.GetProperty("x")), Strings(trace.GetProperty("y")));
        Assert.Equal(1.0, trace.GetProperty("zmax").GetDouble());
        Assert.Equal("reversed", layout.GetProperty("yaxis").GetProperty("autorange").GetString());
        Assert.Equal("category", layout.GetProperty("xaxis").GetProperty("type").GetString());
        Assert.Equal("Confusion matrix (10 rows, accuracy 70.0%)", layout.GetProperty("title").GetProperty("text").GetString());

        var counts = Traces(OutputCharts.ConfusionMatrix(Matrix(), normalized: false)).Single();
        Assert.Equal([2.0, 1, 1], Numbers(counts.GetProperty("z")[0]));
        Assert.Equal(3.0, counts.GetProperty("zmax").GetDouble());
    }

    [Fact]
    public void One_rows_probabilities_are_bars_with_the_prediction_highlighted_and_the_true_class_named()
    {
        var p = ClassProbabilities.FromOutputs([0.1f, 0.7f, 0.2f, 0.6f, 0.3f, 0.1f], ["cat", "dog", XssName], labels: [2f, 0f]);
        var chart = OutputCharts.Probabilities(p, 0);
        var bar = Traces(chart).Single();
        Assert.Equal([0.1, 0.7, 0.2], Numbers(bar.GetProperty("x")), new Close());
        var colours = Strings(bar.GetProperty("marker").GetProperty("color"));
        Assert.Equal([ChartTheme.Neutral, ChartTheme.Positive, ChartTheme.Neutral], colours);
        Assert.Equal(["cat", "dog", PlotText.Escape(XssName) + " (true)"], Strings(Layout(chart).GetProperty("yaxis").GetProperty("ticktext")));
        Assert.Equal($"Row 0: predicted dog (70.0%, true class {PlotText.Escape(XssName)})", Layout(chart).GetProperty("title").GetProperty("text").GetString());
        Assert.EndsWith("correct)", Layout(OutputCharts.Probabilities(p, 1)).GetProperty("title").GetProperty("text").GetString());
        Assert.Contains("row 2 is outside 0..1", Assert.Throws<XaiException>(() => OutputCharts.Probabilities(p, 2)).Message);
    }

    [Fact]
    public void The_probability_heatmap_has_one_line_per_row_and_marks_each_true_class()
    {
        var outputs = new float[30 * 3];
        var labels = new float[30];
        for (int r = 0; r < 30; r++) { outputs[r * 3 + r % 3] = 2; labels[r] = (r + 1) % 3; }
        var p = ClassProbabilities.FromOutputs(outputs, ["a", "b", "c"], labels: labels);
        var traces = Traces(OutputCharts.ProbabilityHeatmap(p, maxRows: 20));
        Assert.Equal(2, traces.Length);
        var z = traces[0].GetProperty("z").EnumerateArray().Select(Numbers).ToArray();
        Assert.Equal(20, z.Length);
        double high = Math.Exp(2) / (Math.Exp(2) + 2);
        for (int r = 0; r < 20; r++)
        {
            Assert.Equal(1.0, z[r].Sum(), 5);
            Assert.Equal(high, z[r][r % 3], 5);
        }
        Assert.Equal(Enumerable.Range(0, 20).Select(r => ((r + 1) % 3) switch { 0 => "a", 1 => "b", _ => "c" }).ToArray(), Strings(traces[1].GetProperty("x")));
        Assert.Single(Traces(OutputCharts.ProbabilityHeatmap(ClassProbabilities.FromOutputs(outputs, ["a", "b", "c"]))));
    }

    private sealed class Close : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-6;
        public int GetHashCode(double obj) => 0;
    }
}

public sealed class OutputReportTests
{
    [Fact]
    public void A_classifier_section_lists_each_class_with_precision_and_recall_and_adds_its_charts()
    {
        var m = ConfusionMatrix.FromClasses([0, 0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 1, 2, 1, 1, 0, 2, 2, 2], ["cat", "dog", Fixtures.XssName]);
        var p = ClassProbabilities.FromOutputs([0.1f, 0.7f, 0.2f], ["cat", "dog", Fixtures.XssName]);
        var report = new HtmlReport("outputs").AddClassifierOutputs(m, p);
        string html = report.ToHtml().Replace(ChartHtml.PlotlyJs, "", StringComparison.Ordinal);
        Assert.Equal(3, report.ChartCount);
        Assert.Contains("10 rows, 3 classes, accuracy 70.0%.", html);
        Assert.Contains("<tr><td>cat</td><td>4</td><td>3</td><td>0.667</td><td>0.500</td></tr>", html);
        Assert.Contains("<tr><td>&lt;img src=x onerror=alert(1)&gt;</td><td>3</td><td>4</td><td>0.750</td><td>1.000</td></tr>", html);
        Assert.DoesNotContain("<img", html);
        Assert.Equal(1, new HtmlReport("m").AddClassifierOutputs(m).ChartCount);
    }
}
