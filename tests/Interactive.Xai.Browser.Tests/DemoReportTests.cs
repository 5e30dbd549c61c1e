using System.Text.Json;
using Interactive.Xai.Cli;
using Interactive.Xai.Inspection;
using OpenQA.Selenium.Interactions;

namespace Interactive.Xai.Browser.Tests;

/// <summary>The demo report, generated in process and written to a temporary file, plus one browser for the class.</summary>
public sealed class DemoReportFixture : IDisposable
{
    public const int Rows = 40;
    public const int Epochs = 2;

    public DemoReportFixture()
    {
        Demo = DemoCommand.Build(Rows, seed: 42, Epochs);
        Folder = Directory.CreateTempSubdirectory("xai-browser-demo-").FullName;
        Path = System.IO.Path.Combine(Folder, "xai-demo.html");
        File.WriteAllText(Path, Demo.Html);
        Browser = new Browser();
    }

    internal DemoResult Demo { get; }
    public string Folder { get; }
    public string Path { get; }
    public Browser Browser { get; }

    public void Dispose()
    {
        Browser.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}

public sealed class DemoReportTests(DemoReportFixture fixture) : IClassFixture<DemoReportFixture>
{
    private Browser Browser => fixture.Browser;

    [Fact]
    public void The_demo_report_opened_from_disk_draws_every_chart_with_its_points_and_bars_and_no_page_errors()
    {
        Browser.Open(fixture.Path);
        var charts = Browser.Json(Browser.ChartSummaryScript).EnumerateArray().ToArray();
        Browser.SaveScreenshot("demo-report-top");

        // Each attribution section has five charts (importance, beeswarm, waterfall, heatmap, dependence); LIME one per
        // row (at most five), the counterfactual two per row (table, changes); every other result one (permutation
        // importance, PDP, centred ICE, 2-D PDP, ALE). The network's sections follow (see CheckNetworkCharts).
        var results = fixture.Demo.Explanations;
        var network = fixture.Demo.Network;
        Assert.NotNull(network);
        var networkCharts = NetworkCharts(network);
        Assert.Equal(results.Sum(ChartCount) + networkCharts.Count, charts.Length);
        foreach (var chart in charts)
        {
            string title = chart.GetProperty("title").GetString()!;
            Assert.True(chart.GetProperty("mainSvg").GetInt32() >= 1, $"{chart.GetProperty("id")} ({title}) has no .main-svg");
            var traces = chart.GetProperty("traces").EnumerateArray().Where(t => t.GetProperty("visible").GetBoolean()).ToArray();
            Assert.NotEmpty(traces);
            // What plotly drew equals what plotly computed from the data: markers, bars, waterfall steps, heatmaps.
            int Calc(Func<JsonElement, bool> which) => traces.Where(which).Sum(t => t.GetProperty("calc").GetInt32());
            Assert.Equal(Calc(t => Type(t) == "scatter" && Mode(t).Contains("markers")), chart.GetProperty("scatterPoints").GetInt32());
            // One drawn line per line trace, except the structure graph's data-flow trace: one segment per edge (null-separated).
            int lineTraces = traces.Count(t => Type(t) == "scatter" && Mode(t).Contains("lines"));
            if (network is not null && title.StartsWith($"{network.Structure.Name}: {network.Structure.Nodes.Length} nodes", StringComparison.Ordinal))
            {
                var st = network.Structure;
                int segments = st.Edges().Count
                    + st.Inputs.Sum(i => st.Nodes.Count(n => n.Inputs.Contains(i.Name)))
                    + st.Outputs.Sum(o => st.Nodes.Count(n => n.Outputs.Contains(o.Name)));
                Assert.Equal(st.Nodes.Length + 1, segments); // a chain: input -> 7 layers -> output
                lineTraces += segments - 1;
            }
            Assert.True(lineTraces == chart.GetProperty("scatterLines").GetInt32(), $"{title}: {lineTraces} lines expected, {chart.GetProperty("scatterLines").GetInt32()} drawn");
            Assert.Equal(Calc(t => Type(t) is "bar" or "histogram"), chart.GetProperty("bars").GetInt32());
            Assert.Equal(Calc(t => Type(t) == "waterfall"), chart.GetProperty("waterfallBars").GetInt32());
            Assert.Equal(traces.Count(t => Type(t) == "heatmap"), chart.GetProperty("heatmapImages").GetInt32());
            if (traces.Any(t => Type(t) == "contour")) Assert.True(chart.GetProperty("contours").GetInt32() > 0);
        }

        // The attribution charts hold the numbers each explanation implies, section by section.
        int next = 0;
        foreach (var result in results)
        {
            if (result is LimeExplanation lime)
            {
                for (int r = 0; r < ChartCount(lime); r++)
                {
                    var bar = charts[next + r];
                    // One bar per feature the surrogate selected (five asked for).
                    Assert.Equal(5, lime.SelectedFeatures[r].Length);
                    Assert.Equal(lime.SelectedFeatures[r].Length, bar.GetProperty("bars").GetInt32());
                    Assert.StartsWith($"LIME, row {r},", Title(bar));
                }
            }
            if (result is CounterfactualExplanation cf)
            {
                Assert.Equal(1, cf.RowCount);
                var set = cf.Sets[0];
                Assert.True(set.Count >= 1, "the demo's counterfactual search found nothing");
                Assert.StartsWith($"Counterfactuals for row 0 ", Title(charts[next]));
                // The changes chart: one bar trace per counterfactual found.
                Assert.StartsWith($"Counterfactuals for row 0 ", Title(charts[next + 1]));
                Assert.Equal(set.Count, charts[next + 1].GetProperty("traces").GetArrayLength());
            }
            if (result is AttributionExplanation { Method: "kernel-shap" } kernel)
            {
                // Kernel SHAP is compared with exact SHAP: grouped bars (one trace per method) for row 0 and the row where they differ most.
                Assert.Equal($"Attributions of row 0 by method (Score)", Title(charts[next]));
                for (int i = 0; i < ChartCount(kernel); i++) Assert.Equal(2, charts[next + i].GetProperty("traces").GetArrayLength());
                if (ChartCount(kernel) == 2) Assert.Equal($"Attributions of row {WorstRow(kernel)} by method (Score)", Title(charts[next + 1]));
                next += ChartCount(kernel);
                continue;
            }
            if (result is not AttributionExplanation a) { next += ChartCount(result); continue; }
            var (importance, beeswarm, waterfall, heatmap, dependence) = (charts[next], charts[next + 1], charts[next + 2], charts[next + 3], charts[next + 4]);
            next += 5;
            int rows = a.RowCount, features = a.FeatureCount, shownFeatures = Math.Min(features, 20), steps = Math.Min(features, 10);
            Assert.StartsWith("Feature importance", Title(importance));
            Assert.Equal(shownFeatures, importance.GetProperty("bars").GetInt32());
            Assert.StartsWith("Attributions per row", Title(beeswarm));
            Assert.Equal(shownFeatures, beeswarm.GetProperty("traces").GetArrayLength());
            Assert.All(beeswarm.GetProperty("traces").EnumerateArray(), t => Assert.Equal(rows, t.GetProperty("points").GetInt32()));
            Assert.Equal(rows * shownFeatures, beeswarm.GetProperty("scatterPoints").GetInt32());
            Assert.StartsWith("Row 0:", Title(waterfall));
            Assert.Equal(steps + 1, waterfall.GetProperty("waterfallBars").GetInt32());
            Assert.StartsWith("Attributions, rows x features", Title(heatmap));
            var z = heatmap.GetProperty("traces")[0];
            Assert.Equal((shownFeatures, rows), (z.GetProperty("zRows").GetInt32(), z.GetProperty("zColumns").GetInt32()));
            Assert.Equal(1, heatmap.GetProperty("heatmapImages").GetInt32());
            Assert.StartsWith("Dependence of", Title(dependence));
            Assert.Equal(rows, dependence.GetProperty("scatterPoints").GetInt32());
        }
        Assert.Equal(2, results.Count(r => r is AttributionExplanation { RowCount: DemoReportFixture.Rows }));
        Assert.Equal(["exact-shap", "kernel-shap"], results.OfType<AttributionExplanation>().Select(r => r.Method));

        // The network's charts, section by section, each with what its record implies.
        Assert.Equal(charts.Length - next, networkCharts.Count);
        for (int i = 0; i < networkCharts.Count; i++)
        {
            var (titleStart, check) = networkCharts[i];
            var chart = charts[next + i];
            Assert.True(Title(chart).StartsWith(titleStart, StringComparison.Ordinal), $"network chart {i}: expected a title starting '{titleStart}', got '{Title(chart)}'");
            check(chart);
        }
        const int features10 = 10;
        var permutation = charts.Single(c => Title(c).StartsWith("Permutation importance"));
        Assert.Equal(features10, permutation.GetProperty("bars").GetInt32());
        Assert.Equal(features10 * 10, permutation.GetProperty("scatterPoints").GetInt32());

        Assert.Empty(Browser.PageProblems());
        // The page is self-contained: nothing but the file itself was requested.
        var resources = Browser.Json("return performance.getEntriesByType('resource').map(function(e){ return e.name; });");
        Assert.Empty(resources.EnumerateArray());
    }

