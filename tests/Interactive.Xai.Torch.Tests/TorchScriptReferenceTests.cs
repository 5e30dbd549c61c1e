using Interactive.Xai.Onnx;

namespace Interactive.Xai.Torch.Tests;

/// <summary>TorchScript files saved by PyTorch 1.13 against PyTorch's own outputs and gradients, and against the same networks exported to ONNX.</summary>
public class TorchScriptReferenceTests
{
    private static void AssertClose(float[] expected, float[] actual, double relative, double absolute)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= absolute + relative * scale,
                $"value {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData("digits_cnn")]
    [InlineData("diabetes_mlp")]
    public void TheTorchScriptFileGivesPyTorchsOutputsAndInputGradients(string name)
    {
        var reference = TestFiles.Model(name);
        var shape = TestFiles.Ints(reference, "inputShape");
        using var model = TorchModel.Load(TestFiles.PathOf(name + ".pt"), shape);
        var inputs = TestFiles.Flat(reference, "inputs");
        var expectedOutputs = TestFiles.Flat(reference, "outputs");
        var targets = TestFiles.Ints(reference, "targets");
        int rows = targets.Length, k = model.OutputNames.Count;
        Assert.Equal(expectedOutputs.Length / rows, k);

        var outputs = new float[rows * k];
        model.Predict(inputs, rows, outputs);
        AssertClose(expectedOutputs, outputs, 1e-5, 1e-6);

        var withGradient = new float[rows * k];
        var gradients = new float[rows * model.FeatureCount];
        model.PredictWithGradient(inputs, rows, targets, withGradient, gradients);
        AssertClose(expectedOutputs, withGradient, 1e-5, 1e-6);
        AssertClose(TestFiles.Flat(reference, "inputGradients"), gradients, 1e-4, 1e-7);
    }

    [Fact]
    public void TheDigitsCnnAsTorchScriptAndAsOnnxGiveTheSamePredictionsOnEveryDigit()
    {
        var digits = Datasets.Digits().Features;
        using var torchModel = TorchModel.Load(TestFiles.PathOf("digits_cnn.pt"), [1, 8, 8]);
        using var onnxModel = OnnxModel.Load(TestFiles.PathOf("digits_cnn.onnx"));
        Assert.Equal(onnxModel.FeatureCount, torchModel.FeatureCount);
        Assert.Equal(onnxModel.OutputNames.Count, torchModel.OutputNames.Count);
        var fromTorch = torchModel.Predict(digits);
        var fromOnnx = onnxModel.Predict(digits);
        AssertClose(fromOnnx, fromTorch, 1e-5, 1e-6);
        int disagreements = 0;
        for (int r = 0; r < digits.RowCount; r++)
            if (ArgMax(fromTorch.AsSpan(r * 10, 10)) != ArgMax(fromOnnx.AsSpan(r * 10, 10))) disagreements++;
        Assert.Equal(0, disagreements);
    }

    [Fact]
    public void TheDiabetesMlpAsTorchScriptAndAsOnnxGiveTheSameExactShapleyValues()
    {
        var data = Datasets.Diabetes().Features;
        using var torchModel = TorchModel.Load(TestFiles.PathOf("diabetes_mlp.pt"), [10]);
        using var onnxModel = OnnxModel.Load(TestFiles.PathOf("diabetes_mlp.onnx"));
        var background = WeightedBackground.KMeans(data, clusters: 8, seed: 1);
        var rows = data.Slice(0, 12);
        var fromTorch = new ExactShapleyExplainer(torchModel, background).Explain(rows);
        var fromOnnx = new ExactShapleyExplainer(onnxModel, background).Explain(rows);
        Assert.True(fromTorch.AdditivityError < 1e-3, $"additivity error {fromTorch.AdditivityError}");
        double scale = fromOnnx.Values.Max(Math.Abs);
        Assert.True(scale > 1, "the explanation has real values to compare");
        for (int i = 0; i < fromOnnx.Values.Length; i++)
            Assert.True(Math.Abs(fromOnnx.Values[i] - fromTorch.Values[i]) <= 1e-4 * scale, $"value {i}: onnx {fromOnnx.Values[i]}, torch {fromTorch.Values[i]}");
        Assert.Equal(fromOnnx.BaseValues[0], fromTorch.BaseValues[0], 3);
    }

    [Fact]
    public void TheDigitsCnnAsTorchScriptAndAsOnnxGiveTheSameKernelShapValuesForTheSameSeed()
    {
        var data = Datasets.Digits().Features;
        using var torchModel = TorchModel.Load(TestFiles.PathOf("digits_cnn.pt"), [1, 8, 8]);
        using var onnxModel = OnnxModel.Load(TestFiles.PathOf("digits_cnn.onnx"));
        var background = WeightedBackground.KMeans(data, clusters: 4, seed: 1);
        var rows = data.Slice(0, 3);
        var options = new KernelShapOptions { Samples = 1024, Seed = 5 };
        var fromTorch = new KernelShapExplainer(torchModel, background, options).Explain(rows, OutputTarget.Output(0));
        var fromOnnx = new KernelShapExplainer(onnxModel, background, options).Explain(rows, OutputTarget.Output(0));
        double scale = fromOnnx.Values.Max(Math.Abs);
        Assert.True(scale > 1e-3, "the explanation has real values to compare");
        for (int i = 0; i < fromOnnx.Values.Length; i++)
            Assert.True(Math.Abs(fromOnnx.Values[i] - fromTorch.Values[i]) <= 1e-3 * scale, $"value {i}: onnx {fromOnnx.Values[i]}, torch {fromTorch.Values[i]}");
    }

    [Fact]
    public void AStateDictSavedWithTorchSaveIsRefusedWithHowToSaveTorchScript()
    {
        var path = TestFiles.PathOf("diabetes_mlp_state_dict.pt");
        var error = Assert.Throws<XaiException>(() => TorchModel.Load(path, [10]));
        Assert.StartsWith(path + ": not a TorchScript file", error.Message);
        Assert.Contains("torch.jit.trace", error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
