using System.Text.RegularExpressions;
using Interactive.Xai.Inspection;
using Interactive.Xai.Notebook;
using Interactive.Xai.Torch;
using Interactive.Xai.Torch.Inspection;
using Microsoft.DotNet.Interactive.Events;
using TorchSharp;
using static TorchSharp.torch;

namespace Interactive.Xai.Tests;

/// <summary>TorchSharp models, inspection records and the training monitor in the notebook: formatters and magic commands.</summary>
public sealed class TorchNotebookTests : IDisposable
{
    /// <summary>
    /// Finalizes what each test left behind: a tensor orphaned from its dispose scope makes TorchSharp throw from its
    /// finalizer, which crashes the test host (GradientFlow once did this), so it fails here, in the test that caused it.
    /// </summary>
    public void Dispose()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    private static readonly float[] W = [2f, -1f, 0f, 0.5f];
    private const float B = 0.25f;

    static TorchNotebookTests()
    {
        TorchViews.LoadNativeLibrary();
        NotebookFormatters.Register();
    }

    /// <summary>y = W·x + B as a TorchSharp Linear layer wrapped as a model of 4 features.</summary>
    private static TorchModel LinearModel(int outputs = 1, float[]? weights = null)
    {
        var layer = nn.Linear(4, outputs);
        using (no_grad())
        {
            layer.weight!.copy_(tensor(weights ?? W).reshape(outputs, 4));
            layer.bias!.fill_(B);
        }
        return TorchModel.FromModule(layer, [4], new TorchModelOptions { DisposeModule = true });
    }

    private static int Charts(string html) => Regex.Matches(html, "<div class=\"xai-chart\"").Count;

    [Fact]
    public void A_torch_model_renders_as_its_layer_summary_with_output_shapes_parameter_counts_and_the_layer_tree()
    {
        using var model = TorchModel.FromModule(new DigitsCnn(), [1, 8, 8], new TorchModelOptions { DisposeModule = true });
        string html = NotebookFormatters.ToHtml(model);

        Assert.Contains("Layers in execution order", html);
        Assert.Contains("conv1", html);
        Assert.Contains("[1, 8, 8, 8]", html);                 // conv1 (8 filters, padding 1) on a [1, 1, 8, 8] input
        // conv1 1*8*9+8, conv2 8*16*9+16, fc 256*10+10
        Assert.Contains((80 + 1168 + 2570).ToString("N0", System.Globalization.CultureInfo.InvariantCulture), html);
        Assert.True(Charts(html) >= 1);
    }

    [Fact]
    public void A_bare_module_shows_its_parameters_per_layer_and_says_how_to_get_output_shapes()
    {
        using var module = nn.Sequential(("hidden", nn.Linear(3, 5)), ("relu", nn.ReLU()), ("out", nn.Linear(5, 2)));
        string html = NotebookFormatters.ToHtml(module);

        Assert.Contains("Parameters per layer", html);
        Assert.Contains("<td>hidden</td>", html);
        Assert.Contains("<td>20</td>", html);   // 3*5 + 5
        Assert.Contains("<td>12</td>", html);   // 5*2 + 2
        Assert.Contains("TorchModel.FromModule", html);
        Assert.True(Charts(html) >= 1);
    }

