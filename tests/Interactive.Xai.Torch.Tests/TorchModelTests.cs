using TorchSharp;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

public class TorchModelTests
{
    private static readonly float[,] W = { { 1, -2, 3, 0.5f }, { -1, 0, 2, 4 } };
    private static readonly float[] B = { 0.25f, -1 };

    private static float[] Rows(int count, int features, int seed)
    {
        var random = new Random(seed);
        var values = new float[count * features];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 4 - 2);
        return values;
    }

    [Fact]
    public void PredictOfALinearModuleEqualsWxPlusBForEveryRowOfTheBatch()
    {
        using var module = TestModules.Linear(W, B);
        using var model = TorchModel.FromModule(module, [4], new TorchModelOptions { OutputNames = ["a", "b"] });
        Assert.Equal(4, model.FeatureCount);
        Assert.Equal(["a", "b"], model.OutputNames);
        var x = Rows(37, 4, 1);
        var y = new float[37 * 2];
        model.Predict(x, 37, y);
        for (int r = 0; r < 37; r++)
            for (int k = 0; k < 2; k++)
            {
                double expected = B[k];
                for (int j = 0; j < 4; j++) expected += W[k, j] * x[r * 4 + j];
                Assert.Equal(expected, y[r * 2 + k], 4);
            }
    }

    [Fact]
    public void PredictWithGradientOfALinearModuleGivesTheSelectedWeightRowPerRow()
    {
        using var module = TestModules.Linear(W, B);
        using var model = TorchModel.FromModule(module, [4]);
        var x = Rows(5, 4, 2);
        int[] selected = [0, 1, 1, 0, 1];
        var y = new float[10];
        var g = new float[20];
        model.PredictWithGradient(x, 5, selected, y, g);
        var plain = new float[10];
        model.Predict(x, 5, plain);
        Assert.Equal(plain, y);
        for (int r = 0; r < 5; r++)
            for (int j = 0; j < 4; j++) Assert.Equal(W[selected[r], j], g[r * 4 + j], 5);
        Assert.Null(module.parameters().First().grad);
    }

    [Fact]
    public void PredictWithGradientOfAQuadraticIsTwiceTheInputAndRowsDoNotMix()
    {
        // y = sum of x^2 over a [2, 3] image; dy/dx = 2x.
        using var module = TestModules.Function(x => (x * x).sum([1, 2]).unsqueeze(1));
        using var model = TorchModel.FromModule(module, [2, 3]);
        Assert.Equal(6, model.FeatureCount);
        Assert.Equal(["output"], model.OutputNames);
        var x = Rows(4, 6, 3);
        var y = new float[4];
        var g = new float[24];
        model.PredictWithGradient(x, 4, [0, 0, 0, 0], y, g);
        for (int r = 0; r < 4; r++)
        {
            double sum = 0;
            for (int j = 0; j < 6; j++) sum += x[r * 6 + j] * x[r * 6 + j];
            Assert.Equal(sum, y[r], 4);
        }
        for (int i = 0; i < 24; i++) Assert.Equal(2 * x[i], g[i], 5);
    }

    [Fact]
    public void TheModuleRunsInEvalModeAndItsTrainingFlagIsRestored()
    {
        using var module = nn.Sequential(("drop", nn.Dropout(0.5)));
        module.train();
        using var model = TorchModel.FromModule(module, [200]);
        var x = Enumerable.Repeat(1f, 200).ToArray();
        var y = new float[200];
        model.Predict(x, 1, y);
        Assert.All(y, v => Assert.Equal(1f, v)); // dropout is the identity in eval mode
        Assert.True(module.training);
    }

    [Fact]
    public void A_child_left_in_training_mode_under_an_eval_root_does_not_mix_rows_through_batch_statistics()
    {
        manual_seed(3);
        using var module = nn.Sequential(("fc", nn.Linear(4, 3)), ("norm", nn.BatchNorm1d(3)), ("relu", nn.ReLU()), ("out", nn.Linear(3, 2)));
        module.eval();
        module.named_modules().Single(m => m.name == "norm").module.train(); // the root says eval, the BatchNorm trains
        using var model = TorchModel.FromModule(module, [4]);
        const int rows = 6;
        var x = Rows(rows, 4, seed: 11);
        var batchOutputs = new float[rows * 2];
        var batchGradients = new float[rows * 4];
        var targets = Enumerable.Range(0, rows).Select(r => r % 2).ToArray();

        model.PredictWithGradient(x, rows, targets, batchOutputs, batchGradients);

        for (int r = 0; r < rows; r++)
        {
            var single = new float[2];
            var singleGradient = new float[4];
            model.PredictWithGradient(x.AsSpan(r * 4, 4), 1, [targets[r]], single, singleGradient);
            for (int o = 0; o < 2; o++) Assert.Equal(single[o], batchOutputs[r * 2 + o], 5);
            for (int j = 0; j < 4; j++) Assert.Equal(singleGradient[j], batchGradients[r * 4 + j], 5);
        }
        Assert.False(module.training);
        Assert.True(module.named_modules().Single(m => m.name == "norm").module.training);
        Assert.False(module.named_modules().Single(m => m.name == "fc").module.training);
    }

    [Fact]
    public void A_child_the_user_froze_with_eval_stays_frozen_after_a_call_on_a_training_root()
    {
        using var module = nn.Sequential(("fc", nn.Linear(4, 2)), ("drop", nn.Dropout(0.5)));
        module.train();
        module.named_modules().Single(m => m.name == "drop").module.eval();
        using var model = TorchModel.FromModule(module, [4]);
        var y = new float[2];

        model.Predict(Rows(1, 4, seed: 2), 1, y);

        Assert.True(module.training);
        Assert.True(module.named_modules().Single(m => m.name == "fc").module.training);
        Assert.False(module.named_modules().Single(m => m.name == "drop").module.training);
    }

    [Fact]
    public void AnInputShapeTheModuleRejectsIsOneXaiExceptionNamingTheShape()
    {
        using var module = TestModules.Linear(W, B);
        var error = Assert.Throws<XaiException>(() => TorchModel.FromModule(module, [5]));
        Assert.Contains("[2,5]", error.Message);
        Assert.Contains("failed", error.Message);
    }

    [Fact]
    public void AnIntegerOutputIsRefused()
    {
        using var module = TestModules.Function(x => x.argmax(1));
        var error = Assert.Throws<XaiException>(() => TorchModel.FromModule(module, [3]));
        Assert.Contains("Int64", error.Message);
        Assert.Contains("floating-point", error.Message);
    }

    [Fact]
    public void GradientsOfAnOutputThatIgnoresTheInputAreAnXaiExceptionButPredictWorks()
    {
        using var module = TestModules.Function(x => ones(x.shape[0], 1));
        using var model = TorchModel.FromModule(module, [3]);
        var y = new float[2];
        model.Predict(new float[6], 2, y);
        Assert.Equal([1f, 1f], y);
        var error = Assert.Throws<XaiException>(() => model.PredictWithGradient(new float[6], 2, [0, 0], y, new float[6]));
        Assert.Contains("gradients are unavailable", error.Message);
        Assert.Contains("output index 1 does not exist", Assert.Throws<XaiException>(() => model.PredictWithGradient(new float[6], 2, [0, 1], y, new float[6])).Message);
    }

    [Fact]
    public void AnOutputWithoutABatchAxisIsRefused()
    {
        using var module = TestModules.Function(x => x.sum());
        var error = Assert.Throws<XaiException>(() => TorchModel.FromModule(module, [3]));
        Assert.Contains("first axis must be the batch", error.Message);
    }

    [Fact]
    public void ABadInputShapeOrWrongOutputNameCountIsRefused()
    {
        using var module = TestModules.Linear(W, B);
        Assert.Contains("positive sizes", Assert.Throws<XaiException>(() => TorchModel.FromModule(module, [0, 4])).Message);
        Assert.Contains("3 output names", Assert.Throws<XaiException>(() => TorchModel.FromModule(module, [4], new TorchModelOptions { OutputNames = ["a", "b", "c"] })).Message);
    }

    [Fact]
    public void AGarbageTorchScriptFileIsOneXaiExceptionNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"garbage-{Guid.NewGuid():N}.pt");
        File.WriteAllText(path, "this is not a TorchScript archive");
        try
        {
            var error = Assert.Throws<XaiException>(() => TorchModel.Load(path, [4]));
            Assert.StartsWith(path + ": not a TorchScript file", error.Message);
            Assert.DoesNotContain("\n", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Contains("not found", Assert.Throws<XaiException>(() => TorchModel.Load(path, [4])).Message);
    }

    [Fact]
    public void AnInputSpanShorterThanTheRowsIsOneXaiException()
    {
        using var module = TestModules.Linear(W, B);
        using var model = TorchModel.FromModule(module, [4]);
        var error = Assert.Throws<XaiException>(() => model.Predict(new float[7], 2, new float[4]));
        Assert.Contains("7 input values for 2 row(s)", error.Message);
    }
}
