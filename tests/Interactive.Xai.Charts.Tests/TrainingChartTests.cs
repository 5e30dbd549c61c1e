using System.Text.Json;
using Interactive.Xai.Charts;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

public sealed class TrainingChartTests
{
    /// <summary>A run of 3 epochs x 10 steps: loss 1/(step+1), accuracy, validation each epoch, lr halving, two layers' norms.</summary>
    private static TrainingMonitor Run(bool complete = true)
    {
        var monitor = new TrainingMonitor(new TrainingMonitorOptions { MinimumUpdateInterval = TimeSpan.Zero });
        for (int epoch = 0; epoch < 3; epoch++)
        {
            for (int i = 0; i < 10; i++)
            {
                int step = epoch * 10 + i;
                monitor.Log(epoch, step, 1.0 / (step + 1), new Dictionary<string, double> { ["accuracy"] = step / 30.0 });
                monitor.LogGradientNorms(step, new Dictionary<string, double> { ["fc1"] = Math.Pow(10, -step / 10.0), [XssName] = 2.0 });
            }
            monitor.LogValidation(epoch, epoch * 10 + 9, 2.0 / (epoch + 2), new Dictionary<string, double> { ["accuracy"] = 0.2 * epoch });
            monitor.LogLearningRate(epoch, epoch * 10, 0.1 / Math.Pow(2, epoch));
        }
        if (complete) monitor.Complete();
        return monitor;
    }

    private static JsonElement[] On(JsonElement[] traces, string yAxis) => traces.Where(t => t.GetProperty("yaxis").GetString() == yAxis).ToArray();

