using System.Globalization;
using Interactive.Xai.Inspection;
using Interactive.Xai.Notebook;
using Microsoft.Data.Analysis;

namespace Interactive.Xai.Tests;

public class MagicCommandDispatcherTests
{
    private static Dictionary<string, object?> WithBackground()
    {
        var variables = Fixtures.Variables();
        variables["bg"] = Fixtures.Table(20, 9);
        return variables;
    }

    [Fact]
    public void Explain_of_a_linear_model_gives_w_times_x_minus_the_background_mean()
    {
        var variables = WithBackground();
        var (result, shown) = Fixtures.Run("#!xai-explain --model model --data data --background bg --rows 0-4 --method exact-shap", variables);

        Assert.True(result.Succeeded, result.Error);
        var explanation = Assert.IsType<AttributionExplanation>(Assert.Single(shown));
        var data = (FeatureTable)variables["data"]!;
        var bg = (FeatureTable)variables["bg"]!;
        Assert.Equal(5, explanation.RowCount);
        for (int r = 0; r < 5; r++)
            for (int f = 0; f < 4; f++)
            {
                double mean = Enumerable.Range(0, bg.RowCount).Average(i => bg[i, f]);
                Assert.Equal(Fixtures.Weights[f] * (data[r, f] - mean), explanation.Value(r, f), 4);
            }
        Assert.True(explanation.AdditivityError < 1e-4);
    }

    [Fact]
    public void Explain_with_a_chart_option_shows_that_chart_of_that_row()
    {
        var (result, shown) = Fixtures.Run("#!xai-explain --model model --data data --rows 0-9 --chart waterfall --row 2");

        Assert.True(result.Succeeded, result.Error);
        var view = Assert.IsType<ExplanationView>(Assert.Single(shown));
        Assert.Equal(("waterfall", 2), (view.Chart, view.Row));
        Assert.Equal(10, ((AttributionExplanation)view.Explanation).RowCount);
    }

    [Fact]
    public void Importance_gives_a_feature_the_model_ignores_exactly_zero_and_ranks_the_strongest_first()
    {
        var (result, shown) = Fixtures.Run("#!xai-importance --model model --data ds --metric mse --repeats 3");

        Assert.True(result.Succeeded, result.Error);
        var importance = Assert.IsType<PermutationImportanceExplanation>(Assert.Single(shown));
        Assert.Equal(0.0, importance.Mean[2]);
        Assert.Equal(0, Enumerable.Range(0, 4).MaxBy(f => importance.Mean[f]));
    }

    [Fact]
    public void Importance_reads_labels_from_a_DataFrame_column()
    {
        var ds = Fixtures.LinearDataset(100);
        var frame = ds.Features.ToDataFrame();
        frame.Columns.Add(new SingleDataFrameColumn("y", ds.Labels));
        var variables = Fixtures.Variables();
        variables["frame"] = frame;

        var (result, shown) = Fixtures.Run("#!xai-importance --model model --data frame --label y", variables);

        Assert.True(result.Succeeded, result.Error);
        var importance = Assert.IsType<PermutationImportanceExplanation>(Assert.Single(shown));
        Assert.Equal(4, importance.FeatureNames.Length);
        Assert.Equal(0.0, importance.Mean[2]);
    }

    [Fact]
    public void Pdp_of_a_linear_feature_is_a_line_with_the_coefficient_as_slope()
    {
        var (result, shown) = Fixtures.Run("#!xai-pdp --model model --data data --feature a --grid -1,0,1");

        Assert.True(result.Succeeded, result.Error);
        var pdp = Assert.IsType<PartialDependenceExplanation>(Assert.Single(shown));
        var average = pdp.Average();
        Assert.Equal(2.0, average[1] - average[0], 4);
        Assert.Equal(2.0, average[2] - average[1], 4);
    }

