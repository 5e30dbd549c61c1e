using System.Text.RegularExpressions;
using Interactive.Xai.Inspection;
using Interactive.Xai.Notebook;
using Interactive.Xai.Torch;
using Interactive.Xai.Torch.Inspection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interactive.Xai.Tests;

/// <summary>float rows of [positions x width] through one multi-head self-attention layer, mean-pooled to 2 outputs.</summary>
internal sealed class TinyAttention : nn.Module<Tensor, Tensor>
{
    private readonly MultiheadAttention attention;
    private readonly Linear head;

    public TinyAttention(int width, int heads) : base(nameof(TinyAttention))
    {
        attention = nn.MultiheadAttention(width, heads);
        head = nn.Linear(width, 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var sequence = x.transpose(0, 1);   // [positions, batch, width], as MultiheadAttention takes it
        var (y, _) = attention.call(sequence, sequence, sequence, null, false, null);
        return head.call(y.transpose(0, 1).mean([1]));
    }
}

/// <summary>The analysis magic commands: LIME, counterfactuals, correlation, RFE, outputs, training, attention, feature visualisation.</summary>
public sealed class AnalysisCommandTests
{
    static AnalysisCommandTests()
    {
        TorchViews.LoadNativeLibrary();
        NotebookFormatters.Register();
    }

    private static int Charts(string html) => Regex.Matches(html, "<div class=\"xai-chart\"").Count;

    [Fact]
    public void Lime_of_a_model_that_reads_only_one_feature_gives_that_feature_the_largest_weight_in_every_row()
    {
        var variables = Fixtures.Variables();
        variables["onlyA"] = DelegateModel.Linear([1f, 0f, 0f, 0f], 0f, Fixtures.Names);
        var (result, shown) = Fixtures.Run("#!xai-lime --model onlyA --data data --rows 0-4 --samples 2000", variables);

        Assert.True(result.Succeeded, result.Error);
        var lime = Assert.IsType<LimeExplanation>(Assert.Single(shown));
        Assert.Equal(5, lime.RowCount);
        for (int r = 0; r < 5; r++)
        {
            var magnitudes = Enumerable.Range(0, 4).Select(f => Math.Abs(lime.Value(r, f, 0))).ToArray();
            Assert.Equal(0, Array.IndexOf(magnitudes, magnitudes.Max()));
        }
        Assert.Contains("LIME", NotebookFormatters.ToHtml(lime));
    }

    [Fact]
    public void Image_lime_with_one_pixel_cells_gives_the_pixel_the_model_ignores_zero_and_the_heaviest_pixel_the_top_weight()
    {
        // the linear model read as a 1 x 2 x 2 image: pixels a, b, c, d with weights 2, -1, 0, 0.5
        var (result, shown) = Fixtures.Run("#!xai-lime --model model --data data --rows 0 --input-shape 1,2,2 --cell-size 1 --samples 400");

        Assert.True(result.Succeeded, result.Error);
        var lime = Assert.IsType<AttributionExplanation>(Assert.Single(shown));
        Assert.Equal("lime-image", lime.Method);
        var values = Enumerable.Range(0, 4).Select(f => lime.Value(0, f, 0)).ToArray();
        Assert.Equal(0.0, values[2], 6);
        Assert.Equal(0, Array.IndexOf(values.Select(Math.Abs).ToArray(), values.Select(Math.Abs).Max()));
    }

    [Fact]
    public void Counterfactuals_reach_the_desired_range_through_the_model_and_keep_the_immutable_feature()
    {
        var variables = Fixtures.Variables();
        var model = (IModel)variables["model"]!;
        // y = 2a - b + 0.5d + 0.5 reaches [1, 2] from any row by moving a, b or d; c (ignored) is held
        var (result, shown) = Fixtures.Run("#!xai-counterfactual --model model --data data --row 3 --desired-range 1,2 --immutable c --count 3", variables);

        Assert.True(result.Succeeded, result.Error);
        var explanation = Assert.IsType<CounterfactualExplanation>(Assert.Single(shown));
        var set = Assert.Single(explanation.Sets);
        Assert.True(set.Count >= 1);
        var original = ((FeatureTable)variables["data"]!).Row(3).ToArray();
        var predictions = model.Predict(set.Counterfactuals);
        for (int i = 0; i < set.Count; i++)
        {
            if (!set.Valid[i]) continue;
            Assert.InRange(predictions[i], 1f - 1e-4f, 2f + 1e-4f);
            Assert.Equal(original[2], set.Counterfactuals[i, 2]);
        }
        Assert.True(set.Validity > 0);
    }

