using System.Text.Json;

namespace Interactive.Xai.Cli.Tests;

/// <summary>Issue 13.4: a short summary by default, the JSON only when asked (--json -), progress on standard error.</summary>
public class OutputSummaryTests
{
    private const string Linear = "a,b,c,d\n1,2,3,4\n0,1,0,1\n2,2,2,2\n";

    [Fact]
    public void WithoutOutputs_ASummaryIsPrinted_NotTheJson()
    {
        using var folder = new TempFolder();
        var (code, output, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", folder.File("x.csv", Linear),
            "--method", "exact-shap");
        Assert.True(code == 0, error);
        Assert.DoesNotContain("{", output);
        Assert.Contains("exact-shap:", output);
        // Exact SHAP of a linear model: |w_j (x_j - mean_j)|; d has the largest weight and spread.
        Assert.Contains("largest mean |attribution|: d ", output);
        Assert.Contains("--json -", output);
        Assert.True(output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 4);
    }

    [Fact]
    public void JsonDash_PrintsOnlyTheJsonOnStandardOutput_AndStillWritesTheHtml()
    {
        using var folder = new TempFolder();
        var html = folder.File("r.html");
        var (code, output, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", folder.File("x.csv", Linear),
            "--method", "exact-shap", "--json", "-", "--html", html);
        Assert.True(code == 0, error);
        Assert.Equal("exact-shap", JsonDocument.Parse(output).RootElement.GetProperty("method").GetString());
        Assert.True(File.Exists(html));
        Assert.False(File.Exists(Path.Combine(folder.Path, "-")));
    }

    [Fact]
    public void Progress_IsALineEveryFewSecondsOffATerminal_AndNothingWithQuiet()
    {
        using var error = new StringWriter();
        var reporter = new ProgressReporter(error, terminal: false);
        reporter.Report(new ExplanationProgress("kernel-shap", 10, 100));
        Assert.Equal("", error.ToString());
        Assert.Null(ProgressReporter.For(error, quiet: true));
        var terminal = new ProgressReporter(error, terminal: true);
        Thread.Sleep(800);
        terminal.Report(new ExplanationProgress("kernel-shap", 50, 100));
        Assert.Contains("kernel-shap: [##########          ] 50% (50 of 100", error.ToString());
        Assert.Contains("s left", error.ToString());
    }
}
