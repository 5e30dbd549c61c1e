using System.Collections.Immutable;
using System.Text.Json;
using Interactive.Xai.Charts;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

public sealed class ImageAttributionChartTests
{
    /// <summary>Digits (8 x 8, values 0..16) explained by occlusion of a linear model: attribution = w_i x_i exactly.</summary>
    private static (AttributionExplanation Explanation, float[] Weights, FeatureTable Rows) Digits(OutputTarget? target = null, int rows = 12)
    {
        var digits = Datasets.Digits().Features.Slice(0, rows);
        var weights = Enumerable.Range(0, 64).Select(i => (float)Math.Sin(i * 0.7) * 0.1f).ToArray();
        IModel model = target is null || target == OutputTarget.Output(0)
            ? DelegateModel.Linear(weights, 0.25f, digits.FeatureNames)
            : DelegateModel.FromRowFunction(64, ["zero", "one", XssName], (x, y) =>
            {
                float s = 0;
                for (int i = 0; i < 64; i++) s += weights[i] * x[i];
                y[0] = s; y[1] = -s; y[2] = 0.5f * s + x[0];
            }, digits.FeatureNames);
        var e = new OcclusionExplainer(model, new OcclusionOptions { InputShape = [1, 8, 8] }).Explain(digits, target);
        return (e, weights, digits);
    }

    private static double[][] Matrix(JsonElement z) => z.EnumerateArray().Select(Numbers).ToArray();