    [Fact]
    public void Pdp_of_two_features_is_two_dimensional()
    {
        var (result, shown) = Fixtures.Run("#!xai-pdp --model model --data data --feature a,b --grid-points 5");

        Assert.True(result.Succeeded, result.Error);
        var pdp = Assert.IsType<PartialDependence2DExplanation>(Assert.Single(shown));
        Assert.Equal(["a", "b"], pdp.Features.ToArray());
        // additive model: moving b by one grid step changes the surface by -1 x that step everywhere
        double step = pdp.GridY[1] - pdp.GridY[0];
        Assert.Equal(-step, pdp.Average(2, 1) - pdp.Average(2, 0), 4);
    }

    [Fact]
    public void Ale_of_a_linear_feature_has_the_coefficient_as_slope()
    {
        var (result, shown) = Fixtures.Run("#!xai-ale --model model --data data --feature b --bins 5");

        Assert.True(result.Succeeded, result.Error);
        var ale = Assert.IsType<AccumulatedLocalEffectsExplanation>(Assert.Single(shown));
        var effects = ale.Effects();
        for (int k = 0; k + 1 < effects.Length; k++)
            Assert.Equal(-1.0, (effects[k + 1] - effects[k]) / (ale.Edges[k + 1] - ale.Edges[k]), 4);
    }

    [Fact]
    public void Compare_shows_each_method_for_one_row_and_they_agree_on_a_small_linear_model()
    {
        var (result, shown) = Fixtures.Run("#!xai-compare --model model --data data --row 3 --methods exact-shap,kernel-shap");

        Assert.True(result.Succeeded, result.Error);
        var comparison = Assert.IsType<AttributionComparison>(Assert.Single(shown));
        Assert.Equal(3, comparison.Row);
        Assert.Equal(["exact-shap", "kernel-shap"], comparison.Explanations.Select(e => e.Method));
        for (int f = 0; f < 4; f++)
            Assert.Equal(comparison.Explanations[0].Value(0, f), comparison.Explanations[1].Value(0, f), 4);
    }

    [Fact]
    public void Inspect_an_onnx_file_shows_its_graph_and_weights()
    {
        string path = Fixtures.ModelPath("mlp10.onnx");
        var (result, shown) = Fixtures.Run($"#!xai-inspect --model '{path}'");
        Assert.True(result.Succeeded, result.Error);
        var structure = Assert.IsType<ModelStructure>(Assert.Single(shown));
        Assert.Equal("ONNX", structure.Format, ignoreCase: true);
        Assert.NotEmpty(structure.Nodes);

        var (weightsResult, weightsShown) = Fixtures.Run($"#!xai-inspect --model '{path}' --what weights");
        Assert.True(weightsResult.Succeeded, weightsResult.Error);
        var weights = Assert.IsType<WeightsView>(Assert.Single(weightsShown));
        Assert.True(weights.Structure.ParameterCount > 0);
    }

    [Fact]
    public void Inspect_a_plain_model_variable_shows_its_summary()
    {
        var (result, shown) = Fixtures.Run("#!xai-inspect --model model");

        Assert.True(result.Succeeded, result.Error);
        var summary = Assert.IsType<ModelSummary>(Assert.Single(shown));
        Assert.Equal(Fixtures.Names, summary.FeatureNames);
    }

    [Fact]
    public void Inspect_activations_of_a_model_without_layers_is_a_one_line_error()
    {
        var (result, shown) = Fixtures.Run($"#!xai-inspect --model '{Fixtures.ModelPath("mlp10.onnx")}' --what activations");
        Fixtures.AssertOneLineError(result, shown, "--what activations");
    }

    [Fact]
    public void Explain_takes_a_model_file_and_a_csv_file_with_no_variables_at_all()
    {
        string csv = Path.Combine(Path.GetTempPath(), $"xai-{Guid.NewGuid():N}.csv");
        var diabetes = Datasets.Diabetes().Features;
        File.WriteAllLines(csv, new[] { string.Join(',', diabetes.FeatureNames) }.Concat(Enumerable.Range(0, 30).Select(r =>
            string.Join(',', Enumerable.Range(0, diabetes.ColumnCount).Select(c => diabetes[r, c].ToString("R", CultureInfo.InvariantCulture))))));
        try
        {
            var (result, shown) = Fixtures.Run($"#!xai-explain --model {Fixtures.ModelPath("mlp10.onnx")} --data {csv} --rows 0-4", []);
            Assert.True(result.Succeeded, result.Error);
            var explanation = Assert.IsType<AttributionExplanation>(Assert.Single(shown));
            Assert.Equal(5, explanation.RowCount);
            Assert.True(explanation.AdditivityError < 1e-3);
        }
        finally
        {
            File.Delete(csv);
        }
    }

