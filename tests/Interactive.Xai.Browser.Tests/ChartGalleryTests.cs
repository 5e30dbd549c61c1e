using System.Text.Json;
using Interactive.Xai.Charts;

namespace Interactive.Xai.Browser.Tests;

/// <summary>The image attribution, training and classifier-output charts, drawn by plotly.js in Chromium.</summary>
public sealed class ChartGalleryTests(Browser browser) : IClassFixture<Browser>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("xai-browser-gallery-").FullName;

    [Fact]
    public void Image_overlays_training_curves_and_a_confusion_matrix_draw_every_cell_without_page_errors()
    {
        // Digits explained by occlusion of a nearest-class-mean classifier, for each row's predicted class.
        var digits = Datasets.Digits();
        var means = new float[10, 64];
        var counts = new int[10];
        for (int r = 0; r < digits.Features.RowCount; r++)
        {
            int c = (int)digits.Labels[r];
            counts[c]++;
            for (int i = 0; i < 64; i++) means[c, i] += digits.Features[r, i];
        }
        var model = DelegateModel.FromRowFunction(64, Enumerable.Range(0, 10).Select(k => k.ToString()).ToArray(), (x, y) =>
        {
            for (int k = 0; k < 10; k++)
            {
                float d = 0;
                for (int i = 0; i < 64; i++) { float t = means[k, i] / counts[k] - x[i]; d += t * t; }
                y[k] = -d / 100f;
            }
        });
        var rows = digits.Features.Slice(0, 20);
        var occlusion = new OcclusionExplainer(model, new OcclusionOptions { InputShape = [1, 8, 8], PatchHeight = 2, PatchWidth = 2 }).Explain(rows, OutputTarget.Predicted);

        using var monitor = new TrainingMonitor();
        for (int step = 0; step < 60; step++)
        {
            monitor.Log(step / 20, step, 1.0 / (step + 1), new Dictionary<string, double> { ["accuracy"] = step / 60.0 });
            monitor.LogGradientNorms(step, new Dictionary<string, double> { ["fc1"] = Math.Pow(10, -step / 20.0), ["fc2"] = 1 });
            if (step % 20 == 19) monitor.LogValidation(step / 20, step, 1.5 / (step + 1));
        }
        monitor.LogLearningRate(0, 0, 0.1);
        monitor.Complete();

        var confusion = ConfusionMatrix.FromModel(model, digits.Features, digits.Labels);
        var probabilities = ClassProbabilities.FromModel(model, rows, labels: digits.Labels.Take(20).ToArray());
        string path = Path.Combine(_folder, "gallery.html");
        File.WriteAllText(path, new HtmlReport("Gallery").AddExplanation(occlusion).AddTraining(monitor.Snapshot())
            .AddChart(OutputCharts.ConfusionMatrix(confusion)).AddChart(OutputCharts.Probabilities(probabilities, 0))
            .AddChart(OutputCharts.ProbabilityHeatmap(probabilities)).ToHtml());

        browser.Open(path);
        var charts = browser.Json(Browser.ChartSummaryScript).EnumerateArray().ToArray();
        browser.SaveScreenshot("chart-gallery-top");
        Assert.Equal(7, charts.Length);
        foreach (var chart in charts)
        {
            Assert.True(chart.GetProperty("mainSvg").GetInt32() >= 1, $"{chart.GetProperty("title")} has no .main-svg");
            var visible = chart.GetProperty("traces").EnumerateArray().Where(t => t.GetProperty("visible").GetBoolean()).ToArray();
            Assert.Equal(visible.Count(t => t.GetProperty("type").GetString() == "heatmap"), chart.GetProperty("heatmapImages").GetInt32());
            Assert.Equal(visible.Count(t => t.GetProperty("type").GetString() == "scatter" && t.GetProperty("mode").GetString()!.Contains("lines")),
                chart.GetProperty("scatterLines").GetInt32());
        }
        // Grid: 20 images under 20 attributions; overlay: 1 + 1; mean map: 1.
        Assert.Equal([40, 2, 1], charts.Take(3).Select(c => c.GetProperty("heatmapImages").GetInt32()).ToArray());
        // Training: train and validation loss, train accuracy, learning rate, two layers' norms.
        Assert.Equal(6, charts[3].GetProperty("scatterLines").GetInt32());
        // Confusion matrix: every one of the 10 x 10 cells carries its count and rate as text.
        Assert.Equal(100, charts[4].GetProperty("heatmapTexts").GetInt32());
        Assert.Equal(10, charts[5].GetProperty("bars").GetInt32());
        Assert.Equal(20, charts[6].GetProperty("scatterPoints").GetInt32());
        Assert.Empty(browser.PageProblems());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
