using Interactive.Xai.MLNet;
using Microsoft.ML;

namespace Interactive.Xai.MLNet.Tests;

public class FeatureEliminationTests
{
    [Fact]
    public void RecursiveFeatureElimination_WithAnMLNetTrainer_DropsThePlantedUselessFeaturesFirst()
    {
        // Columns 0 and 2 drive the label; 1, 3 and 4 are noise.
        var random = new Random(1);
        var rows = Enumerable.Range(0, 400).Select(_ => Enumerable.Range(0, 5).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var data = FeatureTable.FromRows(rows, ["signal", "noise1", "strong", "noise2", "noise3"]);
        var labels = rows.Select(x => 1.5f * x[0] + 3f * x[2] + 0.05f * (float)(random.NextDouble() - 0.5)).ToArray();
        var context = new MLContext(seed: 1);
        var callback = MLNetFeatureElimination.RetrainAndScore(context, ml => ml.Transforms.NormalizeMeanVariance("Features").Append(ml.Regression.Trainers.Sdca(maximumNumberOfIterations: 100)));
        var result = new RecursiveFeatureElimination(callback, new RecursiveFeatureEliminationOptions { FeaturesToSelect = 2 }).Explain(data, labels);
        Assert.Equal(["noise1", "noise2", "noise3"], result.EliminationOrder.Take(3).Select(j => data.FeatureNames[j]).Order().ToArray());
        Assert.Equal(["signal", "strong"], result.SelectedNames.ToArray());
        Assert.Equal("signal", data.FeatureNames[result.EliminationOrder[3]]);
        Assert.True(result.MeanScores[result.FeatureCounts.IndexOf(2)] > 0.99);
        Assert.True(result.MeanScores[result.FeatureCounts.IndexOf(1)] < 0.95);
    }
}