    [Fact]
    public void Inspection_records_and_confusion_matrices_render_as_their_charts()
    {
        using var model = TorchModel.FromModule(new DigitsCnn(), [1, 8, 8], new TorchModelOptions { DisposeModule = true });
        var module = (nn.Module<Tensor, Tensor>)model.Module;
        using var scope = NewDisposeScope();
        var inputs = rand(4, 1, 8, 8);
        var weights = TorchInspector.Weights(module);
        var activations = TorchInspector.Activations(module, inputs);
        var flow = TorchInspector.GradientFlow(module, inputs, tensor(new long[] { 0, 1, 2, 3 }), (o, t) => nn.functional.nll_loss(o.clamp_min(1e-12).log(), t));
        var matrix = ConfusionMatrix.FromClasses([0, 1, 1, 2], [0, 1, 2, 2], ["a", "b", "c"]);

        foreach (var (value, marker) in new (object, string)[] { (weights, "xai-weights"), (activations, "xai-activations"), (flow, "xai-gradients"), (matrix, "xai-confusion") })
        {
            string html = NotebookFormatters.ToHtml(value);
            Assert.Contains(marker, html);
            Assert.True(Charts(html) >= 1, marker);
        }
        var weightsHtml = NotebookFormatters.ToHtml(weights);
        Assert.Contains("conv1.weight", weightsHtml);
        Assert.True(Charts(weightsHtml) >= 3);          // statistics, histograms and at least the conv filter grid
        Assert.Contains("<td>0.75</td>", NotebookFormatters.ToHtml(matrix));   // accuracy 3 of 4
    }

    [Fact]
    public void Attention_weights_and_feature_visualisations_render_as_their_charts()
    {
        var attention = new AttentionWeights
        {
            Layer = "attn", BatchSize = 1, HeadCount = 2, QueryLength = 2, KeyLength = 2,
            Values = [1f, 0f, 0.5f, 0.5f, 0.25f, 0.75f, 0f, 1f],
        };
        string attentionHtml = NotebookFormatters.ToHtml(attention);
        Assert.Contains("Attention: attn", attentionHtml);
        Assert.Equal(1, Charts(attentionHtml));

        using var cnn = new DigitsCnn();
        var visualization = FeatureVisualizer.Maximize(cnn, "conv1", 0, new FeatureVisualizationOptions { InputShape = [1, 8, 8], Steps = 5 });
        string one = NotebookFormatters.ToHtml(visualization);
        Assert.Contains("xai-features", one);
        Assert.Equal(2, Charts(one));   // the optimised input and the objective per step
        Assert.Equal(2, Charts(NotebookFormatters.ToHtml(new List<FeatureVisualization> { visualization, visualization })));
    }

    [Fact]
    public void The_training_monitor_renders_as_its_dashboard()
    {
        using var monitor = new TrainingMonitor();
        for (int step = 0; step < 5; step++) monitor.Log(0, step, 1.0 / (step + 1));
        string html = NotebookFormatters.ToHtml(monitor);
        Assert.Contains("xai-training", html);
        Assert.True(Charts(html) >= 1);
        monitor.Complete();
        Assert.Contains("Training (finished)", NotebookFormatters.ToHtml(monitor));
    }

    [Fact]
    public void Integrated_gradients_of_a_linear_torch_model_are_w_times_x_minus_the_zero_baseline()
    {
        using var model = LinearModel();
        var data = Fixtures.Table(6, 3, ["x0", "x1", "x2", "x3"]);
        var (result, shown) = Fixtures.Run("#!xai-explain --model m --data d --method ig --steps 16", new() { ["m"] = model, ["d"] = data });

        Assert.True(result.Succeeded, result.Error);
        var explanation = Assert.IsType<AttributionExplanation>(Assert.Single(shown));
        Assert.Equal(6, explanation.RowCount);
        for (int r = 0; r < 6; r++)
            for (int f = 0; f < 4; f++)
                Assert.Equal(W[f] * data[r, f], explanation.Value(r, f), 4);
        Assert.All(explanation.ConvergenceDeltas, d => Assert.True(Math.Abs(d) < 1e-4, $"delta {d}"));
    }

