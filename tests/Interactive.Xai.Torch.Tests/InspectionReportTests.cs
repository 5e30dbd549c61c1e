using System.Diagnostics;
using System.Text.RegularExpressions;
using Interactive.Xai.Charts;
using Interactive.Xai.Torch.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

/// <summary>Real inspection results of TorchSharp modules, through every chart, into one report drawn by headless Chromium.</summary>
public sealed class InspectionReportTests
{
    private static HtmlReport BuildReport()
    {
        using var cnn = TestModules.Cnn();
        using var x = TestModules.Randn(21, 8, 1, 8, 8);
        using var y = tensor(new long[] { 0, 1, 2, 3, 4, 5, 6, 7 });
        var before = TorchInspector.Weights(cnn, "before training");
        var flow = TorchInspector.GradientFlow(cnn, x, y, (o, t) => nn.functional.cross_entropy(o, t));
        using (var optimizer = optim.SGD(cnn.parameters(), 0.1))
            for (int step = 0; step < 5; step++)
            {
                optimizer.zero_grad();
                using var loss = nn.functional.cross_entropy(cnn.call(x), y);
                loss.backward();
                optimizer.step();
            }
        var after = TorchInspector.Weights(cnn, "after training");
        manual_seed(3);
        using var lstm = new LstmTagger(3, 6, 2);
        using var sequence = TestModules.Randn(22, 9, 2, 3);
        using var attentionModel = new AttentionModel(10, 6, 2);
        using var tokens = tensor(new long[] { 1, 4, 2, 7, 3, 3, 9, 0, 5, 1 }).reshape(5, 2);
        var options = new FeatureVisualizationOptions { InputShape = [1, 8, 8], Steps = 20 };
        return new HtmlReport("TorchSharp inspection")
            .AddLayerSummary(TorchInspector.Summarize(cnn, [2, 1, 8, 8], "digits <cnn>"))
            .AddWeights(before)
            .AddWeightComparison(before.CompareTo(after))
            .AddActivations(TorchInspector.Activations(cnn, x))
            .AddActivations(TorchInspector.Activations(lstm, sequence))
            .AddGradientFlow(flow)
            .AddAttention(TorchInspector.Attention(attentionModel, "attention", tokens, 2, ["the", "cat", "sat", "on", "<mat>"]))
            .AddFeatureVisualizations([.. Enumerable.Range(0, 4).Select(c => FeatureVisualizer.Maximize(cnn, "features.conv1", c, options with { Seed = c }))]);
    }

    [Fact]
    public async Task Every_inspection_chart_of_real_modules_draws_in_headless_chromium()
    {
        var report = BuildReport();
        string html = report.ToHtml();
        Assert.DoesNotContain("<cnn>", html);
        Assert.DoesNotContain("<mat>", html);
        Assert.Equal(report.ChartCount, Regex.Matches(html, "class=\"xai-chart\"").Count);

        string dir = Path.Combine(Path.GetTempPath(), "xai-torch-inspect-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string page = Path.Combine(dir, "report.html");
            File.WriteAllText(page, html);
            Interactive.Xai.TestSupport.Prerequisites.RequireChromium(); // apt-get installs it when missing and root
            var start = new ProcessStartInfo("/usr/bin/chromium")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-first-run", $"--user-data-dir={Path.Combine(dir, "profile")}", "--virtual-time-budget=20000", "--dump-dom", new Uri(page).AbsoluteUri })
                start.ArgumentList.Add(arg);
            using var chromium = Process.Start(start)!;
            var dom = chromium.StandardOutput.ReadToEndAsync();
            _ = chromium.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await chromium.WaitForExitAsync(timeout.Token);
            // Every chart div received a drawn plotly figure.
            int drawn = Regex.Matches(await dom, "class=\"plot-container plotly\"").Count;
            Assert.Equal(report.ChartCount, drawn);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
