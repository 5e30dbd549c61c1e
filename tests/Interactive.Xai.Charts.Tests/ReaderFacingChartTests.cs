using System.Globalization;
using Interactive.Xai.Charts;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

/// <summary>What a reader sees at a glance: titles that fit, scales that show the signal, facts that mean something.</summary>
public sealed class ReaderFacingChartTests
{
    [Fact]
    public void Comparison_bars_show_the_row_asked_for_not_always_the_first()
    {
        var a = LinearShap(6, [1f, -2f, 3f]);
        var b = a with { Method = "copy" };
        var bars = Traces(ComparisonCharts.Bars([a, b], 4));
        // Features by |value| in row 4, drawn bottom to top; each bar is row 4's value.
        var labels = Strings(bars[0].GetProperty("y"));
        var x = Numbers(bars[0].GetProperty("x"));
        for (int i = 0; i < labels.Length; i++)
            Assert.Equal(a.Value(4, Array.IndexOf(a.FeatureNames.ToArray(), labels[i])), x[i], 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => ComparisonCharts.Bars([a, b], 6));
    }

    [Fact]
    public void A_learning_rate_is_drawn_on_an_axis_from_zero_to_just_above_its_largest_value_and_layers_never_reuse_the_split_colours()
    {
        using var monitor = new TrainingMonitor(new TrainingMonitorOptions { MinimumUpdateInterval = TimeSpan.Zero });
        for (int step = 0; step < 16; step++)
        {
            monitor.Log(step / 8, step, 1.0 / (step + 1));
            monitor.LogGradientNorms(step, new Dictionary<string, double> { ["conv1"] = 1, ["conv2"] = 2, ["fc"] = 3 });
            if (step % 8 == 7) monitor.LogValidation(step / 8, step, 0.5);
        }
        monitor.LogLearningRate(0, 0, 0.01);
        monitor.Complete();
        var chart = TrainingCharts.Dashboard(monitor.Snapshot());
        var layout = Layout(chart);
        // Panels: loss (y), learning rate (y2), gradient norms (y3).
        Assert.Equal("learning rate", layout.GetProperty("yaxis2").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal([0.0, 0.0115], Numbers(layout.GetProperty("yaxis2").GetProperty("range")), new ToleranceComparer(1e-12));
        var colours = Traces(chart).Select(t => (Name: t.GetProperty("name").GetString()!, Colour: t.GetProperty("line").GetProperty("color").GetString()!)).ToArray();
        Assert.Equal(["train", "validation", "learning rate", "conv1", "conv2", "fc"], colours.Select(c => c.Name));
        Assert.Equal(colours.Length, colours.Select(c => c.Colour).Distinct().Count());
        // Two epochs numbered 0 and 1 read as two epochs, not "epoch 1".
        Assert.Equal("Training: 2 epochs (0-1), last step 15 (finished)", layout.GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void A_waterfall_leaves_room_beyond_its_outermost_bars_for_their_printed_values()
    {
        var e = LinearShap(5, [4f, -1f, 0.5f]);
        var layout = Layout(AttributionCharts.Waterfall(e, 2));
        var range = Numbers(layout.GetProperty("xaxis").GetProperty("range"));
        double position = e.BaseValue(), low = Math.Min(position, e.Prediction(2)), high = Math.Max(position, e.Prediction(2));
        foreach (var v in e.RowValues(2)) { position += v; low = Math.Min(low, position); high = Math.Max(high, position); }
        Assert.Equal(low - 0.2 * (high - low), range[0], 9);
        Assert.Equal(high + 0.2 * (high - low), range[1], 9);
    }

    [Fact]
    public void Long_titles_are_broken_into_lines_that_fit_and_sit_below_the_mode_bar()
    {
        string longTitle = "Gradient flow: loss 0.0677 on a batch of 64; no warnings (vanishing below 1E-07 of the largest layer, exploding above 1000)";
        string wrapped = Figure.WrapTitle(longTitle);
        var lines = wrapped.Split("<br>");
        Assert.True(lines.Length >= 2);
        Assert.All(lines, l => Assert.InRange(l.Length, 1, Figure.MaxTitleLine));
        Assert.Equal(longTitle, string.Join(" ", lines));
        // A <sub> line keeps its tag on both halves; short titles are untouched.
        string sub = "Short<br><sub>" + string.Join(", ", Enumerable.Range(0, 30).Select(i => $"item {i}")) + "</sub>";
        Assert.All(Figure.WrapTitle(sub).Split("<br>").Skip(1), l => Assert.Matches("^<sub>.*</sub>$", l));
        Assert.Equal("Short title", Figure.WrapTitle("Short title"));

        var e = LinearShap(5, [1f, 2f]);
        var title = Layout(AttributionCharts.Importance(e)).GetProperty("title");
        Assert.Equal("container", title.GetProperty("yref").GetString());
        Assert.Equal("top", title.GetProperty("yanchor").GetString());
        Assert.True(title.GetProperty("pad").GetProperty("t").GetInt32() >= 30, "room for the mode bar above the title");
    }

    [Fact]
    public void Colour_bar_titles_run_along_the_bar_so_they_never_meet_its_top_label()
    {
        var e = LinearShap(5, [1f, 2f]);
        var heatmap = Traces(AttributionCharts.Heatmap(e))[0];
        Assert.Equal("right", heatmap.GetProperty("colorbar").GetProperty("title").GetProperty("side").GetString());
    }

    [Fact]
    public void Each_attribution_method_shows_its_own_quality_figure_and_gradient_maps_no_additivity_error()
    {
        var shap = LinearShap(5, [1f, 2f]);
        Assert.StartsWith("additivity error", ExplanationReport.QualityFacts(shap).Single().Label);
        foreach (var method in new[] { "saliency", "grad-cam", "occlusion" })
        {
            var facts = ExplanationReport.QualityFacts(shap with { Method = method, AdditivityError = 13.1 });
            Assert.DoesNotContain(facts, f => f.Label.Contains("additivity", StringComparison.Ordinal) || f.Value.Contains("13.1", StringComparison.Ordinal));
            Assert.StartsWith("none: ", facts.Single().Value);
            Assert.Equal("", ExplanationReport.QualitySummary(shap with { Method = method }));
        }
        var ig = shap with { Method = "ig", ConvergenceDeltas = [0.01, -0.235, 0.1, 0, 0] };
        var igFact = ExplanationReport.QualityFacts(ig).Single();
        Assert.Contains("convergence delta", igFact.Label);
        Assert.Equal("0.235", igFact.Value);
        Assert.Equal(["Saliency", "Integrated Gradients", "Grad-CAM", "Occlusion", "Exact Shapley values", "Something"],
            new[] { "saliency", "ig", "grad-cam", "occlusion", "exact-shap", "something" }.Select(ExplanationReport.MethodTitle));
    }

    [Fact]
    public void Fact_tables_have_readable_keys_no_empty_rows_and_warn_about_low_lime_fidelity()
    {
        Assert.Equal("background rows", ExplanationReport.ReadableKey("backgroundRows"));
        Assert.Equal("layer map", ExplanationReport.ReadableKey("layerMap"));
        Assert.Equal("post-hoc sparsity", ExplanationReport.ReadableKey("postHocSparsity"));
        Assert.Equal("kernel width", ExplanationReport.ReadableKey("kernel width"));

        var shap = LinearShap(5, [1f, 2f]) with
        {
            Details = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty.Add("backgroundRows", "20").Add("integer", ""),
        };
        var facts = ExplanationReport.Facts(shap);
        Assert.Contains(("background rows", "20"), facts);
        Assert.DoesNotContain(facts, f => f.Label == "integer" || f.Label == "backgroundRows");

        // A model with a sharp interaction explained by LIME gives a poor local linear fit.
        var training = Table(200, 3, 11);
        var model = DelegateModel.FromRowFunction(3, ["y"], (x, y) => y[0] = MathF.Sign(x[0] * x[1] * x[2]) * 5 + MathF.Sin(20 * x[0]));
        var lime = new LimeExplainer(model, training, new LimeOptions { Samples = 300, Seed = 3 }).Explain(training.Slice(0, 2));
        var warning = ExplanationReport.Facts(lime).Where(f => f.Label == "warning").Select(f => f.Value).SingleOrDefault();
        if (lime.MeanFidelity < ExplanationReport.LowFidelity)
        {
            Assert.NotNull(warning);
            Assert.StartsWith("low fidelity: ", warning);
            Assert.EndsWith("(low)", ExplanationReport.QualitySummary(lime));
        }
        else Assert.Null(warning);
        Assert.True(lime.MeanFidelity < ExplanationReport.LowFidelity, $"the test model should fit poorly; fidelity {lime.MeanFidelity.ToString(CultureInfo.InvariantCulture)}");
    }
}