    [Theory]
    [InlineData("#!xai-counterfactual --model model --data data --row 0", "exactly one goal")]
    [InlineData("#!xai-counterfactual --model model --data data --desired-range 1,2 --immutable zz", "zz")]
    [InlineData("#!xai-counterfactual --model model --data data --desired-range 1,2 --row 999", "--row 999")]
    public void Counterfactual_input_problems_are_one_line(string line, string mention)
    {
        var (result, shown) = Fixtures.Run(line);
        Fixtures.AssertOneLineError(result, shown, mention);
    }

    [Fact]
    public void Correlation_of_a_feature_with_its_double_is_one_and_with_its_negative_is_minus_one()
    {
        var a = Fixtures.Table(50, 7, ["a"]);
        var values = new float[50, 3];
        for (int r = 0; r < 50; r++) (values[r, 0], values[r, 1], values[r, 2]) = (a[r, 0], 2 * a[r, 0] + 1, -a[r, 0] * a[r, 0] * a[r, 0]);
        var variables = new Dictionary<string, object?> { ["t"] = FeatureTable.FromArray(values, ["x", "twice", "minus_cube"]) };

        var pearson = Assert.IsType<CorrelationMatrix>(Assert.Single(Fixtures.Run("#!xai-correlation --data t", variables).Shown));
        Assert.Equal(1.0, pearson.Value(0, 1), 6);
        var spearman = Assert.IsType<CorrelationMatrix>(Assert.Single(Fixtures.Run("#!xai-correlation --data t --method spearman", variables).Shown));
        Assert.Equal(CorrelationMethod.Spearman, spearman.Correlation);
        Assert.Equal(-1.0, spearman.Value(0, 2), 6);   // monotone decreasing: rank correlation exactly -1
        Assert.Equal(1, Charts(NotebookFormatters.ToHtml(spearman)));
    }

    [Fact]
    public void Rfe_with_an_ml_net_trainer_keeps_the_two_heaviest_features_of_a_linear_label()
    {
        var (result, shown) = Fixtures.Run("#!xai-rfe --data ds --trainer fasttree --select 2");

        Assert.True(result.Succeeded, result.Error);
        var rfe = Assert.IsType<FeatureEliminationResult>(Assert.Single(shown));
        Assert.Equal(["a", "b"], rfe.SelectedNames.Order().ToArray());
        Assert.Equal(1, Charts(NotebookFormatters.ToHtml(rfe)));
    }

    [Fact]
    public void Rfe_with_your_own_retrain_function_eliminates_by_its_importances()
    {
        // importance of feature j = its fixed weight: c (0) goes first, then d, then b
        double[] weight = [3, 2, 0, 1];
        Func<FeatureSubsetTask, FeatureSubsetScore> retrain = task => new FeatureSubsetScore(task.Features.Sum(j => weight[j]), task.Features.Select(j => weight[j]).ToArray());
        var variables = Fixtures.Variables();
        variables["retrain"] = retrain;

        var (result, shown) = Fixtures.Run("#!xai-rfe --data ds --retrain retrain --select 1", variables);

        Assert.True(result.Succeeded, result.Error);
        var rfe = Assert.IsType<FeatureEliminationResult>(Assert.Single(shown));
        Assert.Equal(["a"], rfe.SelectedNames.ToArray());
        Assert.Equal([2, 3, 1], rfe.EliminationOrder.Take(3).ToArray());
    }

    [Theory]
    [InlineData("#!xai-rfe --data ds --retrain number", "not a Func<FeatureSubsetTask, FeatureSubsetScore>")]
    [InlineData("#!xai-rfe --data data", "needs labels")]
    [InlineData("#!xai-rfe --data ds --trainer forest", "--trainer forest")]
    public void Rfe_input_problems_are_one_line(string line, string mention)
    {
        var (result, shown) = Fixtures.Run(line);
        Fixtures.AssertOneLineError(result, shown, mention);
    }

    private static Dictionary<string, object?> Classifier()
    {
        // three outputs: the first three features; the label is each row's arg-max, so every prediction is right
        var model = new DelegateModel(4, ["x", "y", "z"], (inputs, n, outputs) =>
        {
            for (int r = 0; r < n; r++) for (int c = 0; c < 3; c++) outputs[r * 3 + c] = inputs[r * 4 + c];
        }, Fixtures.Names);
        var table = Fixtures.Table(40, 5);
        var labels = Enumerable.Range(0, 40).Select(r => (float)Enumerable.Range(0, 3).MaxBy(c => table[r, c])).ToArray();
        return new() { ["classifier"] = model, ["rows"] = new Dataset("three", table, "class", labels), ["model"] = Fixtures.Linear(), ["data"] = table };
    }

