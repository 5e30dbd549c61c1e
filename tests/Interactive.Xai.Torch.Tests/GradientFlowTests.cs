using Interactive.Xai.Inspection;
using Interactive.Xai.Torch.Inspection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

public sealed class GradientFlowTests
{
    private static Tensor Mse(Tensor output, Tensor target) => nn.functional.mse_loss(output, target);

    [Fact]
    public void Gradient_flow_on_a_linear_layer_equals_the_analytic_gradient_of_mse()
    {
        manual_seed(5);
        using var model = nn.Sequential(("lin", nn.Linear(3, 2)));
        var lin = (Linear)model.named_children().Single().module;
        using var x = TestModules.Randn(6, 5, 3);
        using var t = TestModules.Randn(7, 5, 2);
        var flow = TorchInspector.GradientFlow(model, x, t, Mse);

        // Analytic: L = 1/(N K) sum (y - t)^2, dL/dy = 2 (y - t) / (N K), dL/dW = dL/dy^T x, dL/db = sum_n dL/dy.
        float[] xs = x.data<float>().ToArray(), ts = t.data<float>().ToArray();
        float[] w = lin.weight!.data<float>().ToArray(), b = lin.bias!.data<float>().ToArray();
        int n = 5, k = 2, f = 3;
        var dy = new double[n * k];
        double loss = 0;
        for (int r = 0; r < n; r++)
            for (int o = 0; o < k; o++)
            {
                double y = b[o];
                for (int j = 0; j < f; j++) y += w[o * f + j] * xs[r * f + j];
                loss += (y - ts[r * k + o]) * (y - ts[r * k + o]) / (n * k);
                dy[r * k + o] = 2 * (y - ts[r * k + o]) / (n * k);
            }
        var dw = new double[k * f];
        var db = new double[k];
        for (int r = 0; r < n; r++)
            for (int o = 0; o < k; o++)
            {
                db[o] += dy[r * k + o];
                for (int j = 0; j < f; j++) dw[o * f + j] += dy[r * k + o] * xs[r * f + j];
            }
        var layer = flow.Layer("lin");
        Assert.Equal(loss, flow.Loss, 1e-5);
        Assert.Equal(dw.Concat(db).Average(Math.Abs), layer.Weights!.MeanAbsolute, 1e-6);
        Assert.Equal(dw.Concat(db).Max(Math.Abs), layer.Weights.MaxAbsolute, 1e-6);
        Assert.Equal(dw.Average(Math.Abs), layer.Parameters.Single(p => p.Key == "weight").Value.MeanAbsolute, 1e-6);
        Assert.Equal(Math.Sqrt(db.Sum(v => v * v)), layer.Parameters.Single(p => p.Key == "bias").Value.Norm, 1e-6);
        Assert.Equal(dy.Average(Math.Abs), layer.Activations!.MeanAbsolute, 1e-6);
        Assert.Equal(dy.Max(Math.Abs), layer.Activations.MaxAbsolute, 1e-6);
        Assert.Equal(GradientHealth.Normal, layer.WeightHealth);
        Assert.Empty(flow.Warnings());
        // The parameters' accumulated gradients are untouched.
        Assert.Null(lin.weight.grad);
    }

    [Fact]
    public void Gradient_flow_through_a_forward_with_its_own_dispose_scope_gives_the_analytic_cross_entropy_gradient_of_the_logits()
    {
        // DigitsCnn.forward opens a dispose scope of its own; the layer-output aliases must outlive it.
        manual_seed(11);
        using var cnn = new DigitsCnn();
        using var x = (TestModules.Randn(12, 6, 1, 8, 8) * 8 + 8).clamp(0, 16);
        using var labels = tensor(new long[] { 0, 3, 5, 9, 1, 2 });
        var flow = TorchInspector.GradientFlow(cnn, x, labels, (p, t) => nn.functional.nll_loss(p.log(), t));

        // Analytic: L = mean cross-entropy of softmax(logits), dL/dlogits = (softmax - onehot) / N.
        float[] p;
        using (no_grad()) using (var probabilities = cnn.call(x)) p = probabilities.data<float>().ToArray();
        long[] y = labels.data<long>().ToArray();
        var dLogits = new double[6 * 10];
        for (int r = 0; r < 6; r++)
            for (int c = 0; c < 10; c++) dLogits[r * 10 + c] = (p[r * 10 + c] - (y[r] == c ? 1 : 0)) / 6.0;
        var fc = flow.Layer("fc");
        Assert.Equal(dLogits.Average(Math.Abs), fc.Activations!.MeanAbsolute, 1e-6);
        Assert.Equal(dLogits.Max(Math.Abs), fc.Activations.MaxAbsolute, 1e-6);
        Assert.Equal(-Enumerable.Range(0, 6).Average(r => Math.Log(p[r * 10 + y[r]])), flow.Loss, 1e-5);
        Assert.All(new[] { "conv1", "relu1", "pool1", "conv2", "relu2", "flatten", "fc" }, name => Assert.NotNull(flow.Layer(name).Activations));
    }

