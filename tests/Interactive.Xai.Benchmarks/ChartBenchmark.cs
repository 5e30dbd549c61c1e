using System.Diagnostics;
using System.Globalization;
using System.Text;
using Interactive.Xai.Charts;
using Plotly.NET;

namespace Interactive.Xai.Benchmarks;

/// <summary>
/// Chart building and serialisation speed, and the size of a report, for attributions of 1,000 rows x 20 features
/// (a linear model's exact Shapley values, computed once; the explainer is not what is measured here).
/// </summary>
internal static class ChartBenchmark
{
    public static void Run()
    {
        const int rows = 1000, features = 20;
        var random = new Random(3);
        var values = new float[rows, features];
        for (int r = 0; r < rows; r++) for (int f = 0; f < features; f++) values[r, f] = (float)random.NextDouble();
        var names = Enumerable.Range(0, features).Select(f => $"feature_{f}").ToArray();
        var table = FeatureTable.FromArray(values, names);
        var model = DelegateModel.Linear(Enumerable.Range(0, features).Select(f => (float)(f - 10)).ToArray(), 1, names);
        var explanation = new KernelShapExplainer(model, WeightedBackground.KMeans(table, 5)).Explain(table);

        var builders = new (string Name, Func<GenericChart> Build)[]
        {
            ("importance bar", () => AttributionCharts.Importance(explanation)),
            ("beeswarm (WebGL)", () => AttributionCharts.Beeswarm(explanation)),
            ("waterfall", () => AttributionCharts.Waterfall(explanation, 0)),
            ("dependence", () => AttributionCharts.Dependence(explanation, names[0])),
            ("heatmap", () => AttributionCharts.Heatmap(explanation)),
        };
        Console.WriteLine($"Chart benchmark: attributions for {rows} rows x {features} features; best of 5, after one warm-up");
        Console.WriteLine($"{"chart",-20} {"build ms",9} {"to JSON ms",11} {"charts/s",9} {"JSON KB",8}");
        foreach (var (name, build) in builders)
        {
            GenericChart.toFigureJson(build());
            double buildMs = double.MaxValue, jsonMs = double.MaxValue;
            int size = 0;
            for (int i = 0; i < 5; i++)
            {
                var watch = Stopwatch.StartNew();
                var chart = build();
                buildMs = Math.Min(buildMs, watch.Elapsed.TotalMilliseconds);
                watch.Restart();
                size = ChartHtml.FigureJson(chart).Length;
                jsonMs = Math.Min(jsonMs, watch.Elapsed.TotalMilliseconds);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-20} {buildMs,9:F2} {jsonMs,11:F2} {1000 / (buildMs + jsonMs),9:F0} {size / 1024.0,8:F0}"));
        }

        var reportWatch = Stopwatch.StartNew();
        string html = new HtmlReport("benchmark").AddExplanation(explanation).ToHtml();
        double reportMs = reportWatch.Elapsed.TotalMilliseconds;
        int bytes = Encoding.UTF8.GetByteCount(html), plotly = Encoding.UTF8.GetByteCount(ChartHtml.PlotlyJs);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"full report (facts, importance, linked beeswarm/waterfall/heatmap, dependence): {reportMs:F0} ms, {bytes / 1048576.0:F2} MB of which plotly.js {plotly / 1048576.0:F2} MB"));
    }
}