    [Fact]
    public void Outputs_of_a_classifier_show_a_diagonal_confusion_matrix_and_softmax_probabilities()
    {
        var (result, shown) = Fixtures.Run("#!xai-outputs --model classifier --data rows --classes p,q,r", Classifier());

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(2, shown.Count);
        var matrix = Assert.IsType<ConfusionMatrix>(shown[0]);
        Assert.Equal(1.0, matrix.Accuracy);
        Assert.Equal(["p", "q", "r"], matrix.ClassNames.ToArray());
        var probabilities = Assert.IsType<ClassProbabilities>(shown[1]);
        Assert.True(probabilities.AppliedSoftmax);
        var rows = (Dataset)Classifier()["rows"]!;
        double[] logits = [rows.Features[0, 0], rows.Features[0, 1], rows.Features[0, 2]];
        double sum = logits.Sum(Math.Exp);
        for (int c = 0; c < 3; c++) Assert.Equal(Math.Exp(logits[c]) / sum, probabilities.Probability(0, c), 5);
        string html = NotebookFormatters.ToHtml(probabilities);
        Assert.Contains("Class probabilities (40 rows, 3 classes)", html);
        Assert.Contains("<td>1</td>", html);   // accuracy
        Assert.Equal(1 + InspectionViews.MaxProbabilityBars, Charts(html));
    }

    [Fact]
    public void Outputs_of_a_regression_model_say_to_use_another_command()
    {
        var (result, shown) = Fixtures.Run("#!xai-outputs --model model --data data", Classifier());
        Fixtures.AssertOneLineError(result, shown, "regression");
    }

    [Fact]
    public void Training_shows_a_monitor_snapshot_as_the_dashboard_or_one_metric()
    {
        using var monitor = new TrainingMonitor();
        for (int step = 0; step < 6; step++) monitor.Log(0, step, 1.0 / (step + 1), new Dictionary<string, double> { ["accuracy"] = step / 6.0 });
        var variables = new Dictionary<string, object?> { ["monitor"] = monitor, ["snapshot"] = monitor.Snapshot(), ["number"] = 3 };

        var (result, shown) = Fixtures.Run("#!xai-training --monitor monitor", variables);
        Assert.True(result.Succeeded, result.Error);
        var view = Assert.IsType<TrainingView>(Assert.Single(shown));
        Assert.Equal("dashboard", view.Chart);
        Assert.Equal(6, view.Snapshot.Find("loss")!.Points.Length);

        var accuracy = Assert.IsType<TrainingView>(Assert.Single(Fixtures.Run("#!xai-training --monitor snapshot --chart accuracy", variables).Shown));
        string html = NotebookFormatters.ToHtml(accuracy);
        Assert.Contains("accuracy over training", html);
        Assert.Equal(1, Charts(html));

        var (bad, badShown) = Fixtures.Run("#!xai-training --monitor monitor --chart f1", variables);
        Fixtures.AssertOneLineError(bad, badShown, "accuracy");
        var (wrong, wrongShown) = Fixtures.Run("#!xai-training --monitor number", variables);
        Fixtures.AssertOneLineError(wrong, wrongShown, "not a TrainingMonitor");
    }

    [Fact]
    public void Training_of_a_monitor_still_training_is_one_live_output_redrawn_until_the_monitor_completes()
    {
        using var monitor = new TrainingMonitor(new TrainingMonitorOptions { MinimumUpdateInterval = TimeSpan.Zero });
        monitor.Log(0, 0, 1.0);
        var shownLive = new List<object>();
        int updates = 0;
        var dispatcher = new MagicCommandDispatcher();
        var result = dispatcher.Execute("xai-training", new Dictionary<string, string> { ["monitor"] = "m" },
            new VariableSource(new Dictionary<string, object?> { ["m"] = monitor }), _ => { },
            initial => { shownLive.Add(initial); return _ => Interlocked.Increment(ref updates); });

        Assert.True(result.Succeeded, result.Error);
        Assert.Same(monitor, Assert.Single(shownLive));
        monitor.Log(0, 1, 0.5);
        monitor.Complete();
        SpinWait.SpinUntil(() => Volatile.Read(ref updates) >= 2, TimeSpan.FromSeconds(5));
        int afterCompletion = Volatile.Read(ref updates);
        Assert.True(afterCompletion >= 2, $"{afterCompletion} updates");
    }

