using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

public class GradCamExplainerTests
{
    /// <summary>conv (known kernels, no bias) then a linear head on the flattened maps: y = V . vec(conv(x)) + b.</summary>
    private sealed class ConvHead : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv;
        private readonly Flatten flatten;
        private readonly Linear head;

        public ConvHead(Conv2d conv, int mapFeatures, float[,] headWeights) : base(nameof(ConvHead))
        {
            this.conv = conv;
            flatten = nn.Flatten();
            head = nn.Linear(mapFeatures, headWeights.GetLength(0));
            using (no_grad())
            {
                head.weight!.copy_(tensor(headWeights));
                head.bias!.fill_(0.5);
            }
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => head.call(flatten.call(conv.call(input)));
    }

    private static Conv2d Conv(int outChannels, int kernel, int stride, int padding, float[] weights)
    {
        var conv = nn.Conv2d(1, outChannels, kernel, stride: stride, padding: padding, bias: false);
        using (no_grad()) conv.weight!.copy_(tensor(weights).reshape(outChannels, 1, kernel, kernel));
        return conv;
    }

    /// <summary>Cross-correlation of a 1-channel h x w image with a k x k kernel (PyTorch's conv2d).</summary>
    private static double[] Correlate(float[] image, int h, int w, float[] kernel, int k, int stride, int padding)
    {
        int oh = (h + 2 * padding - k) / stride + 1, ow = (w + 2 * padding - k) / stride + 1;
        var result = new double[oh * ow];
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++)
            {
                double sum = 0;
                for (int a = 0; a < k; a++)
                    for (int b = 0; b < k; b++)
                    {
                        int y = i * stride + a - padding, x = j * stride + b - padding;
                        if (y >= 0 && y < h && x >= 0 && x < w) sum += kernel[a * k + b] * image[y * w + x];
                    }
                result[i * ow + j] = sum;
            }
        return result;
    }

    private static float[] RandomValues(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    private static readonly float[] Kernel0 = [1, 0, -1, 2, 0.5f, -2, 1, 0, -1];
    private static readonly float[] Kernel1 = [0.5f, 1, 0.5f, 0, 0, 0, -0.5f, -1, -0.5f];

    [Fact]
    public void TheMapOfAConvWithALinearHeadIsReluOfTheMeanHeadWeightTimesEachChannel()
    {
        // Two 4x4 channels; output 0's head weights average +0.3 on channel 0 and -0.2 on channel 1.
        var v = new float[2, 32];
        var wr = new Random(3);
        for (int c = 0; c < 2; c++)
            for (int p = 0; p < 16; p++)
            {
                v[0, c * 16 + p] = (c == 0 ? 0.3f : -0.2f) + (p % 2 == 0 ? 0.1f : -0.1f);
                v[1, c * 16 + p] = (float)(wr.NextDouble() - 0.5);
            }
        using var module = new ConvHead(Conv(2, 3, 1, 1, [.. Kernel0, .. Kernel1]), 32, v);
        using var model = TorchModel.FromModule(module, [1, 4, 4]);
        var rows = FeatureTable.FromRowMajor(RandomValues(5 * 16, 11), 5, 16);
        var explanation = new GradCamExplainer(model, "conv").Explain(rows, OutputTarget.All);

        Assert.Equal([1, 4, 4], explanation.InputShape.ToArray());
        Assert.Equal(2, explanation.TargetCount);
        int negativeEvidence = 0, positive = 0;
        for (int r = 0; r < 5; r++)
        {
            var x = rows.Row(r).ToArray();
            var a0 = Correlate(x, 4, 4, Kernel0, 3, 1, 1);
            var a1 = Correlate(x, 4, 4, Kernel1, 3, 1, 1);
            for (int k = 0; k < 2; k++)
            {
                double alpha0 = 0, alpha1 = 0;
                for (int p = 0; p < 16; p++) { alpha0 += v[k, p] / 16; alpha1 += v[k, 16 + p] / 16; }
                for (int p = 0; p < 16; p++)
                {
                    double raw = alpha0 * a0[p] + alpha1 * a1[p];
                    Assert.Equal(Math.Max(0, raw), explanation.Value(r, p, k), 5);
                    if (raw < -1e-3) { negativeEvidence++; Assert.Equal(0, explanation.Value(r, p, k)); }
                    if (raw > 1e-3) positive++;
                }
            }
        }
        Assert.True(negativeEvidence > 5 && positive > 5, $"{negativeEvidence} negative and {positive} positive pixels");
    }

    [Fact]
    public void ACoarseLayerMapIsUpsampledBilinearlyToTheInputSize()
    {
        // A 2x2 kernel with stride 2 turns a 4x4 image into a 2x2 map; the head weights all equal 0.25 (mean 0.25).
        float[] kernel = [1, -1, 0.5f, 2];
        var v = new float[1, 4];
        for (int p = 0; p < 4; p++) v[0, p] = 0.25f;
        using var module = new ConvHead(Conv(1, 2, 2, 0, kernel), 4, v);
        using var model = TorchModel.FromModule(module, [1, 4, 4]);
        var x = RandomValues(16, 5).Select(Math.Abs).ToArray(); // non-negative pixels keep the map positive
        var explanation = new GradCamExplainer(model, "conv").Explain(FeatureTable.FromRowMajor(x, 1, 16));
        Assert.Equal("2x2", explanation.Details["layerMap"]);
        var small = Correlate(x, 4, 4, kernel, 2, 2, 0).Select(a => Math.Max(0, 0.25 * a)).ToArray();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                // PyTorch's bilinear rule with align_corners=false: source = (dst + 0.5) * in/out - 0.5, clamped at 0.
                double sy = Math.Max(0, (i + 0.5) * 0.5 - 0.5), sx = Math.Max(0, (j + 0.5) * 0.5 - 0.5);
                int y0 = (int)sy, x0 = (int)sx, y1 = Math.Min(y0 + 1, 1), x1 = Math.Min(x0 + 1, 1);
                double fy = sy - y0, fx = sx - x0;
                double expected = (1 - fy) * ((1 - fx) * small[y0 * 2 + x0] + fx * small[y0 * 2 + x1])
                    + fy * ((1 - fx) * small[y1 * 2 + x0] + fx * small[y1 * 2 + x1]);
                Assert.Equal(expected, explanation.Value(0, i * 4 + j), 5);
            }
    }

    [Fact]
    public void InASequentialTheHookedConvOutputSurvivesAndTheGradientPassesTheRelu()
    {
        // conv1 - relu - flatten - fc: d y / d conv1 = V where conv1 > 0, else 0.
        var conv = Conv(1, 3, 1, 1, Kernel0);
        var fc = nn.Linear(16, 1);
        var v = RandomValues(16, 8);
        using (no_grad()) fc.weight!.copy_(tensor(v).reshape(1, 16));
        using var module = nn.Sequential(("conv1", conv), ("relu", nn.ReLU()), ("flatten", nn.Flatten()), ("fc", fc));
        using var model = TorchModel.FromModule(module, [1, 4, 4]);
        var x = RandomValues(16, 21);
        var explanation = new GradCamExplainer(model, "conv1").Explain(FeatureTable.FromRowMajor(x, 1, 16));
        var a = Correlate(x, 4, 4, Kernel0, 3, 1, 1);
        double alpha = 0;
        for (int p = 0; p < 16; p++) if (a[p] > 0) alpha += v[p] / 16.0;
        for (int p = 0; p < 16; p++) Assert.Equal(Math.Max(0, alpha * a[p]), explanation.Value(0, p), 5);
        Assert.Contains(Enumerable.Range(0, 16), p => explanation.Value(0, p) > 0);
    }

    [Fact]
    public void WithTwoInputChannelsEachChannelsFeaturesGetTheSameMapValue()
    {
        // A 1x1 conv mixing two input channels: A = 2 x0 - x1; head weights average 0.25, so the map is relu(0.25 A).
        var conv = nn.Conv2d(2, 1, 1, bias: false);
        using (no_grad()) conv.weight!.copy_(tensor(new float[] { 2, -1 }).reshape(1, 2, 1, 1));
        var v = new float[1, 16];
        for (int p = 0; p < 16; p++) v[0, p] = p % 2 == 0 ? 0.5f : 0f;
        using var module = new ConvHead(conv, 16, v);
        using var model = TorchModel.FromModule(module, [2, 4, 4]);
        var x = RandomValues(32, 13);
        var explanation = new GradCamExplainer(model, "conv").Explain(FeatureTable.FromRowMajor(x, 1, 32));
        Assert.Equal(32, explanation.FeatureCount);
        int positive = 0;
        for (int p = 0; p < 16; p++)
        {
            double expected = Math.Max(0, 0.25 * (2 * x[p] - x[16 + p]));
            Assert.Equal(expected, explanation.Value(0, p), 5);
            Assert.Equal(expected, explanation.Value(0, 16 + p), 5);
            if (expected > 0) positive++;
        }
        Assert.InRange(positive, 1, 15);
    }

    [Fact]
    public void OnThePyTorchDigitsCnnTheMapsEqualPyTorchsGradCamAtConv2()
    {
        var reference = TestFiles.Model("digits_cnn");
        using var model = TorchModel.Load(TestFiles.PathOf("digits_cnn.pt"), [1, 8, 8]);
        var inputs = TestFiles.Flat(reference, "inputs");
        var targets = TestFiles.Ints(reference, "targets");
        var expected = TestFiles.Flat(reference, "gradCam");
        var explainer = new GradCamExplainer(model, "conv2");
        double scale = expected.Max();
        Assert.True(scale > 0);
        for (int r = 0; r < targets.Length; r++)
        {
            var explanation = explainer.Explain(FeatureTable.FromRowMajor(inputs.AsSpan(r * 64, 64), 1, 64), OutputTarget.Output(targets[r]));
            for (int p = 0; p < 64; p++)
                Assert.True(Math.Abs(expected[r * 64 + p] - explanation.Value(0, p)) <= 1e-4 * scale,
                    $"row {r} pixel {p}: PyTorch {expected[r * 64 + p]}, got {explanation.Value(0, p)}");
        }
    }

    [Fact]
    public void PredictedTargetsEachRowsArgMaxAndMatchesTheSameOutputExplainedDirectlyInAnyBatchSize()
    {
        manual_seed(3);
        using var model = TorchModel.FromModule(new DigitsCnn(), [1, 8, 8], new TorchModelOptions { DisposeModule = true });
        var rows = Datasets.Digits().Features.Slice(0, 7);
        var predicted = new GradCamExplainer(model, "conv2", new GradCamOptions { BatchSize = 3 }).Explain(rows, OutputTarget.Predicted);
        var all = new GradCamExplainer(model, "conv2").Explain(rows, OutputTarget.All);
        Assert.Equal(7 * 64, predicted.Values.Length);
        Assert.Equal(7 * 64 * 10, all.Values.Length);
        Assert.Equal(10, all.TargetCount);
        Assert.Equal(7, predicted.RowTargets.Length);
        var probabilities = model.Predict(rows);
        for (int r = 0; r < 7; r++)
        {
            int best = 0;
            for (int k = 1; k < 10; k++) if (probabilities[r * 10 + k] > probabilities[r * 10 + best]) best = k;
            Assert.Equal(best, predicted.RowTargets[r]);
            Assert.Equal(probabilities[r * 10 + best], predicted.Prediction(r), 5);
            for (int p = 0; p < 64; p++) Assert.Equal(all.Value(r, p, best), predicted.Value(r, p), 5);
        }
    }

    [Fact]
    public void AnUnknownLayerIsOneXaiExceptionListingTheConvolutionalLayers()
    {
        manual_seed(1);
        using var model = TorchModel.FromModule(new DigitsCnn(), [1, 8, 8], new TorchModelOptions { DisposeModule = true });
        var error = Assert.Throws<XaiException>(() => new GradCamExplainer(model, "conv9"));
        Assert.Equal("layer 'conv9' not found; the convolutional layers are: conv1, conv2", error.Message);
        Assert.Equal(["conv1", "conv2"], GradCamExplainer.ConvolutionalLayers(model));

        using var script = TorchModel.Load(TestFiles.PathOf("digits_cnn.pt"), [1, 8, 8]);
        var scriptError = Assert.Throws<XaiException>(() => new GradCamExplainer(script, "features"));
        Assert.Contains("the convolutional layers are: conv1, conv2", scriptError.Message);
    }

    [Fact]
    public void ALayerWithoutSpatialMapsOrAModelWithoutImageInputsIsRefused()
    {
        manual_seed(1);
        using var model = TorchModel.FromModule(new DigitsCnn(), [1, 8, 8], new TorchModelOptions { DisposeModule = true });
        var error = Assert.Throws<XaiException>(() => new GradCamExplainer(model, "fc").Explain(Datasets.Digits().Features.Slice(0, 2)));
        Assert.Contains("needs a convolutional layer", error.Message);

        using var linear = TestModules.Linear(new float[,] { { 1, 2 } }, [0]);
        using var flat = TorchModel.FromModule(linear, [2]);
        Assert.Contains("image inputs", Assert.Throws<XaiException>(() => new GradCamExplainer(flat, "x")).Message);
    }
}