    [Fact]
    public void A_layer_behind_a_planted_tiny_weight_gets_the_vanishing_warning()
    {
        manual_seed(6);
        using var model = nn.Sequential(("l1", nn.Linear(4, 8)), ("act", nn.Tanh()), ("l2", nn.Linear(8, 1)));
        var l2 = (Linear)model.named_children().Last().module;
        using (no_grad()) l2.weight!.mul_(1e-10);
        using var x = TestModules.Randn(8, 16, 4);
        using var t = TestModules.Randn(9, 16, 1);
        var flow = TorchInspector.GradientFlow(model, x, t, Mse);

        Assert.Equal(["l1", "act", "l2"], flow.Layers.Select(l => l.Name).ToArray());
        Assert.Equal(GradientHealth.Vanishing, flow.Layer("l1").WeightHealth);
        Assert.Equal(GradientHealth.Normal, flow.Layer("l2").WeightHealth);
        Assert.Null(flow.Layer("act").Weights);
        Assert.Contains(flow.Warnings(), w => w.StartsWith("l1: vanishing weight gradient", StringComparison.Ordinal));
        Assert.DoesNotContain(flow.Warnings(), w => w.StartsWith("l2", StringComparison.Ordinal) && w.Contains("weight"));
        Assert.True(flow.Layer("l1").Weights!.MeanAbsolute < 1e-7 * flow.Layer("l2").Weights!.MeanAbsolute);

        // Without the planted weight nothing vanishes.
        using (no_grad()) l2.weight!.mul_(1e10);
        Assert.Equal(GradientHealth.Normal, TorchInspector.GradientFlow(model, x, t, Mse).Layer("l1").WeightHealth);
    }

    [Fact]
    public void Huge_targets_make_the_exploding_warning_fire()
    {
        manual_seed(7);
        using var model = nn.Sequential(("l1", nn.Linear(4, 1)));
        using var x = TestModules.Randn(8, 16, 4);
        using var t = full(16, 1, 1e6f);
        var flow = TorchInspector.GradientFlow(model, x, t, Mse);
        Assert.Equal(GradientHealth.Exploding, flow.Layer("l1").WeightHealth);
        Assert.Contains(flow.Warnings(), w => w.StartsWith("l1: exploding weight gradient", StringComparison.Ordinal));
    }

    [Fact]
    public void Gradient_norms_after_backward_are_each_layers_parameter_gradient_norm()
    {
        using var cnn = TestModules.Cnn();
        using var x = TestModules.Randn(3, 2, 1, 8, 8);
        using var y = tensor(new long[] { 1, 7 });
        using var loss = nn.functional.cross_entropy(cnn.call(x), y);
        loss.backward();
        var norms = GradientNorms.Capture(cnn);
        Assert.Equal(["features.conv1", "fc"], norms.Keys.ToArray());
        var p = cnn.named_parameters().ToDictionary(q => q.name, q => q.parameter);
        double fc = Math.Sqrt(Math.Pow(p["fc.weight"].grad!.norm().item<float>(), 2) + Math.Pow(p["fc.bias"].grad!.norm().item<float>(), 2));
        Assert.Equal(fc, norms["fc"], 1e-5);
        Assert.True(norms["features.conv1"] > 0);
    }

    [Fact]
    public void Gradient_norms_leave_out_frozen_layers_and_are_empty_before_any_backward_pass()
    {
        using var cnn = TestModules.Cnn();
        Assert.Empty(GradientNorms.Capture(cnn));
        foreach (var (name, p) in cnn.named_parameters())
            if (name.StartsWith("fc.", StringComparison.Ordinal)) p.requires_grad = false;
        using var x = TestModules.Randn(3, 2, 1, 8, 8);
        using var loss = cnn.call(x).square().mean();
        loss.backward();
        Assert.Equal(["features.conv1"], GradientNorms.Capture(cnn).Keys.ToArray());
    }

    [Fact]
    public void A_loss_that_is_not_a_scalar_is_a_clear_error()
    {
        using var model = nn.Sequential(("l1", nn.Linear(4, 1)));
        using var x = TestModules.Randn(8, 16, 4);
        using var t = zeros(16, 1);
        var e = Assert.Throws<XaiException>(() => TorchInspector.GradientFlow(model, x, t, (o, y) => o - y));
        Assert.Contains("scalar", e.Message);
    }
}