    [Fact]
    public void Attention_shows_each_heads_weights_rows_summing_to_one()
    {
        using var module = new TinyAttention(8, 2);
        var model = TorchModel.FromModule(module, [4, 8]);
        var data = Fixtures.Table(3, 9, Enumerable.Range(0, 32).Select(i => "x" + i).ToArray());
        var variables = new Dictionary<string, object?> { ["net"] = model, ["seq"] = data, ["model"] = Fixtures.Linear() };

        var (result, shown) = Fixtures.Run("#!xai-attention --model net --data seq --layer attention --heads 2 --rows 0-1 --tokens w,x,y,z", variables);

        Assert.True(result.Succeeded, result.Error);
        var attention = Assert.IsType<AttentionWeights>(Assert.Single(shown));
        Assert.Equal((2, 2, 4, 4), (attention.BatchSize, attention.HeadCount, attention.QueryLength, attention.KeyLength));
        for (int row = 0; row < attention.Values.Length / 4; row++)
            Assert.Equal(1.0, attention.Values.Skip(row * 4).Take(4).Sum(v => (double)v), 5);

        var (wrongHeads, wrongShown) = Fixtures.Run("#!xai-attention --model net --data seq --layer attention --heads 3", variables);
        Fixtures.AssertOneLineError(wrongHeads, wrongShown, "3 heads");
        var (notTorch, notTorchShown) = Fixtures.Run("#!xai-attention --model model --data seq --layer attention --heads 2", variables);
        Fixtures.AssertOneLineError(notTorch, notTorchShown, "needs a TorchSharp model");
    }

    [Fact]
    public void Visualize_optimises_an_input_per_unit_that_raises_the_units_activation()
    {
        using var cnn = new DigitsCnn();
        var variables = new Dictionary<string, object?> { ["cnn"] = TorchModel.FromModule(cnn, [1, 8, 8]) };

        var (result, shown) = Fixtures.Run("#!xai-visualize --model cnn --layer conv1 --units 0,2 --steps 30", variables);

        Assert.True(result.Succeeded, result.Error);
        var visualizations = Assert.IsType<FeatureVisualization[]>(Assert.Single(shown));
        Assert.Equal([0, 2], visualizations.Select(v => v.Unit).ToArray());
        Assert.All(visualizations, v => Assert.True(v.FinalActivation > v.StartActivation, $"unit {v.Unit}: {v.StartActivation} -> {v.FinalActivation}"));
        Assert.Equal(2, Charts(NotebookFormatters.ToHtml(visualizations)));

        var (missing, missingShown) = Fixtures.Run("#!xai-visualize --model cnn --layer conv9", variables);
        Fixtures.AssertOneLineError(missing, missingShown, "conv9");
    }

    [Theory]
    [InlineData("#!xai-lime --model nowhere.onnx --data data", "nowhere.onnx")]
    [InlineData("#!xai-lime --model model --data number", "Int32")]
    [InlineData("#!xai-lime --model model --data data --colour red", "--colour")]
    [InlineData("#!xai-counterfactual --model number --data data --desired 1", "not a model")]
    [InlineData("#!xai-correlation --data missing.csv", "missing.csv")]
    [InlineData("#!xai-correlation --data number", "Int32")]
    [InlineData("#!xai-outputs --model model --data nothing", "null")]
    [InlineData("#!xai-attention --model model --data data --layer l --heads x", "--heads x")]
    [InlineData("#!xai-training --monitor nothing", "null")]
    [InlineData("#!xai-explain --model model --data data --method lime", "#!xai-lime")]
    public void Every_new_command_answers_bad_input_with_one_line(string line, string mention)
    {
        var (result, shown) = Fixtures.Run(line);
        Fixtures.AssertOneLineError(result, shown, mention);
    }

    [Fact]
    public void Help_lists_every_command_and_the_binding_check_accepts_a_type_with_exactly_its_options()
    {
        var help = Assert.IsType<MagicCommandHelp>(Assert.Single(Fixtures.Run("#!xai-help").Shown));
        string text = ExplanationViews.Text(help);
        foreach (var name in new[] { "xai-lime", "xai-counterfactual", "xai-correlation", "xai-rfe", "xai-attention", "xai-visualize", "xai-outputs", "xai-training" })
            Assert.Contains("#!" + name + ":", text);
        Assert.Null(XaiNotebook.BindingProblem(typeof(CorrelationOptions), "xai-correlation"));
        Assert.Equal("String for #!xai-correlation: missing Data, Label, Method", XaiNotebook.BindingProblem(typeof(string), "xai-correlation"));
        var options = XaiNotebook.OptionsOf(new CorrelationOptions { Data = "t", Method = "spearman" }, "xai-correlation");
        Assert.Equal(new Dictionary<string, string> { ["data"] = "t", ["method"] = "spearman" }, options);
        Assert.Equal("InputShape", XaiNotebook.PropertyName("input-shape"));
    }

    private sealed class CorrelationOptions
    {
        public string? Data { get; set; }
        public string? Label { get; set; }
        public string? Method { get; set; }
    }
}
