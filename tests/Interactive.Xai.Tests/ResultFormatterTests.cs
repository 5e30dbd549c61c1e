using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Interactive.Xai.Inspection;
using Interactive.Xai.Notebook;
using Interactive.Xai.Torch;

namespace Interactive.Xai.Tests;

/// <summary>Result types that used to show as raw object trees: each now has its own view.</summary>
public sealed class ResultFormatterTests
{
    static ResultFormatterTests() => NotebookFormatters.Register();

    private static int Charts(string html) => Regex.Matches(html, "<div class=\"xai-chart\"").Count;

    [Fact]
    public void A_training_snapshot_shows_its_facts_and_dashboard()
    {
        using var monitor = new TrainingMonitor();
        for (int step = 0; step < 4; step++) monitor.Log(0, step, 2.0 - step);
        monitor.LogLearningRate(0, 3, 0.01);
        monitor.Complete();

        string html = NotebookFormatters.ToHtml(monitor.Snapshot());

        Assert.Contains("Training (finished)", html);
        Assert.Contains("<td>finished</td>", html);
        Assert.Equal(1, Charts(html));
        Assert.DoesNotContain("GradientNorms", html);   // not the object tree
    }

    [Fact]
    public void A_weight_comparison_shows_each_tensors_relative_change()
    {
        static WeightSnapshot Snapshot(string label, float scale) => new()
        {
            Label = label,
            Tensors = [new StructureTensor("layer.weight", "float32", [2, 2]) { Values = [1 * scale, 2 * scale, 3 * scale, 4 * scale], Trainable = true }],
        };
        var comparison = Snapshot("before", 1).CompareTo(Snapshot("after", 2));

        string html = NotebookFormatters.ToHtml(comparison);

        Assert.Contains("Weights: before vs after", html);
        Assert.Contains("<td>layer.weight</td><td>1</td>", html);   // ‖2w − w‖ / ‖w‖ = 1
        Assert.Equal(2, Charts(html));
    }

    [Fact]
    public async Task The_load_time_warm_up_draws_nothing_and_leaves_plotly_js_for_the_first_real_output()
    {
        NotebookHtml.ResetSession();
        await XaiNotebook.WarmUp();
        Assert.False(NotebookHtml.PlotlyWritten);
        Assert.Contains("<script", NotebookHtml.PlotlyBootstrap());
    }

    [Fact]
    public void The_warm_up_runs_explain_pdp_and_importance_on_files_of_its_own_and_deletes_them()
    {
        string temp = Path.GetTempPath();
        int before = Directory.GetDirectories(temp, "xai-warm-up-*").Length;
        NotebookHtml.ResetSession();

        var results = XaiNotebook.RunWarmUp();

        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.True(r.Succeeded, r.Error));
        Assert.IsType<AttributionExplanation>(results[0].Displayed.Single(v => v is Explanation));
        Assert.IsType<PartialDependenceExplanation>(results[1].Displayed.Single(v => v is Explanation));
        Assert.IsType<PermutationImportanceExplanation>(results[2].Displayed.Single(v => v is Explanation));
        Assert.False(NotebookHtml.PlotlyWritten);
        Assert.Equal(before, Directory.GetDirectories(temp, "xai-warm-up-*").Length);
    }

    [Fact]
    public void A_native_library_diagnosis_lists_the_missing_versions()
    {
        var diagnosis = new NativeLibraryDiagnosis
        {
            LibraryPath = "/x/libLibTorchSharp.so",
            VersionNeeds = [new ElfVersionNeed("libstdc++.so.6", "GLIBCXX_3.4.32", false), new ElfVersionNeed("libstdc++.so.6", "GLIBCXX_3.4.21", false)],
            LibStdCxxPath = "/usr/lib/libstdc++.so.6",
            LibStdCxxVersions = ["GLIBCXX_3.4.21", "GLIBCXX_3.4.30"],
        };

        string html = NotebookFormatters.ToHtml(diagnosis);

        Assert.Contains("Native library: libLibTorchSharp.so", html);
        Assert.Contains("<td>GLIBCXX_3.4.32</td>", html);
        Assert.Contains("missing", html);
    }
}
