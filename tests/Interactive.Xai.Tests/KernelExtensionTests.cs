using System.Text.RegularExpressions;
using Interactive.Xai.Notebook;

namespace Interactive.Xai.Tests;

/// <summary>One kernel with the extension loaded and a few variables, shared by the tests of a class.</summary>
public sealed class KernelFixture : IAsyncLifetime
{
    public KernelSession Session { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        NotebookHtml.ResetSession();
        Session = await KernelSession.StartAsync();
        var setup = await Session.SubmitAsync("""
            using Interactive.Xai;
            var model = DelegateModel.Linear(new float[] { 2f, -1f, 0f, 0.5f }, 0.5f, new[] { "a", "b", "c", "d" });
            var random = new Random(1);
            var values = new float[80, 4];
            for (int r = 0; r < 80; r++) for (int f = 0; f < 4; f++) values[r, f] = (float)(random.NextDouble() * 2 - 1);
            var data = FeatureTable.FromArray(values, new[] { "a", "b", "c", "d" });
            var ds = new Dataset("linear", data, "y", model.Predict(data));
            var number = 42;
            var kernelMonitor = new TrainingMonitor();
            for (int step = 0; step < 4; step++) kernelMonitor.Log(0, step, 1.0 / (step + 1));
            """);
        Assert.True(setup.Succeeded, setup.Describe());
    }