    [Fact]
    public void Clicking_a_beeswarm_dot_with_the_mouse_shows_that_rows_waterfall()
    {
        Browser.Open(fixture.Path);
        var shap = (AttributionExplanation)fixture.Demo.Explanations[0];
        // The first linked view (exact Shapley): beeswarm, status line, waterfall, heatmap.
        var ids = Browser.Json("var c = document.querySelectorAll('.xai-linked')[0].querySelectorAll('.xai-chart'); return [c[0].id, c[1].id, c[2].id];");
        string beeswarm = ids[0].GetString()!, waterfall = ids[1].GetString()!;
        Assert.StartsWith("Row 0:", WaterfallState(waterfall).GetProperty("title").GetString());

        // The most important feature's trace is the top one (last); its dot furthest right stands apart from the others.
        Browser.Driver.ExecuteScript($"document.getElementById('{beeswarm}').scrollIntoView({{block: 'center'}});");
        var target = Browser.Json($$"""
            var gd = document.getElementById('{{beeswarm}}'), ti = gd.data.length - 1, t = gd.data[ti];
            var best = 0;
            for (var i = 1; i < t.x.length; i++) if (t.x[i] > t.x[best]) best = i;
            if (t.customdata[best][0] === 0) { for (var j = 0; j < t.x.length; j++) if (t.x[j] < t.x[best]) best = j; }
            var xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, rect = gd.getBoundingClientRect();
            return { row: t.customdata[best][0], x: rect.left + xa._offset + xa.l2p(t.x[best]), y: rect.top + ya._offset + ya.l2p(t.y[best]) };
            """);
        int row = target.GetProperty("row").GetInt32();
        Assert.NotEqual(0, row);

        // A real mouse: move over the dot (plotly's hover picks it), then press and release there.
        new Actions(Browser.Driver)
            .MoveToLocation((int)Math.Round(target.GetProperty("x").GetDouble()), (int)Math.Round(target.GetProperty("y").GetDouble()))
            .Pause(TimeSpan.FromMilliseconds(250))
            .Click()
            .Perform();
        Browser.WaitUntil(() => Browser.Script<string?>("return document.getElementById('link-1-status').getAttribute('data-row');") == row.ToString(),
            TimeSpan.FromSeconds(30), $"the status line to name row {row} after the click");

        var state = WaterfallState(waterfall);
        Assert.StartsWith($"Row {row}:", state.GetProperty("title").GetString());
        Assert.Equal(shap.BaseValue(), state.GetProperty("base").GetDouble(), 6);
        // Steps bottom to top: every feature's attribution by ascending |value|, then the f(x) total.
        var values = shap.RowValues(row);
        var expected = Enumerable.Range(0, values.Length).OrderByDescending(f => Math.Abs(values[f])).ThenBy(f => f).Reverse().ToArray();
        var x = state.GetProperty("x").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var y = state.GetProperty("y").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(values.Length + 1, x.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(values[expected[i]], x[i], 6);
            Assert.StartsWith(shap.FeatureNames[expected[i]] + " = ", y[i]);
        }
        Assert.Equal("f(x)", y[^1]);
        Assert.Equal(shap.Prediction(row), shap.BaseValue() + x.Take(values.Length).Sum(), 4);
        Browser.SaveScreenshot("demo-report-after-click");
        Assert.Empty(Browser.PageProblems());
    }

