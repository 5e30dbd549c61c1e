using System.Runtime.CompilerServices;
using System.Text.Json;
using Interactive.Xai.Charts;
using Interactive.Xai.Cli;
using Interactive.Xai.Inspection;
using Interactive.Xai.MLNet;
using Microsoft.ML;

namespace Interactive.Xai.Browser.Tests;

/// <summary>
/// What a reader sees: in the demo report and in a page with every chart kind, no two text boxes (titles, axis titles,
/// tick labels, annotations, subplot titles, legend and colour-bar entries, bar and node labels, the mode bar) overlap,
/// no title, tick label, legend or colour bar covers a plot area, no text leaves its figure, and every image in an
/// image grid shows visible colour. The checks run in Chromium on the drawn SVG (layout-check.js).
/// </summary>
public sealed class LayoutTests(DemoReportFixture fixture) : IClassFixture<DemoReportFixture>
{
    private Browser Browser => fixture.Browser;

    [Fact]
    public void The_demo_report_has_no_overlapping_or_clipped_text_and_every_image_shows_colour()
    {
        Browser.Open(fixture.Path);
        AssertNoLayoutProblems();
    }

    [Fact]
    public void Every_chart_kind_has_no_overlapping_or_clipped_text_and_every_image_shows_colour()
    {
        string path = System.IO.Path.Combine(fixture.Folder, "every-chart.html");
        File.WriteAllText(path, EveryChartKind(fixture.Demo).ToHtml());
        // Kept beside the screenshots (a CI artifact) to look at when this fails.
        File.Copy(path, System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Browser.SaveScreenshot("layout-every-chart-before-open"))!, "every-chart.html"), overwrite: true);
        Browser.Open(path);
        AssertNoLayoutProblems();
    }

    [Fact]
    public void The_demo_reports_facts_name_the_cnn_output_after_its_last_layer_and_show_only_meaningful_quality_figures()
    {
        var network = fixture.Demo.Network!;
        // The CNN ends in its linear layer fc: the graph's output is fc's, not an earlier layer's (a reused tensor handle).
        Assert.Equal("fc", network.Structure.Nodes[^1].Name);
        Assert.Equal(network.Structure.Nodes[^1].Outputs[0], Assert.Single(network.Structure.Outputs).Name);
        using var json = JsonDocument.Parse(fixture.Demo.Json);
        Assert.Equal("fc", json.RootElement.GetProperty("network").GetProperty("structure").GetProperty("outputs")[0].GetProperty("name").GetString());

        string html = fixture.Demo.Html;
        // Section titles in one style; gradient maps show no "additivity error"; Kernel SHAP is compared with exact SHAP.
        foreach (var heading in new[] { "Saliency: attributions on held-out digits", "Integrated Gradients: attributions on held-out digits",
                     "Grad-CAM: attributions on held-out digits", "Occlusion: attributions on held-out digits", "Kernel SHAP compared with exact Shapley values" })
            Assert.Contains($">{heading}</h2>", html, StringComparison.Ordinal);
        foreach (var section in new[] { "Saliency", "Grad-CAM", "Occlusion" })
        {
            int start = System.Text.RegularExpressions.Regex.Match(html, $"<h2 id=\"[^\"]*\">{section}: attributions").Index;
            Assert.True(start > 0, $"no {section} section");
            int end = html.IndexOf("<h2", start + 4, StringComparison.Ordinal);
            string body = html[start..(end < 0 ? html.Length : end)];
            Assert.DoesNotContain("additivity", body, StringComparison.Ordinal);
            Assert.Contains("<td>quality figure</td><td>none: ", body, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("<td>backgroundRows</td>", html, StringComparison.Ordinal);
        var lime = fixture.Demo.Explanations.OfType<LimeExplanation>().Single();
        if (lime.MeanFidelity < ExplanationReport.LowFidelity) Assert.Contains("<td>warning</td><td>low fidelity: ", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_demo_report_has_a_navigation_pane_whose_links_bring_their_section_and_its_charts_into_view()
    {
        Browser.Driver.Navigate().GoToUrl(new Uri(fixture.Path).AbsoluteUri);
        var links = Browser.Json("""
            return Array.prototype.map.call(document.querySelectorAll('nav.xai-nav a'), function(a){
              var target = document.getElementById(a.getAttribute('href').substring(1));
              return { href: a.getAttribute('href'), text: a.textContent, target: target ? target.tagName + ':' + target.textContent : '' };
            });
            """).EnumerateArray().ToArray();
        var headings = Browser.Json("return Array.prototype.map.call(document.querySelectorAll('main h2, main h3'), function(h){ return h.tagName + ':' + h.textContent; });")
            .EnumerateArray().Select(h => h.GetString()!).ToArray();
        Assert.True(headings.Length >= 15, $"{headings.Length} headings");
        // One link per section heading, in page order, each to its own heading.
        Assert.Equal(headings, links.Select(l => l.GetProperty("target").GetString()!));
        Assert.Equal(headings.Select(h => h[(h.IndexOf(':') + 1)..]), links.Select(l => l.GetProperty("text").GetString()!));

        // The pane stays in view; clicking the last section's link scrolls its heading to the top and draws its charts.
        string id = links[^1].GetProperty("href").GetString()!.Substring(1);
        Browser.Driver.FindElement(OpenQA.Selenium.By.CssSelector($"nav.xai-nav a[href='#{id}']")).Click();
        Browser.WaitUntil(() => Browser.Script<bool>($$"""
            var r = document.getElementById('{{id}}').getBoundingClientRect();
            var nav = document.querySelector('nav.xai-nav').getBoundingClientRect();
            return Math.abs(r.top) < 40 && nav.top === 0 && nav.bottom > 0;
            """), TimeSpan.FromSeconds(10), "the last section's heading at the top of the view");
        Browser.WaitUntil(() => Browser.Script<bool>("""
            var charts = document.querySelectorAll('.xai-chart'), seen = 0;
            for (var i = 0; i < charts.length; i++) {
              var r = charts[i].getBoundingClientRect();
              if (r.bottom > 0 && r.top < window.innerHeight) { seen++; if (!charts[i]._fullLayout) return false; }
            }
            return seen > 0;
            """), TimeSpan.FromSeconds(20), "the charts in view to draw");
        // plotly.js sits after the content as inert text and runs once the page has painted; the page marks its first drawn chart.
        Assert.True(Browser.Script<bool>("""
            var source = document.getElementById('xai-plotly-source'), main = document.querySelector('main');
            return !!source && source.type === 'text/plain' && !!(main.compareDocumentPosition(source) & Node.DOCUMENT_POSITION_FOLLOWING) && !!window.Plotly;
            """), "plotly.js is not deferred after the content");
        Browser.WaitUntil(() => Browser.Script<bool>("return window.__xaiFirstDrawn > 0 && performance.getEntriesByType('navigation')[0].loadEventEnd > 0;"),
            TimeSpan.FromSeconds(30), "the first chart's drawing mark and the load event");
        var timing = Browser.Json("""
            var t = performance.getEntriesByType('navigation')[0], paint = performance.getEntriesByName('first-contentful-paint')[0];
            return { paint: paint ? paint.startTime : -1, dom: t.domContentLoadedEventEnd, first: window.__xaiFirstDrawn, load: t.loadEventEnd };
            """);
        // Timing is printed, not asserted (it depends on the machine's load).
        Console.WriteLine($"demo report ({new FileInfo(fixture.Path).Length / 1e6:F1} MB): first contentful paint {timing.GetProperty("paint").GetDouble():F0} ms, " +
            $"DOMContentLoaded {timing.GetProperty("dom").GetDouble():F0} ms, first chart drawn {timing.GetProperty("first").GetDouble():F0} ms, load {timing.GetProperty("load").GetDouble():F0} ms");
        Assert.Empty(Browser.PageProblems());
    }

    private void AssertNoLayoutProblems()
    {
        var charts = LayoutProblems(Browser);
        Assert.NotEmpty(charts);
        var failures = charts.Where(c => c.Problems.Count > 0)
            .Select(c => $"{c.Id} [{c.Title}]:\n    " + string.Join("\n    ", c.Problems)).ToArray();
        Assert.True(failures.Length == 0, $"{failures.Length} of {charts.Count} charts have layout problems:\n" + string.Join("\n", failures));
    }

    /// <summary>One entry per chart on the open page: its id, title and layout problems.</summary>
    public static IReadOnlyList<(string Id, string Title, IReadOnlyList<string> Problems)> LayoutProblems(Browser browser)
    {
        string json = (string)browser.Driver.ExecuteAsyncScript(File.ReadAllText(ScriptPath()))!;
        return JsonDocument.Parse(json).RootElement.EnumerateArray()
            .Select(c => (c.GetProperty("id").GetString()!, c.GetProperty("title").GetString()!,
                (IReadOnlyList<string>)c.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToArray()))
            .ToArray();
    }

    private static string ScriptPath([CallerFilePath] string source = "") => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(source)!, "layout-check.js");

    /// <summary>
    /// The model views: force plots (a 10-feature row with merged small contributions, a row whose base value sits near the
    /// plot's edge, stacked by similarity), the FastTree pipeline's gain importance, feature-output correlation with a constant
    /// feature, and surrogate trees of depth 4 (16 leaves), and depth 2 on a classifier.
    /// </summary>
    private static void AddModelViews(HtmlReport report, DemoResult demo, Dataset diabetes, TreeEnsemble ensemble, ITransformer trained, DataViewSchema schema)
    {
        var exact = (AttributionExplanation)demo.Explanations[0];
        report.AddChart(ForceCharts.Force(exact, 0)).AddChart(ForceCharts.Force(exact, exact.RowCount - 1, maxLabelled: 10))
            .AddChart(ForceCharts.Stacked(exact)).AddChart(ForceCharts.Stacked(exact, ForceOrder.Prediction));
        report.AddChart(TreeImportanceCharts.GainAndSplits(TreeGainImportance.Compute(ensemble)));
        using var fastTree = new MLNetModel(trained, schema, null, "FastTree pipeline");
        report.AddChart(TreeImportanceCharts.GainAndSplits(TreeGainImportance.Compute(fastTree.TreeEnsemble, diabetes.Features)));
        var withConstant = FeatureTable.FromRows(Enumerable.Range(0, diabetes.Features.RowCount).Select(r => diabetes.Features.Row(r).ToArray().Append(1f).ToArray()).ToArray(),
            [.. diabetes.Features.FeatureNames, "constant"]);
        var model = DelegateModel.FromRowFunction(withConstant.ColumnCount, x => 3 * x[2] + 0.5f * x[3] + 20 * x[8] + 0.05f * x[2] * x[3], featureNames: withConstant.FeatureNames);
        report.AddChart(OutputCorrelationCharts.Bars(OutputCorrelationAnalysis.Compute(model, withConstant)));
        report.AddChart(SurrogateCharts.Tree(GlobalSurrogate.Fit(model, withConstant, new GlobalSurrogateOptions { MaxDepth = 4 })));
        var classifier = DelegateModel.FromRowFunction(withConstant.ColumnCount, ["low", "middle", "high"], (x, y) =>
        {
            float s = 3 * x[2] + 20 * x[8];
            y[0] = 150 - s; y[1] = -Math.Abs(s - 170) + 20; y[2] = s - 190;
        }, withConstant.FeatureNames);
        report.AddChart(SurrogateCharts.Tree(GlobalSurrogate.Fit(classifier, withConstant, new GlobalSurrogateOptions { MaxDepth = 2 })));
    }

    /// <summary>Every chart builder not already in the demo report, on the demo's results and small hand-made inputs.</summary>
    internal static HtmlReport EveryChartKind(DemoResult demo)
    {
        var report = new HtmlReport("Every chart kind");
        var exact = (AttributionExplanation)demo.Explanations[0];
        var kernel = (AttributionExplanation)demo.Explanations[1];
        report.AddChart(ComparisonCharts.Bars([exact, kernel], 0));
        foreach (var e in demo.Explanations)
            if (e is AttributionExplanation a)
                report.AddChart(AttributionCharts.Importance(a)).AddChart(AttributionCharts.Dependence(a, "bmi"));

        // A linear model whose largest contribution is negative and near the left edge of its waterfall.
        var table = FeatureTable.FromArray(new float[,] { { 1, 0.1588f, 2, 0.5f }, { -1, -0.2f, 0, 0.1f }, { 0, 0.3f, 1, -0.4f } }, ["age", "x3", "bmi", "s5"]);
        var linear = DelegateModel.Linear([40f, -2f, 3f, 1f], 0.5f, table.FeatureNames);
        var shap = new ExactShapleyExplainer(linear, WeightedBackground.FromTable(table)).Explain(table);
        report.AddChart(AttributionCharts.Waterfall(shap, 1)).AddChart(AttributionCharts.Heatmap(shap)).AddChart(AttributionCharts.Beeswarm(shap));
        var twoOutputs = DelegateModel.FromRowFunction(4, ["up", "down"], (x, y) => { y[0] = x[0] - x[1]; y[1] = 2 * x[2]; }, table.FeatureNames);
        var both = new ExactShapleyExplainer(twoOutputs, WeightedBackground.FromTable(table)).Explain(table, OutputTarget.All);
        report.AddChart(AttributionCharts.Importance(both)).AddChart(AttributionCharts.Waterfall(both, 0));

        var diabetes = Datasets.Diabetes();
        report.AddChart(FeatureSelectionCharts.CorrelationHeatmap(CorrelationAnalysis.Compute(diabetes.Features)));
        var rfe = new RecursiveFeatureElimination(task =>
            new FeatureSubsetScore(task.Features.Length - 0.1 * task.Fold, task.Features.Select(f => (double)(f + 1)).ToArray()),
            new RecursiveFeatureEliminationOptions { Folds = 3 }).Explain(diabetes.Features, diabetes.Labels);
        report.AddChart(FeatureSelectionCharts.EliminationCurve(rfe));

        // The ML.NET pipeline graph, as the demo trains it.
        var context = new MLContext(1);
        var frame = diabetes.Features.ToDataFrame();
        frame.Columns.Add(new Microsoft.Data.Analysis.SingleDataFrameColumn("target", diabetes.Labels));
        var names = diabetes.Features.FeatureNames.ToArray();
        var pipeline = context.Transforms.Concatenate("Features", names)
            .Append(context.Regression.Trainers.FastTree(labelColumnName: "target", featureColumnName: "Features", numberOfLeaves: 4, numberOfTrees: 3));
        var trained = pipeline.Fit(frame);
        var structure = MLNetStructureReader.Read(trained, ((IDataView)frame).Schema, "FastTree pipeline");
        report.AddChart(StructureCharts.Graph(structure)).AddChart(LayerSummaryCharts.Table(structure));

        var tree = new DecisionTree
        {
            Feature = [0, -1, 1, -1, -1], Threshold = [0.5, 0, 2, 0, 0], Left = [1, -1, 3, -1, -1], Right = [2, -1, 4, -1, -1],
            Value = [0, -1, 0, 3, 5], Cover = [10, 4, 6, 1, 5],
        };
        var ensemble = new TreeEnsemble { Trees = [tree, tree with { Feature = [1, -1, 2, -1, -1] }], FeatureCount = 3, FeatureNames = ["age", "body-mass index", "blood pressure"] };
        report.AddChart(TreeCharts.Tree(ensemble, 0)).AddChart(TreeCharts.SplitCounts(ensemble));
        AddModelViews(report, demo, diabetes, ensemble, trained, ((IDataView)frame).Schema);

        var network = demo.Network!;
        report.AddChart(TrainingCharts.Metric(network.Training)).AddChart(TrainingCharts.LearningRate(network.Training))
            .AddChart(TrainingCharts.GradientNorms(network.Training));
        report.AddChart(LayerSummaryCharts.Table(network.Structure)).AddChart(LayerSummaryCharts.Tree(network.Structure));
        var comparison = network.Weights.CompareTo(network.Weights with { Label = "after" });
        report.AddChart(WeightCharts.Comparison(comparison, "fc.weight")).AddChart(WeightCharts.Changes(comparison));
        var attribution = network.Attributions[0];
        report.AddChart(ImageAttributionCharts.Overlay(attribution, 0)).AddChart(ImageAttributionCharts.Grid(attribution, columns: 5));

        var attention = new AttentionWeights
        {
            Layer = "encoder.attention", BatchSize = 1, HeadCount = 2, QueryLength = 3, KeyLength = 3,
            Values = [0.8f, 0.1f, 0.1f, 0.2f, 0.6f, 0.2f, 0.1f, 0.1f, 0.8f, 0.3f, 0.3f, 0.4f, 0.5f, 0.25f, 0.25f, 0.1f, 0.2f, 0.7f],
            QueryLabels = ["the", "cat", "sat"], KeyLabels = ["the", "cat", "sat"],
        };
        report.AddChart(AttentionCharts.Heatmap(attention, 0));
        var rnn = new LayerActivation
        {
            Name = "lstm", LayerType = "LSTM", Shape = [5, 1, 3], Kind = ActivationKind.Recurrent,
            Values = [.. Enumerable.Range(0, 15).Select(i => (float)Math.Sin(i))],
            Statistics = ValueStatistics.Of(Enumerable.Range(0, 15).Select(i => (float)Math.Sin(i)).ToArray()),
        };
        report.AddChart(ActivationCharts.HiddenStates(rnn));
        FeatureVisualization Image(int unit) => new()
        {
            Layer = "conv2", Unit = unit, InputShape = [1, 8, 8], Input = [.. Enumerable.Range(0, 64).Select(i => (float)Math.Sin(i * (unit + 1)))],
            StartInput = [.. new float[64]], StartActivation = 0.1, FinalActivation = 2.5 + unit, Objective = [0.1, 1, 2, 2.5 + unit],
        };
        report.AddChart(FeatureVisualizationCharts.Images([Image(0), Image(1), Image(2), Image(3)], columns: 4))
            .AddChart(FeatureVisualizationCharts.Progress([Image(0), Image(1)]));

        // Network views beyond the demo's: three activation layers (an odd count in a two-column grid, long names),
        // 40 epochs of distributions (the ridgeline thins them), an inner-layer gradient at its own resolution.
        ActivationFunctionLayer Function(string name, string type, Func<double, double> f, float lo, float hi)
        {
            var pre = Enumerable.Range(0, 500).Select(i => lo + (hi - lo) * (float)Math.Pow(i / 499.0, 1.7)).ToArray();
            var grid = Enumerable.Range(0, 101).Select(i => lo - 1 + (hi - lo + 2) * i / 100.0).ToArray();
            return new ActivationFunctionLayer
            {
                Layer = name, FunctionType = type, PreActivations = ValueDistribution.Of(pre, 40), NegativeFraction = pre.Count(v => v < 0) / 500.0,
                CurveInputs = [.. grid], CurveOutputs = [.. grid.Select(f)],
            };
        }
        report.AddChart(ActivationFunctionCharts.Curves(new ActivationFunctionUsage
        {
            InputShape = [500, 3],
            Layers = [Function("encoder.block1.activation", "GELU", v => 0.5 * v * (1 + Math.Tanh(0.7978845608 * (v + 0.044715 * v * v * v))), -4.2f, 3.1f),
                      Function("encoder.block2.activation", "Tanh", Math.Tanh, -0.8f, 2.5f), Function("head.sigmoid", "Sigmoid", v => 1 / (1 + Math.Exp(-v)), -12f, 9f)],
        }));
        using (var monitor = new TrainingMonitor())
        {
            var random = new Random(5);
            for (int epoch = 0; epoch < 40; epoch++)
                foreach (var kind in new[] { DistributionKind.Weights, DistributionKind.Gradients })
                    monitor.LogDistributions(epoch, epoch * 10L, kind, new Dictionary<string, float[]>
                    {
                        ["encoder.block1.linear.weight"] = [.. Enumerable.Range(0, 2000).Select(_ => (float)(Normal(random) * (0.1 + 0.01 * epoch) * (kind == DistributionKind.Gradients ? 1e-3 : 1)))],
                        ["head.bias"] = [.. Enumerable.Range(0, 10).Select(_ => (float)(Normal(random) + 0.05 * epoch))],
                        ["encoder.block2.linear.weight"] = [.. Enumerable.Range(0, 500).Select(_ => (float)(random.NextDouble() - 0.5))],
                    });
            var distributions = monitor.Snapshot().Distributions;
            report.AddChart(TrainingDistributionCharts.Bands(distributions, DistributionKind.Gradients))
                .AddChart(TrainingDistributionCharts.Histograms(distributions, DistributionKind.Weights, "encoder.block1.linear.weight"));
        }
        var gradient = network.LayerGradient!;
        report.AddChart(LayerGradientCharts.Magnitudes(gradient, upsample: false, columns: 4)).AddChart(LayerGradientCharts.Channels(gradient, gradient.RowCount - 1, columns: 4));
        return report;
    }

    private static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
