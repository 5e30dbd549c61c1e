namespace Interactive.Xai.Tests;

public class DifferentiableDelegateModelTests
{
    [Fact]
    public void ReluNetwork_HandWrittenBackpropMatchesFiniteDifferences()
    {
        var network = new ReluNetwork(inputs: 6, hidden: 12, outputs: 3, seed: 1);
        var model = network.Model();
        var rows = TestModels.RandomTable(5, 6, seed: 2, scale: 2);
        for (int r = 0; r < rows.RowCount; r++)
            for (int o = 0; o < 3; o++)
            {
                var x = rows.Row(r).ToArray();
                var gradient = GradientTestModels.Gradient(model, x, o);
                var numeric = GradientTestModels.FiniteDifferences(model, x, o, h: 1e-3f);
                for (int j = 0; j < 6; j++) Assert.Equal(numeric[j], gradient[j], 1e-2);
            }
    }

    [Fact]
    public void SoftmaxLinear_GradientMatchesFiniteDifferences()
    {
        var model = GradientTestModels.SoftmaxLinear([1, -2, 0.5f, 0.3f, 1.5f, -1, -0.7f, 0.2f, 2], [0.1f, -0.2f, 0.3f]);
        var x = new float[] { 0.4f, -0.8f, 1.1f };
        for (int o = 0; o < 3; o++)
        {
            var gradient = GradientTestModels.Gradient(model, x, o);
            var numeric = GradientTestModels.FiniteDifferences(model, x, o, h: 1e-3f);
            for (int j = 0; j < 3; j++) Assert.Equal(numeric[j], gradient[j], 1e-3);
        }
    }

    [Fact]
    public void PredictWithGradient_GivesTheSameOutputsAsPredict()
    {
        var model = new ReluNetwork(4, 8, 2, seed: 3).Model();
        var rows = TestModels.RandomTable(7, 4, seed: 4);
        var plain = model.Predict(rows);
        var outputs = new float[7 * 2];
        var gradients = new float[7 * 4];
        model.PredictWithGradient(rows.Values, 7, [0, 1, 0, 1, 0, 1, 0], outputs, gradients);
        Assert.Equal(plain, outputs);
    }

    [Fact]
    public void Linear_GradientIsTheWeightVector()
    {
        var model = DifferentiableDelegateModel.Linear([2, -3, 0.5f], bias: 1);
        Assert.Equal([2f, -3f, 0.5f], GradientTestModels.Gradient(model, [7, 8, 9], 0));
    }

    [Fact]
    public void OutputIndexOutOfRange_IsRejected()
    {
        var model = DifferentiableDelegateModel.Linear([1, 1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.PredictWithGradient(new float[2], 1, [1], new float[1], new float[2]));
    }
}