    [Fact]
    public void An_overlay_draws_the_image_in_gray_under_the_attribution_on_a_scale_symmetric_around_zero()
    {
        var (e, weights, rows) = Digits();
        var chart = ImageAttributionCharts.Overlay(e, 3);
        var traces = Traces(chart);
        Assert.Equal(2, traces.Length);
        Assert.All(traces, t => Assert.Equal("heatmap", t.GetProperty("type").GetString()));
        var image = Matrix(traces[0].GetProperty("z"));
        var attribution = Matrix(traces[1].GetProperty("z"));
        Assert.Equal(8, image.Length);
        double extent = 0;
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
            {
                Assert.Equal(rows[3, y * 8 + x], image[y][x], 1e-6);
                Assert.Equal(weights[y * 8 + x] * rows[3, y * 8 + x], attribution[y][x], 1e-4);
                extent = Math.Max(extent, Math.Abs(attribution[y][x]));
            }
        var layout = Layout(chart);
        var colours = layout.GetProperty("coloraxis");
        Assert.Equal(-extent, colours.GetProperty("cmin").GetDouble(), 1e-5);
        Assert.Equal(extent, colours.GetProperty("cmax").GetDouble(), 1e-5);
        Assert.Equal(0, colours.GetProperty("cmid").GetDouble());
        // The attribution sits on top (drawn second), semi-transparent, with a transparent centre; the image has no colour bar.
        Assert.Equal("coloraxis", traces[1].GetProperty("coloraxis").GetString());
        Assert.Equal("coloraxis2", traces[0].GetProperty("coloraxis").GetString());
        Assert.InRange(traces[1].GetProperty("opacity").GetDouble(), 0.1, 0.99);
        Assert.Equal("rgba(247,247,247,0)", colours.GetProperty("colorscale")[1][1].GetString());
        Assert.False(layout.GetProperty("coloraxis2").GetProperty("showscale").GetBoolean());
        Assert.Equal(0, layout.GetProperty("coloraxis2").GetProperty("cmin").GetDouble());
        Assert.Equal(rows.Row(3).ToArray().Max(), layout.GetProperty("coloraxis2").GetProperty("cmax").GetDouble());
        // Image row 0 on top, square pixels.
        var yAxis = layout.GetProperty("yaxis");
        Assert.Equal([7.5, -0.5], Numbers(yAxis.GetProperty("range")));
        Assert.Equal("x", yAxis.GetProperty("scaleanchor").GetString());
        Assert.Contains("row 3", layout.GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void Non_negative_attributions_use_a_scale_from_zero()
    {
        var (e, _, _) = Digits();
        var magnitudes = e with { Values = e.Values.Select(Math.Abs).ToImmutableArray() };
        var colours = Layout(ImageAttributionCharts.Overlay(magnitudes, 0)).GetProperty("coloraxis");
        Assert.Equal(0, colours.GetProperty("cmin").GetDouble());
        Assert.Equal(magnitudes.RowValues(0).Max(), colours.GetProperty("cmax").GetDouble(), 1e-5);
        Assert.False(colours.TryGetProperty("cmid", out _));
    }

    [Fact]
    public void Several_channels_show_as_the_mean_image_and_the_summed_attribution()
    {
        // 2 x 2 x 3 inputs with hand-set attributions.
        var data = FeatureTable.FromRows([Enumerable.Range(0, 12).Select(i => (float)i).ToArray()]);
        var values = Enumerable.Range(0, 12).Select(i => i % 2 == 0 ? (double)i : -i).ToImmutableArray();
        var e = new AttributionExplanation
        {
            Method = "test", OutputNames = ["y"], Targets = [0], FeatureNames = data.FeatureNames, Data = data,
            Values = values, BaseValues = [0.0], Predictions = [1.0], InputShape = [2, 2, 3],
        };
        var traces = Traces(ImageAttributionCharts.Overlay(e, 0));
        var image = Matrix(traces[0].GetProperty("z"));
        var attribution = Matrix(traces[1].GetProperty("z"));
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 3; x++)
            {
                int a = y * 3 + x, b = 6 + y * 3 + x;
                Assert.Equal((a + b) / 2.0, image[y][x], 1e-6);
                Assert.Equal(values[a] + values[b], attribution[y][x], 1e-6);
            }
    }

    [Fact]
    public void By_default_each_grid_image_has_its_own_colour_scale_from_minus_to_plus_its_largest_attribution()
    {
        // Row 0's attributions scaled down 1000-fold: on a shared scale it would show no colour, on its own it spans the scale.
        var (e, _, _) = Digits(OutputTarget.Predicted, rows: 4);
        var values = e.Values.ToArray();
        for (int i = 0; i < 64; i++) values[i] /= 1000;
        e = e with { Values = [.. values] };
        var chart = ImageAttributionCharts.Grid(e, columns: 4);
        var traces = Traces(chart);
        var layout = Layout(chart);
        Assert.Contains("each image on its own colour scale", layout.GetProperty("title").GetProperty("text").GetString());
        Assert.False(layout.TryGetProperty("coloraxis", out _), "no shared attribution scale");
        var titles = layout.GetProperty("annotations").EnumerateArray().Select(a => a.GetProperty("text").GetString()!).ToArray();
        for (int r = 0; r < 4; r++)
        {
            var attribution = traces[2 * r + 1];
            double own = e.RowValues(r).Max(Math.Abs);
            Assert.Equal(own, attribution.GetProperty("zmax").GetDouble(), own * 1e-5);
            Assert.Equal(-own, attribution.GetProperty("zmin").GetDouble(), own * 1e-5);
            Assert.False(attribution.TryGetProperty("coloraxis", out _));
            Assert.EndsWith($"scale ±{own.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}", titles[r]);
        }
        // The colours fade to transparent at zero.
        Assert.Equal("rgba(247,247,247,0)", traces[1].GetProperty("colorscale")[1][1].GetString());
    }

    [Fact]
    public void A_grid_shows_each_row_in_its_own_subplot_on_one_shared_scale_labelled_with_target_and_prediction()
    {
        var (e, _, _) = Digits(OutputTarget.Predicted, rows: 12);
        var labels = Enumerable.Range(0, 12).Select(r => $"digit {r % 10}").ToArray();
        var chart = ImageAttributionCharts.Grid(e, columns: 5, labels: labels, scale: ImageScale.Shared);
        var traces = Traces(chart);
        var layout = Layout(chart);
        Assert.Equal(24, traces.Length);
        Assert.Contains("one colour scale for all images", layout.GetProperty("title").GetProperty("text").GetString());
        double extent = 0;
        for (int i = 0; i < 12; i++)
        {
            string suffix = i == 0 ? "" : (i + 1).ToString();
            Assert.Equal("x" + suffix, traces[2 * i].GetProperty("xaxis").GetString());
            Assert.Equal("y" + suffix, traces[2 * i + 1].GetProperty("yaxis").GetString());
            Assert.Equal(i, traces[2 * i + 1].GetProperty("meta").GetInt32());
            Assert.True(layout.TryGetProperty("xaxis" + suffix, out var axis), $"xaxis{suffix}");
            var domain = Numbers(axis.GetProperty("domain"));
            Assert.InRange(domain[0], (i % 5) / 5.0, (i % 5 + 1) / 5.0);
            extent = Math.Max(extent, e.RowValues(i).Max(Math.Abs));
        }
        Assert.False(layout.TryGetProperty("xaxis13", out _));
        Assert.Equal(extent, layout.GetProperty("coloraxis").GetProperty("cmax").GetDouble(), 1e-4);
        var titles = layout.GetProperty("annotations").EnumerateArray().Select(a => a.GetProperty("text").GetString()!).ToArray();
        Assert.Equal(12, titles.Length);
        for (int r = 0; r < 12; r++)
            Assert.Equal($"row {r}: predicted {e.RowTargets[r]} ({e.Prediction(r).ToString("G4", System.Globalization.CultureInfo.InvariantCulture)})<br>label digit {r % 10}", titles[r]);

        // Chosen rows, in the order given.
        var picked = Traces(ImageAttributionCharts.Grid(e, rows: [7, 2]));
        Assert.Equal([7, 2], picked.Where((_, i) => i % 2 == 1).Select(t => t.GetProperty("meta").GetInt32()).ToArray());
    }

    [Fact]
    public void One_row_for_every_output_is_titled_with_each_escaped_output_name()
    {
        var (e, _, _) = Digits(OutputTarget.All, rows: 4);
        var chart = ImageAttributionCharts.Targets(e, 1);
        Assert.Equal(6, Traces(chart).Length);
        var titles = Layout(chart).GetProperty("annotations").EnumerateArray().Select(a => a.GetProperty("text").GetString()!).ToArray();
        Assert.StartsWith("zero = ", titles[0]);
        Assert.StartsWith("one = ", titles[1]);
        Assert.StartsWith("&lt;img src=x onerror=alert(1)&gt; = ", titles[2]);
        Assert.DoesNotContain("<img", GenericChartJson(chart));
    }

    [Fact]
    public void The_mean_absolute_map_is_the_mean_over_rows_of_each_pixels_absolute_attribution()
    {
        var (e, weights, rows) = Digits();
        var z = Matrix(Traces(ImageAttributionCharts.MeanAbsoluteMap(e))[0].GetProperty("z"));
        for (int i = 0; i < 64; i++)
        {
            double expected = Enumerable.Range(0, rows.RowCount).Average(r => Math.Abs(weights[i] * rows[r, i]));
            Assert.Equal(expected, z[i / 8][i % 8], 1e-4);
        }
    }

    [Fact]
    public void Reports_pick_image_charts_for_image_attributions_and_keep_tabular_charts_otherwise()
    {
        var (e, _, _) = Digits();
        var charts = ExplanationReport.Charts(e);
        Assert.Equal(3, charts.Count);
        Assert.Equal(24, Traces(charts[0]).Length);
        Assert.StartsWith("Attribution over the input", Layout(charts[1]).GetProperty("title").GetProperty("text").GetString());
        Assert.StartsWith("Mean |attribution| per pixel", Layout(charts[2]).GetProperty("title").GetProperty("text").GetString());
        Assert.Contains(ExplanationReport.Facts(e), f => f == ("input shape", "1 x 8 x 8"));
        var report = new HtmlReport("digits").AddExplanation(e);
        Assert.Equal(3, report.ChartCount);
        Assert.DoesNotContain("xai-linked", report.ToHtml().Replace(ChartHtml.PlotlyJs, "", StringComparison.Ordinal));

        // Several outputs: the first row for each output, then the grid of the first output.
        var (all, _, _) = Digits(OutputTarget.All, rows: 4);
        var allCharts = ExplanationReport.Charts(all);
        Assert.Equal(6, Traces(allCharts[0]).Length);
        Assert.Equal("Row 0 explained for each output; one colour scale for all images", Layout(allCharts[0]).GetProperty("title").GetProperty("text").GetString());
        Assert.Equal(8, Traces(allCharts[1]).Length);

        var tabular = LinearShap(10, [1f, 2f]);
        Assert.Equal(5, ExplanationReport.Charts(tabular).Count);
        Assert.Contains("tabular data", Assert.Throws<XaiException>(() => ImageAttributionCharts.Overlay(tabular, 0)).Message);
        Assert.Contains("row 12 is outside 0..11", Assert.Throws<XaiException>(() => ImageAttributionCharts.Overlay(e, 12)).Message);
        Assert.Contains("target slot 1", Assert.Throws<XaiException>(() => ImageAttributionCharts.Grid(e, target: 1)).Message);
    }

    private static string GenericChartJson(Plotly.NET.GenericChart chart) => Plotly.NET.GenericChart.toFigureJson(chart);
}