    public Task DisposeAsync()
    {
        Session.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The extension in a real .NET Interactive kernel: loading, magic commands, formatters, errors.</summary>
public sealed class KernelExtensionTests(KernelFixture fixture) : IClassFixture<KernelFixture>
{
    private readonly KernelSession _session = fixture.Session;

    private static int Charts(Submission s) => s.Html.Sum(h => Regex.Matches(h, "<div class=\"xai-chart\"").Count);

    [Fact]
    public void Loading_the_extension_shows_the_loaded_line_and_nothing_fails()
    {
        var extension = _session.Extension!;
        Assert.Empty(extension.Failures);
        Assert.DoesNotContain(extension.Plain, p => p.Contains("does not register"));
        string line = Assert.Single(extension.Plain, p => p.StartsWith("Interactive.Xai ", StringComparison.Ordinal));
        Assert.Equal(XaiNotebook.LoadedMessage(), line);
        Assert.Contains("loaded: #!xai-explain, #!xai-importance, #!xai-pdp, #!xai-ale, #!xai-inspect, #!xai-compare, #!xai-lime, "
            + "#!xai-counterfactual, #!xai-correlation, #!xai-rfe, #!xai-attention, #!xai-visualize, #!xai-outputs, #!xai-training, "
            + "#!xai-force, #!xai-surrogate, #!xai-output-correlation, #!xai-tree-importance, "
            + "#!xai-layer-gradient, #!xai-activation-functions, #!xai-distributions, #!xai-help", line);
        Assert.DoesNotContain(extension.Plain, p => p.Contains("binds options wrongly"));
        // the loaded line's HTML carries plotly.js for the session
        Assert.Contains(extension.Html, h => h.Contains("xai-loaded") && h.Length > 1_000_000);
    }

    [Theory]
    [InlineData("#!xai-explain --model model --data data --rows 0-9", 3)]
    [InlineData("#!xai-force --model model --data data --rows 0-9 --row 2", 2)]
    [InlineData("#!xai-surrogate --model model --data data --depth 2", 1)]
    [InlineData("#!xai-output-correlation --model model --data data", 1)]
    [InlineData("#!xai-explain --model model --data data --rows 0-9 --method kernel-shap --chart beeswarm", 1)]
    [InlineData("#!xai-importance --model model --data ds --repeats 2", 1)]
    [InlineData("#!xai-pdp --model model --data data --feature a", 1)]
    [InlineData("#!xai-pdp --model model --data data --feature a,b --grid-points 5", 1)]
    [InlineData("#!xai-ale --model model --data data --feature b --bins 5", 1)]
    [InlineData("#!xai-compare --model model --data data --row 3", 1)]
    [InlineData("#!xai-pdp --model model --data data --feature a --grid -1,0,1", 1)]
    [InlineData("#!xai-explain --model model --data data --rows 0-4 --target all --chart waterfall --row 1", 1)]
    [InlineData("#!xai-lime --model model --data data --rows 0-1 --samples 500", 2)]
    [InlineData("#!xai-lime --model model --data data --rows 0 --input-shape 1,2,2 --cell-size 1 --samples 100", 2)]
    [InlineData("#!xai-counterfactual --model model --data data --row 2 --desired-range 1,2 --count 2 --immutable a", 2)]
    [InlineData("#!xai-correlation --data data --method spearman", 1)]
    [InlineData("#!xai-rfe --data ds --trainer fasttree --select 2", 1)]
    [InlineData("#!xai-training --monitor kernelMonitor --chart loss", 1)]
        public async Task Each_magic_command_displays_html_with_a_chart(string line, int charts)
    {
        var result = await _session.SubmitAsync(line);

        Assert.True(result.Succeeded, result.Describe());
        Assert.Equal(charts, Charts(result));
    }

    [Fact]
    public async Task Inspect_of_an_onnx_file_displays_its_graph_chart()
    {
        var result = await _session.SubmitAsync($"#!xai-inspect --model \"{Fixtures.ModelPath("mlp10.onnx")}\"");

        Assert.True(result.Succeeded, result.Describe());
        Assert.Contains(result.Html, h => h.Contains("Gemm") && h.Contains("Inputs and outputs"));
        Assert.True(Charts(result) >= 2);
    }

    [Fact]
    public async Task Help_lists_the_commands()
    {
        var result = await _session.SubmitAsync("#!xai-help");

        Assert.True(result.Succeeded, result.Describe());
        Assert.Contains(result.Html, h => h.Contains("#!xai-compare") && h.Contains("--model"));
    }

    [Theory]
    [InlineData("#!xai-explain --model nope --data data", "--model nope: no notebook variable or file has that name")]
    [InlineData("#!xai-explain --model number --data data", "--model number: the variable is a Int32, not a model")]
    [InlineData("#!xai-explain --model model --data data --rows x", "--rows x")]
    [InlineData("#!xai-pdp --model model --data data --feature zzz", "zzz")]
    [InlineData("#!xai-explain --model model --data data --colour red", "--colour")]
    [InlineData("#!xai-explain --model model", "--data")]
    [InlineData("#!xai-lime --model model --data no_such.csv", "no_such.csv")]
    [InlineData("#!xai-lime --model model --data data --colour red", "--colour")]
    [InlineData("#!xai-counterfactual --model number --data data --desired 1", "not a model")]
    [InlineData("#!xai-correlation --data number", "Int32")]
    [InlineData("#!xai-rfe --data ds --retrain number", "not a Func")]
    [InlineData("#!xai-outputs --model model --data data", "regression")]
    [InlineData("#!xai-attention --model model --data data --layer a --heads 1", "TorchSharp")]
    [InlineData("#!xai-visualize --model no_such.pt --layer conv1", "no_such.pt")]
    [InlineData("#!xai-training --monitor number", "not a TrainingMonitor")]
    public async Task Errors_come_back_as_one_line_failures(string line, string mention)
    {
        var result = await _session.SubmitAsync(line);

        Assert.False(result.Succeeded);
        string failure = Assert.Single(result.Failures);
        Assert.Contains(mention, failure);
        Assert.DoesNotContain('\n', failure.Trim());
        Assert.DoesNotContain(" at ", failure);
    }

    [Fact]
    public async Task Values_display_through_the_formatters()
    {
        var frame = await _session.SubmitAsync("data.ToDataFrame()");
        Assert.True(frame.Succeeded, frame.Describe());
        Assert.Contains(frame.Html, h => h.Contains("<table class=\"xai-summary\">") && h.Contains("80 rows x 4 columns"));

        var explanation = await _session.SubmitAsync("new ExactShapleyExplainer(model, WeightedBackground.FromTable(data)).Explain(data.Slice(0, 5))");
        Assert.True(explanation.Succeeded, explanation.Describe());
        Assert.Equal(3, Charts(explanation));

        var chart = await _session.SubmitAsync("Interactive.Xai.Charts.PartialDependenceCharts.Line(new PartialDependenceExplainer(model).Explain(data, \"a\"))");
        Assert.True(chart.Succeeded, chart.Describe());
        Assert.Equal(1, Charts(chart));
        Assert.DoesNotContain(chart.Html, h => h.Contains(Interactive.Xai.Charts.ChartHtml.PlotlyJs[..200]));
    }

    [Fact]
    public async Task Long_work_shows_progress_that_updates_in_place()
    {
        var result = await _session.SubmitAsync("#!xai-explain --model model --data data --method kernel-shap --samples 2000");

        Assert.True(result.Succeeded, result.Describe());
        var progress = result.Events.OfType<Microsoft.DotNet.Interactive.Events.DisplayEvent>()
            .Where(e => e.FormattedValues.Any(v => v.Value.Contains("xai-progress"))).ToList();
        Assert.NotEmpty(progress);
        Assert.All(progress.Skip(1), e => Assert.IsType<Microsoft.DotNet.Interactive.Events.DisplayedValueUpdated>(e));
    }
}

/// <summary>Microsoft.Data.Analysis ships its own DataFrame formatter as a kernel extension, which the kernel loads with that package.</summary>
public sealed class DataFrameFormatterPrecedenceTests
{
    [Fact]
    public async Task The_table_view_wins_over_Microsoft_Data_Analysis_own_extension_loaded_after_it()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string version = typeof(Microsoft.Data.Analysis.DataFrame).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion.Split('+')[0];
        string dll = Path.Combine(packages, "microsoft.data.analysis", version, "interactive-extensions", "dotnet", "Microsoft.Data.Analysis.Interactive.dll");
        Assert.True(File.Exists(dll), dll);

        using var session = await KernelSession.StartAsync();
        // as the kernel's package loader does, inside a command, after the Interactive.Xai extension has loaded
        var load = await session.SubmitAsync($"#r \"{dll}\"\nawait new Microsoft.Data.Analysis.Interactive.DataFrameKernelExtension().OnLoadAsync(Microsoft.DotNet.Interactive.Kernel.Root);");
        Assert.True(load.Succeeded, load.Describe());

        var result = await session.SubmitAsync("""
            var frame = new Microsoft.Data.Analysis.DataFrame(new Microsoft.Data.Analysis.SingleDataFrameColumn("x", new float[] { 1, 2, 3 }));
            frame
            """);

        Assert.True(result.Succeeded, result.Describe());
        Assert.Contains(result.Html, h => h.Contains("<table class=\"xai-summary\">"));
    }
}
