using System.Diagnostics;
using Xunit.Abstractions;

namespace Interactive.Xai.Torch.Tests;

public class BuiltInModelsTests(ITestOutputHelper output)
{
    [Fact]
    public void TheDigitsCnnScoresAbove95PercentOnItsHeldOutFifth()
    {
        var stopwatch = Stopwatch.StartNew();
        using var trained = BuiltInModels.TrainDigitsCnn(seed: 42, epochs: 8);
        output.WriteLine($"digits CNN: held-out accuracy {trained.TestAccuracy:P2} on {trained.TestRows.Length} rows, trained in {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.True(trained.TestAccuracy > 0.95, $"held-out accuracy {trained.TestAccuracy:P2}");
        Assert.Equal([1, 8, 8], trained.Model.InputShape.ToArray());
        Assert.Equal(64, trained.Model.FeatureCount);
        Assert.Equal(Enumerable.Range(0, 10).Select(d => d.ToString()), trained.Model.OutputNames);
        Assert.Equal(1797 / 5, trained.TestRows.Length);
        Assert.Empty(trained.TrainRows.ToArray().Intersect(trained.TestRows.ToArray()));

        // Outputs are probabilities.
        var p = trained.Model.Predict(trained.TestFeatures.Slice(0, 20));
        for (int r = 0; r < 20; r++) Assert.Equal(1.0, p.AsSpan(r * 10, 10).ToArray().Sum(), 4);
    }

    [Fact]
    public void TheWineMlpScoresAbove90PercentOnItsHeldOutFifthAndTheSameSeedGivesTheSameModel()
    {
        using var first = BuiltInModels.TrainWineMlp(seed: 7);
        using var second = BuiltInModels.TrainWineMlp(seed: 7);
        output.WriteLine($"wine MLP: held-out accuracy {first.TestAccuracy:P2} on {first.TestRows.Length} rows");
        Assert.True(first.TestAccuracy > 0.9, $"held-out accuracy {first.TestAccuracy:P2}");
        Assert.Equal(13, first.Model.FeatureCount);
        Assert.Equal(first.Dataset.Features.FeatureNames, first.Model.FeatureNames);
        Assert.Equal(["class_0", "class_1", "class_2"], first.Model.OutputNames);
        Assert.Equal(first.TestRows.ToArray(), second.TestRows.ToArray());
        Assert.Equal(first.Model.Predict(first.TestFeatures), second.Model.Predict(second.TestFeatures));
    }
}
