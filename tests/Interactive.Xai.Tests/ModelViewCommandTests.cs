using Interactive.Xai.Notebook;

namespace Interactive.Xai.Tests;

/// <summary>#!xai-force, #!xai-surrogate, #!xai-output-correlation and #!xai-tree-importance.</summary>
public class ModelViewCommandTests
{
    public ModelViewCommandTests() => NotebookFormatters.Register();

    // x0 <= 0.5 ? 1 (6 rows) : (x1 <= 2 ? 3 (1 row) : 5 (3 rows)); gains 29.4 and 3 (see the Core tests)
    private static TreeEnsemble Trees(bool covers = true) => new()
    {
        FeatureCount = 2, FeatureNames = ["p", "q"],
        Trees =
        [
            new DecisionTree
            {
                Feature = [0, -1, 1, -1, -1], Threshold = [0.5, 0, 2, 0, 0], Left = [1, -1, 3, -1, -1], Right = [2, -1, 4, -1, -1],
                Value = [0, 1, 0, 3, 5], Cover = covers ? [10, 6, 4, 1, 3] : [],
            },
        ],
    };

    [Fact]
    public void Force_shows_exact_shap_values_as_stacked_and_single_row_force_plots()
    {
        var (result, shown) = Fixtures.Run("#!xai-force --model model --data data --rows 0-9 --row 3 --order prediction");
        Assert.True(result.Succeeded, result.Error);
        var view = Assert.IsType<ForceView>(Assert.Single(shown));
        Assert.Equal("exact-shap", view.Explanation.Method);
        Assert.Equal(10, view.Explanation.RowCount);
        Assert.Equal((ForceOrder.Prediction, 3), (view.Order, view.Row));
        // a linear model's SHAP values add up: the force plot spans base value to prediction
        Assert.True(ForcePlot.Row(view.Explanation, 3).Gap < 1e-5);
        string html = NotebookFormatters.ToHtml(view);
        Assert.Contains("Stacked force plots of 10 rows", html);
        Assert.Contains("Force plot of row 3", html);
    }

    [Fact]
    public void Surrogate_fits_a_tree_to_the_models_output_whose_root_splits_its_steepest_feature()
    {
        // y = 2a - b + 0.5d + 0.5 on uniform(-1, 1) features: a carries the most variance, so the root splits on it
        var (result, shown) = Fixtures.Run("#!xai-surrogate --model model --data data --depth 2");
        Assert.True(result.Succeeded, result.Error);
        var surrogate = Assert.IsType<SurrogateTree>(Assert.Single(shown));
        Assert.Equal(SurrogateTask.Regression, surrogate.Task);
        Assert.Equal(2, surrogate.MaxDepth);
        Assert.Equal(0, surrogate.Tree.Feature[0]);
        Assert.InRange(surrogate.Fidelity, 0.5, 1);
        Assert.Equal(60, surrogate.RowCount);
        Assert.Contains("fidelity R² = ", NotebookFormatters.ToHtml(surrogate));
    }

    [Fact]
    public void Output_correlation_orders_the_features_by_their_weights_signs()
    {
        var (result, shown) = Fixtures.Run("#!xai-output-correlation --model model --data data");
        Assert.True(result.Succeeded, result.Error);
        var correlation = Assert.IsType<OutputCorrelation>(Assert.Single(shown));
        Assert.Equal(60, correlation.RowCount);
        Assert.True(correlation.Pearson[0] > 0.7); // a: weight 2
        Assert.True(correlation.Pearson[1] < 0); // b: weight -1
        Assert.Contains("Correlation of each feature with", NotebookFormatters.ToHtml(correlation));
    }

    [Fact]
    public void Tree_importance_uses_stored_covers_or_counts_them_on_data()
    {
        var variables = Fixtures.Variables();
        variables["trees"] = Trees();
        variables["bare"] = Trees(covers: false);
        variables["rows"] = FeatureTable.FromArray(new float[,]
        {
            { 0, 0 }, { 0, 9 }, { 0.1f, 1 }, { 0.2f, 3 }, { 0.3f, 5 }, { 0.5f, 0 }, { 1, 2 }, { 1, 3 }, { 2, 4 }, { 3, 5 },
        }, ["p", "q"]);
        var stored = Assert.IsType<TreeFeatureImportance>(Assert.Single(Fixtures.Run("#!xai-tree-importance --model trees", variables).Shown));
        Assert.Equal(29.4, stored.Gains[0], 12);
        var counted = Assert.IsType<TreeFeatureImportance>(Assert.Single(Fixtures.Run("#!xai-tree-importance --model bare --data rows", variables).Shown));
        Assert.Equal(3.0, counted.Gains[1], 12);
        Assert.Contains("share of total gain", NotebookFormatters.ToHtml(counted));
        var (result, shown) = Fixtures.Run("#!xai-tree-importance --model bare", variables);
        Fixtures.AssertOneLineError(result, shown, "give --data");
        (result, shown) = Fixtures.Run("#!xai-tree-importance --model model", variables);
        Fixtures.AssertOneLineError(result, shown, "not a tree ensemble");
    }

    [Theory]
    [InlineData("#!xai-surrogate --model model --data data --depth 0", "--depth 0")]
    [InlineData("#!xai-force --model model --data data --order random", "--order random")]
    [InlineData("#!xai-force --model model --data data --rows 0-4 --row 5", "--row 5 is outside the 5 explained rows")]
    [InlineData("#!xai-force --model model --data data --target all", "a force plot shows one output")]
    [InlineData("#!xai-output-correlation --model model --data data --target 3", "target output 3 does not exist")]
    public void Bad_input_is_one_line(string line, string mention)
    {
        var (result, shown) = Fixtures.Run(line);
        Fixtures.AssertOneLineError(result, shown, mention);
    }

    [Fact]
    public void Help_lists_the_model_view_commands()
    {
        var help = Assert.IsType<MagicCommandHelp>(Assert.Single(Fixtures.Run("#!xai-help").Shown));
        string text = ExplanationViews.Text(help);
        foreach (var name in new[] { "xai-force", "xai-surrogate", "xai-output-correlation", "xai-tree-importance" })
            Assert.Contains("#!" + name + ":", text);
        Assert.Null(XaiNotebook.BindingProblem(typeof(SurrogateOptions), "xai-surrogate"));
    }

    private sealed class SurrogateOptions
    {
        public string? Model { get; set; }
        public string? Data { get; set; }
        public string? Depth { get; set; }
        public string? Target { get; set; }
        public string? Label { get; set; }
    }
}