    [Fact]
    public void The_dashboard_stacks_loss_metrics_learning_rate_and_log_scaled_gradient_norms_over_one_step_axis()
    {
        using var monitor = Run();
        var chart = TrainingCharts.Dashboard(monitor.Snapshot());
        var traces = Traces(chart);
        var layout = Layout(chart);

        // Panels: loss (y), accuracy (y2), learning rate (y3), gradient norms (y4); the step axis sits under the last.
        Assert.Equal("loss", layout.GetProperty("yaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("accuracy", layout.GetProperty("yaxis2").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("learning rate", layout.GetProperty("yaxis3").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("log", layout.GetProperty("yaxis4").GetProperty("type").GetString());
        Assert.False(layout.TryGetProperty("yaxis5", out _));
        Assert.Equal("y4", layout.GetProperty("xaxis").GetProperty("anchor").GetString());
        Assert.All(traces, t => Assert.Equal("x", t.GetProperty("xaxis").GetString()));
        Assert.Equal("Training: 3 epochs (0-2), last step 29 (finished)", layout.GetProperty("title").GetProperty("text").GetString());
        var domains = Enumerable.Range(1, 4).Select(i => Numbers(layout.GetProperty(i == 1 ? "yaxis" : $"yaxis{i}").GetProperty("domain"))).ToArray();
        for (int i = 1; i < 4; i++) Assert.True(domains[i][1] <= domains[i - 1][0], "panels do not overlap");

        var loss = On(traces, "y");
        Assert.Equal(["train", "validation"], loss.Select(t => t.GetProperty("name").GetString()!).ToArray());
        Assert.Equal(Enumerable.Range(0, 30).Select(s => (double)s).ToArray(), Numbers(loss[0].GetProperty("x")));
        Assert.Equal(Enumerable.Range(0, 30).Select(s => 1.0 / (s + 1)).ToArray(), Numbers(loss[0].GetProperty("y")));
        Assert.Equal([9.0, 19, 29], Numbers(loss[1].GetProperty("x")));
        Assert.Equal([1.0, 2 / 3.0, 0.5], Numbers(loss[1].GetProperty("y")));
        Assert.Equal([0.0, 1, 2], Numbers(loss[1].GetProperty("customdata")));
        Assert.Equal(loss[0].GetProperty("line").GetProperty("color").GetString(), On(traces, "y2")[0].GetProperty("line").GetProperty("color").GetString());
        // Train and validation appear in the legend once, not once per panel.
        Assert.Equal(2, traces.Count(t => t.GetProperty("showlegend").GetBoolean() && t.GetProperty("legendgroup").GetString() is "train" or "validation"));

        Assert.Equal([0.1, 0.05, 0.025], Numbers(On(traces, "y3")[0].GetProperty("y")));
        Assert.Equal("hv", On(traces, "y3")[0].GetProperty("line").GetProperty("shape").GetString());
        var norms = On(traces, "y4");
        Assert.Equal(["fc1", PlotText.Escape(XssName)], norms.Select(t => t.GetProperty("name").GetString()!).ToArray());
        Assert.Equal(Enumerable.Range(0, 30).Select(s => Math.Pow(10, -s / 10.0)).ToArray(), Numbers(norms[0].GetProperty("y")), new Tolerance(1e-12));
        Assert.DoesNotContain("<img", Plotly.NET.GenericChart.toFigureJson(chart));
    }

    [Fact]
    public void A_diverged_loss_leaves_a_gap_and_an_empty_run_says_nothing_was_logged()
    {
        using var monitor = new TrainingMonitor();
        var empty = TrainingCharts.Dashboard(monitor.Snapshot());
        Assert.Empty(Traces(empty));
        Assert.Equal("nothing logged yet", Layout(empty).GetProperty("annotations")[0].GetProperty("text").GetString());

        monitor.Log(0, 0, 1.0);
        monitor.Log(0, 1, double.NaN);
        monitor.Log(0, 2, double.PositiveInfinity);
        monitor.LogGradientNorms(2, new Dictionary<string, double> { ["fc"] = 0.0 });
        var traces = Traces(TrainingCharts.Dashboard(monitor.Snapshot()));
        var y = traces[0].GetProperty("y").EnumerateArray().ToArray();
        Assert.Equal(1.0, y[0].GetDouble());
        Assert.Equal(JsonValueKind.Null, y[1].ValueKind);
        Assert.Equal(JsonValueKind.Null, y[2].ValueKind);
        // Zero cannot sit on a log axis either.
        Assert.Equal(JsonValueKind.Null, traces[1].GetProperty("y")[0].ValueKind);
    }

    [Fact]
    public void Single_charts_show_one_quantity_and_unknown_metrics_are_named()
    {
        using var monitor = Run();
        var s = monitor.Snapshot();
        Assert.Equal(2, Traces(TrainingCharts.Metric(s, "accuracy")).Length);
        Assert.Single(Traces(TrainingCharts.LearningRate(s)));
        Assert.Equal("log", Layout(TrainingCharts.GradientNorms(s)).GetProperty("yaxis").GetProperty("type").GetString());
        Assert.Contains("no values of 'f1' were logged; logged: loss, accuracy", Assert.Throws<XaiException>(() => TrainingCharts.Metric(s, "f1")).Message);
    }

    [Fact]
    public void SaveHtml_writes_a_self_contained_page_with_the_last_values_and_the_dashboard()
    {
        using var monitor = Run(complete: false);
        string folder = Directory.CreateTempSubdirectory("xai-training-").FullName;
        try
        {
            string path = Path.Combine(folder, "training.html");
            monitor.SaveHtml(path, "MLP on digits");
            Assert.Equal(["training.html"], Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).ToArray());
            string html = File.ReadAllText(path);
            Assert.StartsWith("<!DOCTYPE html>", html);
            Assert.Contains("<title>MLP on digits</title>", html);
            Assert.Contains("<td>status</td><td>running</td>", html);
            Assert.Contains("<td>loss (validation), last</td><td>0.5</td>", html);
            Assert.Contains(ChartHtml.PlotlyJs[..200], html);
            Assert.Single(System.Text.RegularExpressions.Regex.Matches(html, "class=\"xai-chart\""));
            Assert.DoesNotContain("<img", html.Replace(ChartHtml.PlotlyJs, "", StringComparison.Ordinal));
            Assert.Contains("does not exist", Assert.Throws<XaiException>(() => monitor.SaveHtml(Path.Combine(folder, "missing", "x.html"))).Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon * Math.Max(1, Math.Abs(x));
        public int GetHashCode(double obj) => 0;
    }
}
