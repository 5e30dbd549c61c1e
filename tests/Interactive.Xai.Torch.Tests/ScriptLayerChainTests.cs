using Interactive.Xai.Inspection;
using Interactive.Xai.Torch.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

/// <summary>
/// The TorchScript digits CNN inspected layer by layer: the gradient of its output with respect to conv2's feature maps,
/// combined with conv2's activations into Grad-CAM, must reproduce PyTorch 1.13's own Grad-CAM maps (torch_reference.json,
/// computed with PyTorch's autograd and F.interpolate), which checks the inner-layer gradient, the chain and the
/// half-pixel bilinear upsampling against an independent implementation.
/// </summary>
public sealed class ScriptLayerChainTests
{
    [Fact]
    public void The_inner_layer_gradient_of_the_torchscript_cnn_gives_pytorchs_grad_cam_maps()
    {
        var reference = TestFiles.Model("digits_cnn");
        var inputs = TestFiles.Flat(reference, "inputs");
        var targets = TestFiles.Ints(reference, "targets");
        var expected = TestFiles.Flat(reference, "gradCam");
        int rows = targets.Length;
        using var chain = ScriptLayerChain.Load(TestFiles.PathOf("digits_cnn.pt"), [1, 8, 8]);
        Assert.Equal(["scale", "conv1", "relu1", "pool1", "conv2", "relu2", "flatten", "fc", "softmax"], chain.LayerNames);
        using var x = tensor(inputs, [rows, 1L, 8, 8]);
        var activations = TorchInspector.Activations(chain, x, ["conv2"]).Layers.Single();
        for (int r = 0; r < rows; r++)
        {
            using var one = tensor(inputs.AsSpan(r * 64, 64).ToArray(), [1L, 1, 8, 8]);
            var gradient = TorchInspector.LayerOutputGradient(chain, "conv2", one, targets[r]);
            Assert.Equal("Conv2d", gradient.LayerType);
            Assert.Equal([16, 4, 4], gradient.Shape.ToArray());
            // Grad-CAM in float64: ReLU(Σ_c mean(g_c) · A_c), upsampled 4x4 -> 8x8
            var cam = new double[16];
            for (int c = 0; c < 16; c++)
            {
                var g = gradient.Channel(0, c);
                double weight = g.Average(v => (double)v);
                for (int i = 0; i < 16; i++) cam[i] += weight * activations.Values[(r * 16 + c) * 16 + i];
            }
            var up = LayerOutputGradient.Bilinear(cam.Select(v => Math.Max(0, v)).ToArray(), 4, 4, 8, 8);
            // The tolerance GradCamExplainerTests uses against the same reference: 1e-4 of the largest map value. A
            // row whose softmax is saturated (row 3) has maps ~1e-4 of the others, from float32 gradients of order
            // 1e-5; there PyTorch and this differ by about 3e-4 of the value (pixel 2: 7.8045e-5 vs 7.8070e-5).
            double scale = expected.Max();
            for (int i = 0; i < 64; i++)
                Assert.True(Math.Abs(up[i] - expected[r * 64 + i]) <= 1e-4 * scale, $"row {r} pixel {i}: {up[i]} vs PyTorch {expected[r * 64 + i]}");
        }
    }

    [Fact]
    public void The_torchscript_cnns_activation_functions_are_its_two_relus_with_the_range_of_the_layers_before_them()
    {
        var inputs = TestFiles.Flat(TestFiles.Model("digits_cnn"), "inputs");
        using var chain = ScriptLayerChain.Load(TestFiles.PathOf("digits_cnn.pt"), [1, 8, 8]);
        using var x = tensor(inputs, [inputs.Length / 64, 1L, 8, 8]);
        var usage = TorchInspector.ActivationFunctions(chain, x);
        Assert.Equal(["relu1", "relu2"], usage.Layers.Select(l => l.Layer).ToArray());
        Assert.All(usage.Layers, l => Assert.Equal("ReLU", l.FunctionType));
        // a ReLU's input is the previous layer's output: conv1's and conv2's activations
        var before = TorchInspector.Activations(chain, x, ["conv1", "conv2"]).Layers;
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(before[i].Values.Min(), usage.Layers[i].ReachedMinimum, 5);
            Assert.Equal(before[i].Values.Max(), usage.Layers[i].ReachedMaximum, 5);
            Assert.Equal(before[i].Values.Length, usage.Layers[i].PreActivations.Count);
        }
    }

    [Fact]
    public void A_torchscript_layer_failing_on_a_wrong_input_shape_is_reported_by_its_runtime_error_not_the_interpreter_preamble()
    {
        // TorchScript's errors start "The following operation failed in the TorchScript interpreter." and say what went
        // wrong only in their "RuntimeError: ..." line; the one-line message must carry that line.
        using var chain = ScriptLayerChain.Load(TestFiles.PathOf("digits_cnn.pt"), [1, 8, 8]);
        using var x = zeros([2L, 3, 8, 8]);  // three channels where conv1 takes one
        var message = Assert.Throws<XaiException>(() => TorchInspector.Activations(chain, x)).Message;
        Assert.True(message.StartsWith("The forward pass on inputs of shape [2, 3, 8, 8] failed: RuntimeError:", StringComparison.Ordinal), message);
        Assert.DoesNotContain("\n", message);
    }
}