    [Fact]
    public void Data_can_be_a_float_array()
    {
        var variables = Fixtures.Variables();
        variables["array"] = new float[,] { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 0, 0, 1, 0 } };
        var (result, shown) = Fixtures.Run("#!xai-explain --model model --data array --background array", variables);

        Assert.True(result.Succeeded, result.Error);
        var explanation = Assert.IsType<AttributionExplanation>(Assert.Single(shown));
        Assert.Equal(2 * (1 - 1.0 / 3), explanation.Value(0, 0), 4);
    }

    [Fact]
    public void Help_lists_every_command_with_examples()
    {
        var (result, shown) = Fixtures.Run("#!xai-help");

        Assert.True(result.Succeeded, result.Error);
        var help = Assert.IsType<MagicCommandHelp>(Assert.Single(shown));
        Assert.Equal(["xai-explain", "xai-importance", "xai-pdp", "xai-ale", "xai-inspect", "xai-compare", "xai-lime", "xai-counterfactual",
            "xai-correlation", "xai-rfe", "xai-attention", "xai-visualize", "xai-outputs", "xai-training",
            "xai-force", "xai-surrogate", "xai-output-correlation", "xai-tree-importance", "xai-layer-gradient", "xai-activation-functions", "xai-distributions", "xai-help"], help.Commands.Select(c => c.Name));
        Assert.All(help.Commands, c => Assert.NotEmpty(c.Examples));
    }

    [Theory]
    [InlineData("#!xai-explain --model nope --data data", "--model nope: no notebook variable or file has that name")]
    [InlineData("#!xai-explain --model model --data nope", "--data nope: no notebook variable or file has that name")]
    [InlineData("#!xai-explain --model number --data data", "--model number: the variable is a Int32, not a model")]
    [InlineData("#!xai-explain --model model --data number", "--data number: the variable is a Int32")]
    [InlineData("#!xai-explain --model nothing --data data", "--model nothing: the variable is null")]
    [InlineData("#!xai-explain --model model --data data --colour red", "#!xai-explain has no option --colour")]
    [InlineData("#!xai-explain --model model", "#!xai-explain needs --data")]
    [InlineData("#!xai-explain --model model --data data --rows x", "--rows x")]
    [InlineData("#!xai-explain --model model --data data --rows 0-500", "row 60 is outside the 60 rows")]
    [InlineData("#!xai-explain --model model --data data --seed abc", "--seed abc: not a whole number")]
    [InlineData("#!xai-explain --model model --data data --method lime", "--method lime")]
    [InlineData("#!xai-explain --model model --data data --target 7", "7")]
    [InlineData("#!xai-explain --model model --data data --chart pie", "--chart pie")]
    [InlineData("#!xai-pdp --model model --data data --feature zzz", "zzz")]
    [InlineData("#!xai-pdp --model model --data data --feature a --grid 1,x", "--grid: 'x' is not a finite number")]
    [InlineData("#!xai-importance --model model --data data", "needs labels")]
    [InlineData("#!xai-importance --model model --data ds --metric best", "unknown metric 'best'")]
    [InlineData("#!xai-inspect --model model --what colours", "--what colours")]
    [InlineData("#!xai-compare --model model --data data --row 99", "--row 99 is outside the 60 rows")]
    [InlineData("#!xai-compare --model model --data data --methods pdp", "'pdp' is not an attribution method")]
    [InlineData("#!xai-foo --model model", "unknown magic command #!xai-foo")]
    [InlineData("#!xai-explain --model 'model --data data", "unterminated quote")]
    [InlineData("#!xai-explain --model model --data data --model model", "--model is given twice")]
    public void Bad_input_is_one_line_naming_the_problem(string line, string mention)
    {
        var (result, shown) = Fixtures.Run(line);
        Fixtures.AssertOneLineError(result, shown, mention);
    }

    [Fact]
    public void Data_with_the_wrong_number_of_columns_is_a_one_line_error()
    {
        var variables = Fixtures.Variables();
        variables["narrow"] = Fixtures.Table(10, 1, ["p", "q", "r"]);
        var (result, shown) = Fixtures.Run("#!xai-explain --model model --data narrow", variables);
        Fixtures.AssertOneLineError(result, shown, "3 feature columns but the model takes 4");
    }

    [Fact]
    public void A_model_that_throws_gives_a_one_line_error()
    {
        var variables = Fixtures.Variables();
        variables["broken"] = DelegateModel.FromRowFunction(4, x => throw new InvalidOperationException("the runtime\nfell over"));
        var (result, shown) = Fixtures.Run("#!xai-pdp --model broken --data data --feature a", variables);
        Fixtures.AssertOneLineError(result, shown, "#!xai-pdp failed unexpectedly (InvalidOperationException): the runtime fell over");
    }

    [Fact]
    public void A_cancelled_command_stops_with_a_one_line_message()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var (result, shown) = Fixtures.Run("#!xai-explain --model model --data data --method kernel-shap", cancellationToken: cancel.Token);
        Fixtures.AssertOneLineError(result, shown, "cancelled");
    }

    [Fact]
    public void Cancelling_while_an_explanation_runs_stops_it()
    {
        using var cancel = new CancellationTokenSource();
        var slow = DelegateModel.FromRowFunction(4, x => { cancel.Cancel(); return x[0]; });
        var variables = Fixtures.Variables();
        variables["slow"] = slow;
        var (result, shown) = Fixtures.Run("#!xai-explain --model slow --data data --method kernel-shap", variables, cancellationToken: cancel.Token);
        Fixtures.AssertOneLineError(result, shown, "cancelled");
    }

    [Fact]
    public void Progress_is_reported_and_the_last_update_is_complete()
    {
        var views = new List<ProgressView>();
        var progress = XaiNotebook.Progress(v => { lock (views) views.Add(v); });
        var (result, _) = Fixtures.Run("#!xai-explain --model model --data data --method exact-shap", progress: progress);

        Assert.True(result.Succeeded, result.Error);
        Assert.NotEmpty(views);
        var last = views[^1];
        Assert.Equal(last.Total, last.Completed);
        Assert.True(last.Total > 0);
        Assert.Contains("100%", last.ToString());
    }

    [Fact]
    public void Progress_updates_are_throttled()
    {
        var views = new List<ProgressView>();
        var progress = XaiNotebook.Progress(views.Add);
        for (int i = 0; i < 1000; i++) progress.Report(new ExplanationProgress("work", i, 1000));
        progress.Report(new ExplanationProgress("work", 1000, 1000));

        Assert.InRange(views.Count, 2, 20);
        Assert.Equal(1000, views[^1].Completed);
    }

    [Fact]
    public void Progress_in_rows_shows_a_cluster_jobs_line_and_counts_rows()
    {
        var views = new List<ProgressView>();
        var progress = XaiNotebook.Progress(views.Add, "rows");
        // What Interactive.Xai.Cluster's ClusterProgress.To(...) reports for a job half done.
        progress.Report(new ExplanationProgress("cluster: 8 of 16 partitions on 2 workers, 500 rows/s, about 20 s left", 10_000, 20_000));
        progress.Report(new ExplanationProgress("cluster: 16 of 16 partitions on 2 workers, 500 rows/s", 20_000, 20_000));

        Assert.Equal(2, views.Count);
        Assert.Equal("cluster: 8 of 16 partitions on 2 workers, 500 rows/s, about 20 s left: 50% (10,000 of 20,000 rows)", views[0].ToString());
        Assert.Equal("rows", views[^1].Unit);
        Assert.Contains("100% (20,000 of 20,000 rows)", views[^1].ToString());
        // Explanations still count model evaluations.
        Assert.Equal("work: 50% (1 of 2 model evaluations)", new ProgressView("work", 1, 2).ToString());
    }
}