    [Fact]
    public void Saliency_of_a_linear_torch_model_on_the_predicted_class_is_that_class_weight_row()
    {
        // two outputs: class 0 has weights W, class 1 has -W, so the predicted class is 0 where W·x + B > -W·x + B
        var weights = W.Concat(W.Select(w => -w)).ToArray();
        using var model = LinearModel(outputs: 2, weights: weights);
        var data = Fixtures.Table(8, 5, ["x0", "x1", "x2", "x3"]);
        var (result, shown) = Fixtures.Run("#!xai-explain --model m --data d --method saliency --target predicted", new() { ["m"] = model, ["d"] = data });

        Assert.True(result.Succeeded, result.Error);
        var explanation = Assert.IsType<AttributionExplanation>(Assert.Single(shown));
        for (int r = 0; r < 8; r++)
        {
            double score = Enumerable.Range(0, 4).Sum(f => W[f] * data[r, f]);
            int predicted = score > -score ? 0 : 1;
            Assert.Equal(predicted, explanation.RowTargets[r]);
            for (int f = 0; f < 4; f++) Assert.Equal(Math.Abs(weights[predicted * 4 + f]), Math.Abs(explanation.Value(r, f)), 5);
        }
    }

    [Fact]
    public void Grad_cam_without_a_layer_names_the_convolutional_layers()
    {
        using var model = TorchModel.FromModule(new DigitsCnn(), [1, 8, 8], new TorchModelOptions { DisposeModule = true });
        var data = Fixtures.Table(2, 1, Enumerable.Range(0, 64).Select(i => "p" + i).ToArray());
        var (result, shown) = Fixtures.Run("#!xai-explain --model m --data d --method grad-cam", new() { ["m"] = model, ["d"] = data });
        Fixtures.AssertOneLineError(result, shown, "--layer");
        Assert.Contains("conv1", result.Error);

        var (ok, views) = Fixtures.Run("#!xai-explain --model m --data d --method grad-cam --layer conv2", new() { ["m"] = model, ["d"] = data });
        Assert.True(ok.Succeeded, ok.Error);
        var explanation = Assert.IsType<AttributionExplanation>(Assert.Single(views));
        Assert.Equal([1, 8, 8], explanation.InputShape.ToArray());
        Assert.True(Charts(NotebookFormatters.ToHtml(explanation)) >= 2);   // the overlay grid and the mean map
    }

    [Fact]
    public void Inspect_structure_and_weights_of_a_torch_model_show_its_layers_and_its_exact_weights()
    {
        using var model = LinearModel();
        var variables = new Dictionary<string, object?> { ["m"] = model };
        var (structure, shown) = Fixtures.Run("#!xai-inspect --model m", variables);
        Assert.True(structure.Succeeded, structure.Error);
        Assert.Contains("Layers in execution order", NotebookFormatters.ToHtml(Assert.Single(shown)));

        var (weights, snapshots) = Fixtures.Run("#!xai-inspect --model m --what weights", variables);
        Assert.True(weights.Succeeded, weights.Error);
        var snapshot = Assert.IsType<WeightSnapshot>(Assert.Single(snapshots));
        var weight = Assert.Single(snapshot.Tensors, t => t.Name == "weight");
        Assert.Equal(W, weight.Values.ToArray());
        Assert.Equal([B], Assert.Single(snapshot.Tensors, t => t.Name == "bias").Values.ToArray());
    }

    [Fact]
    public void Inspect_gradients_of_a_regressor_use_the_mse_against_the_labels()
    {
        using var model = LinearModel();
        var dataset = Fixtures.LinearDataset(40);   // labels of another linear function
        var (result, shown) = Fixtures.Run("#!xai-inspect --model m --what gradients --data d --rows 0-9", new() { ["m"] = model, ["d"] = dataset });

        Assert.True(result.Succeeded, result.Error);
        var flow = Assert.IsType<GradientFlow>(Assert.Single(shown));
        double mse = Enumerable.Range(0, 10).Average(r =>
        {
            double y = Enumerable.Range(0, 4).Sum(f => W[f] * dataset.Features[r, f]) + B;
            return (y - dataset.Labels[r]) * (y - dataset.Labels[r]);
        });
        Assert.Equal(10, flow.BatchSize);
        Assert.Equal(mse, flow.Loss, 4);
        Assert.True(Charts(NotebookFormatters.ToHtml(flow)) >= 1);
    }