    /// <summary>The row where Kernel SHAP and exact SHAP differ most (largest |difference| of one value).</summary>
    private int WorstRow(AttributionExplanation kernel)
    {
        var exact = (AttributionExplanation)fixture.Demo.Explanations[0];
        Assert.Equal("exact-shap", exact.Method);
        double max = -1;
        int worst = 0;
        for (int r = 0; r < kernel.RowCount; r++)
            for (int f = 0; f < kernel.FeatureCount; f++)
                if (Math.Abs(kernel.Value(r, f) - exact.Value(r, f)) is var d && d > max) { max = d; worst = r; }
        return worst;
    }

    private int ChartCount(Explanation result) => result switch
    {
        AttributionExplanation { Method: "kernel-shap" } kernel => WorstRow(kernel) == 0 ? 1 : 2,
        AttributionExplanation => 5,
        LimeExplanation lime => Math.Min(lime.RowCount, 5),
        CounterfactualExplanation cf => 2 * Math.Min(cf.RowCount, 5),
        _ => 1,
    };

    /// <summary>The network part's charts in report order: a title prefix and a check of what the chart holds.</summary>
    private static List<(string Title, Action<JsonElement> Check)> NetworkCharts(DemoNetworkResult network)
    {
        var charts = new List<(string, Action<JsonElement>)>();
        var training = network.Training;
        long steps = training.LastStep!.Value + 1;
        Assert.Equal((long)network.Epochs * ((network.TrainRowCount + 63) / 64), steps);
        // Training: one line per logged series (loss and accuracy on both splits, learning rate, three layers' norms), each with every point logged.
        var seriesLengths = training.Metrics.Select(m => m.Points.Length).Append(training.LearningRate.Points.Length)
            .Concat(training.GradientNorms.Select(g => g.Points.Length)).Order().ToArray();
        charts.Add(($"Training: {network.Epochs} epochs (0-{network.Epochs - 1}), last step {steps - 1} (finished)", c =>
        {
            Assert.Equal(4 + 1 + 3, seriesLengths.Length);
            Assert.Equal(seriesLengths, c.GetProperty("traces").EnumerateArray().Select(t => t.GetProperty("points").GetInt32()).Order().ToArray());
            Assert.Equal(seriesLengths.Length, c.GetProperty("scatterLines").GetInt32());
        }));
        // Distributions over training, logged once per epoch: quantile bands (4 band edge pairs and the median per tensor)
        // and the first tensor's histogram per epoch, for the weights and then the gradients.
        int parameterTensors = network.Weights.Tensors.Length;
        foreach (var kind in new[] { "Weight", "Gradient" })
        {
            charts.Add(($"{kind} distributions over training", c => Assert.Equal(9 * parameterTensors, c.GetProperty("traces").GetArrayLength())));
            charts.Add(($"conv1.weight: {kind.ToLowerInvariant()} histogram per epoch", c => Assert.Equal(network.Epochs, c.GetProperty("traces").GetArrayLength())));
        }
        // Layer summary: the module tree and the data-flow graph.
        charts.Add(("DigitsCnn: module tree", _ => { }));
        charts.Add(($"DigitsCnn: {network.Structure.Nodes.Length} nodes", c => Assert.True(c.GetProperty("scatterPoints").GetInt32() >= network.Structure.Nodes.Length)));
        // Weights: statistics, histograms (one per tensor), then conv1/conv2 filter grids and the fc heatmap.
        var tensors = network.Weights.Tensors;
        charts.Add(("trained weights: weight statistics per tensor", _ => { }));
        charts.Add(("", c => Assert.Equal(tensors.Length, c.GetProperty("traces").GetArrayLength())));
        foreach (var t in tensors.Where(t => t.Shape.Length >= 2).Take(6))
        {
            if (t.Shape.Length == 4)
                charts.Add(($"{t.Name}: {t.Shape[0]} filters {t.Shape[2]}x{t.Shape[3]}", c => Assert.True(c.GetProperty("heatmapImages").GetInt32() >= 1)));
            else
                charts.Add(($"{t.Name} [{string.Join(" x ", t.Shape)}]", c =>
                {
                    var z = c.GetProperty("traces")[0];
                    Assert.Equal((t.Shape[0], t.Shape[1]), ((long)z.GetProperty("zRows").GetInt32(), (long)z.GetProperty("zColumns").GetInt32()));
                }));
        }
        Assert.Equal(["conv1.weight", "conv2.weight", "fc.weight"], tensors.Where(t => t.Shape.Length >= 2).Select(t => t.Name));
        // Activations: distributions (one trace per layer), dead ReLU units, feature maps of the conv layers for the first digit.
        var layers = network.Activations.Layers;
        charts.Add(("Activation distributions per layer", c => Assert.Equal(layers.Length, c.GetProperty("traces").GetArrayLength())));
        if (layers.Any(l => l.DeadFraction is not null)) charts.Add(("Dead ReLU units", _ => { }));
        foreach (var l in layers.Where(l => l.Kind == ActivationKind.FeatureMaps && l.Shape.Length == 4).Take(6))
            charts.Add(($"{l.Name} ({l.LayerType})", c => Assert.True(c.GetProperty("heatmapImages").GetInt32() >= 1)));
        Assert.Contains(layers, l => l.Name == "conv2" && l.Kind == ActivationKind.FeatureMaps);
        // Gradient flow: bars for the layers.
        charts.Add(("Gradient flow: loss", c => Assert.True(c.GetProperty("bars").GetInt32() >= network.GradientFlow.Layers.Count(l => l.Weights is not null))));
        // The gradient of each shown digit's predicted output with respect to conv2 (one mosaic with the inputs' outlines,
        // then the first digit per channel) and the two ReLUs over the ranges they reach (a curve and 40 bars each).
        charts.Add(("Gradient of the output with respect to conv2", c => Assert.Equal(1, c.GetProperty("heatmapImages").GetInt32())));
        charts.Add(("Row 0: gradient of output", c => Assert.Equal(1, c.GetProperty("heatmapImages").GetInt32())));
        charts.Add(("Activation functions over the inputs they reach: 2 layers", c =>
        {
            Assert.Equal(2, c.GetProperty("scatterLines").GetInt32());
            Assert.Equal(2 * 40, c.GetProperty("bars").GetInt32());
        }));
        // Held-out outputs: the 10 x 10 confusion matrix, the probability heatmap and the first row's ten bars.
        charts.Add(($"Confusion matrix ({network.Confusion.Total} rows", c =>
        {
            var z = c.GetProperty("traces")[0];
            Assert.Equal((10, 10), (z.GetProperty("zRows").GetInt32(), z.GetProperty("zColumns").GetInt32()));
        }));
        charts.Add(("Class probabilities", c => Assert.Equal(1, c.GetProperty("heatmapImages").GetInt32())));
        charts.Add(("Row 0: predicted", c => Assert.Equal(10, c.GetProperty("bars").GetInt32())));
        // Image attributions: a grid with an image and an 8 x 8 attribution heatmap per digit, and the mean |attribution| map.
        Assert.Equal(["saliency", "ig", "grad-cam", "occlusion"], network.Attributions.Select(a => a.Method));
        foreach (var a in network.Attributions)
        {
            Assert.Equal(10, a.RowCount);
            charts.Add(("Attributions over the inputs (each row's predicted output), 10 rows", c =>
            {
                var heatmaps = c.GetProperty("traces").EnumerateArray().Where(t => Type(t) == "heatmap").ToArray();
                Assert.Equal(2 * a.RowCount, heatmaps.Length);
                Assert.All(heatmaps, h => Assert.Equal((8, 8), (h.GetProperty("zRows").GetInt32(), h.GetProperty("zColumns").GetInt32())));
                Assert.Equal(2 * a.RowCount, c.GetProperty("heatmapImages").GetInt32());
            }));
            charts.Add(($"Mean |attribution| per pixel over {a.RowCount} rows", c => Assert.Equal(1, c.GetProperty("heatmapImages").GetInt32())));
        }
        return charts;
    }

    private JsonElement WaterfallState(string id) => Browser.Json($$"""
        var gd = document.getElementById('{{id}}'), t = gd.data[0];
        return { title: gd._fullLayout.title.text, base: t.base, x: Array.from(t.x), y: Array.from(t.y) };
        """);

    private static string Type(JsonElement trace) => trace.GetProperty("type").GetString()!;
    private static string Mode(JsonElement trace) => trace.GetProperty("mode").GetString()!;
    private static string Title(JsonElement chart) => chart.GetProperty("title").GetString()!;
}