    [Fact]
    public void Inspect_gradients_of_a_classifier_without_labels_use_cross_entropy_on_the_predicted_class()
    {
        var weights = W.Concat(W.Select(w => -w)).ToArray();
        using var model = LinearModel(outputs: 2, weights: weights);    // logits (not probabilities): cross-entropy
        var data = Fixtures.Table(12, 7, ["x0", "x1", "x2", "x3"]);
        var (result, shown) = Fixtures.Run("#!xai-inspect --model m --what gradients --data d", new() { ["m"] = model, ["d"] = data });

        Assert.True(result.Succeeded, result.Error);
        var flow = Assert.IsType<GradientFlow>(Assert.Single(shown));
        // the predicted class has logit |s| + B and the other -|s| + B: loss = log(1 + exp(-2|s|))
        double expected = Enumerable.Range(0, 12).Average(r => Math.Log(1 + Math.Exp(-2 * Math.Abs(Enumerable.Range(0, 4).Sum(f => W[f] * data[r, f])))));
        Assert.Equal(expected, flow.Loss, 4);
    }

    [Fact]
    public void Inspect_activations_need_data_and_capture_every_layer_of_the_rows()
    {
        using var model = TorchModel.FromModule(new DigitsCnn(), [1, 8, 8], new TorchModelOptions { DisposeModule = true });
        var data = Fixtures.Table(20, 2, Enumerable.Range(0, 64).Select(i => "p" + i).ToArray());
        var variables = new Dictionary<string, object?> { ["m"] = model, ["d"] = data };
        var (missing, errors) = Fixtures.Run("#!xai-inspect --model m --what activations", variables);
        Fixtures.AssertOneLineError(missing, errors, "--data");

        var (result, shown) = Fixtures.Run("#!xai-inspect --model m --what activations --data d", variables);
        Assert.True(result.Succeeded, result.Error);
        var capture = Assert.IsType<ActivationCapture>(Assert.Single(shown));
        Assert.Equal([MagicCommandDispatcher.DefaultInspectRows, 1L, 8, 8], capture.InputShape.ToArray());
        Assert.Contains(capture.Layers, l => l.Name == "conv1" && l.Shape.SequenceEqual(new long[] { 16, 8, 8, 8 }));
    }
}

public sealed class TorchScriptFileTests
{
    static TorchScriptFileTests()
    {
        TorchViews.LoadNativeLibrary();
        NotebookFormatters.Register();
    }

    private static readonly string Digits = Fixtures.ModelPath("digits_cnn.pt");

    [Fact]
    public void A_torchscript_file_needs_its_input_shape_and_then_shows_its_parameters_and_explains()
    {
        var data = Fixtures.Table(3, 4, Enumerable.Range(0, 64).Select(i => "p" + i).ToArray());
        var variables = new Dictionary<string, object?> { ["d"] = data };

        var (noShape, errors) = Fixtures.Run($"#!xai-inspect --model {Digits}", variables);
        Fixtures.AssertOneLineError(noShape, errors, "--input-shape");

        var (structure, shown) = Fixtures.Run($"#!xai-inspect --model {Digits} --input-shape 1,8,8", variables);
        Assert.True(structure.Succeeded, structure.Error);
        var model = Assert.IsType<TorchModel>(Assert.Single(shown));
        Assert.True(model.IsScript);
        string html = NotebookFormatters.ToHtml(model);
        Assert.Contains("Parameters per layer", html);
        Assert.Contains("<div class=\"xai-chart\"", html);

        var (activations, failed) = Fixtures.Run($"#!xai-inspect --model {Digits} --input-shape 1,8,8 --what activations --data d", variables);
        Fixtures.AssertOneLineError(activations, failed, "TorchScript");

        // IG's attributions add up to f(x) - f(0) for the explained class (completeness), within its convergence delta
        var (ig, explained) = Fixtures.Run($"#!xai-explain --model {Digits} --input-shape 1,8,8 --data d --method ig --steps 64 --target 3", variables);
        Assert.True(ig.Succeeded, ig.Error);
        var explanation = Assert.IsType<AttributionExplanation>(Assert.Single(explained));
        var outputs = model.Predict(data);
        var zero = model.Predict(FeatureTable.FromRowMajor(new float[64], 1, 64));
        for (int r = 0; r < 3; r++)
        {
            double sum = Enumerable.Range(0, 64).Sum(f => explanation.Value(r, f));
            Assert.Equal(outputs[r * 10 + 3] - zero[3] + explanation.ConvergenceDeltas[r], sum, 4);   // delta = sum - (f(x) - f(0))
            Assert.True(Math.Abs(explanation.ConvergenceDeltas[r]) < 0.05, $"delta {explanation.ConvergenceDeltas[r]}");
        }
    }
}

public sealed class KernelTrainingMonitorTests(KernelFixture fixture) : IClassFixture<KernelFixture>
{
    [Fact]
    public async Task In_the_kernel_the_torch_options_of_the_magic_commands_reach_the_dispatcher()
    {
        var setup = await fixture.Session.SubmitAsync("""
            using Interactive.Xai;
            using Interactive.Xai.Torch;
            var torchDigits = FeatureTable.FromRowMajor(Enumerable.Range(0, 128).Select(i => (float)(i % 17)).ToArray(), 2, 64);
            """);
        Assert.True(setup.Succeeded, setup.Describe());
        string path = Fixtures.ModelPath("digits_cnn.pt");

        var ig = await fixture.Session.SubmitAsync($"#!xai-explain --model {path} --input-shape 1,8,8 --data torchDigits --method ig --steps 8 --target predicted");
        Assert.True(ig.Succeeded, ig.Describe());
        Assert.Contains(ig.Html, h => h.Contains("Integrated Gradients: attributions") && h.Contains("class=\"xai-chart\""));

        var camMissingLayer = await fixture.Session.SubmitAsync($"#!xai-inspect --model {path} --what gradients --input-shape 1,8,8 --data torchDigits");
        Assert.False(camMissingLayer.Succeeded);
        Assert.Contains(camMissingLayer.Failures, f => f.Contains("TorchScript"));
    }

    [Fact]
    public async Task In_the_kernel_a_live_training_monitor_is_one_output_whose_dashboard_updates_in_place()
    {
        var result = await fixture.Session.SubmitAsync("""
            using Interactive.Xai;
            using Interactive.Xai.Notebook;
            var monitor = new TrainingMonitor(new TrainingMonitorOptions { MinimumUpdateInterval = TimeSpan.FromMilliseconds(20) });
            using (monitor.ShowLive())
            {
                for (int step = 0; step < 12; step++) { monitor.Log(0, step, 1.0 / (step + 1)); System.Threading.Thread.Sleep(10); }
                monitor.Complete();
            }
            """);

        Assert.True(result.Succeeded, result.Describe());
        var produced = Assert.Single(result.Events.OfType<DisplayedValueProduced>());
        var updated = result.Events.OfType<DisplayedValueUpdated>().ToList();
        Assert.True(updated.Count >= 2, $"{updated.Count} updates");
        Assert.True(updated.Count < 12, $"{updated.Count} updates: not throttled");
        Assert.All(updated, u => Assert.Equal(produced.ValueId, u.ValueId));
        string Html(DisplayEvent e) => e.FormattedValues.Single(v => v.MimeType == "text/html").Value;
        Assert.Contains("xai-training", Html(produced));
        Assert.Contains("<div class=\"xai-chart\"", Html(updated[^1]));
        Assert.Contains("Training (finished)", Html(updated[^1]));
    }
}

