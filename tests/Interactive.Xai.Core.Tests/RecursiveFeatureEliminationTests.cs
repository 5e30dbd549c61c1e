using Interactive.Xai.Numerics;

namespace Interactive.Xai.Tests;

public class RecursiveFeatureEliminationTests
{
    /// <summary>Columns 1, 3, 5 drive the label (weights 3, -2, 1); 0, 2, 4 are noise.</summary>
    private static (FeatureTable Data, float[] Labels) Planted(int rows, int seed)
    {
        var random = new Random(seed);
        var data = TestModels.RandomTable(rows, 6, seed);
        var labels = Enumerable.Range(0, rows).Select(r => (float)(3 * data[r, 1] - 2 * data[r, 3] + data[r, 5] + 0.1 * (random.NextDouble() - 0.5))).ToArray();
        return (data, labels);
    }

    /// <summary>Ordinary least squares: R² on the validation rows, importance |coefficient| x std.</summary>
    internal static FeatureSubsetScore LeastSquares(FeatureSubsetTask task)
    {
        int n = task.Train.RowCount, p = task.Train.ColumnCount;
        var x = task.Train.Values.ToArray().Select(v => (double)v).ToArray();
        var y = task.TrainLabels.Select(v => (double)v).ToArray();
        var regression = WeightedRegression.Create(x, n, p, y, 1, Enumerable.Repeat(1.0, n).ToArray());
        var fit = regression.Fit(Enumerable.Range(0, p).ToArray(), 0, 0);
        double mean = task.ValidationLabels.Average(v => (double)v), rss = 0, total = 0;
        for (int r = 0; r < task.Validation.RowCount; r++)
        {
            double predicted = fit.Intercept;
            for (int j = 0; j < p; j++) predicted += fit.Coefficients[j] * task.Validation[r, j];
            rss += Math.Pow(task.ValidationLabels[r] - predicted, 2);
            total += Math.Pow(task.ValidationLabels[r] - mean, 2);
        }
        var importances = Enumerable.Range(0, p).Select(j =>
        {
            var column = task.Train.Column(j);
            double m = column.Average(v => (double)v);
            return Math.Abs(fit.Coefficients[j]) * Math.Sqrt(column.Average(v => (v - m) * (v - m)));
        }).ToArray();
        return new FeatureSubsetScore(1 - rss / total, importances);
    }

    [Fact]
    public void PlantedUselessFeatures_AreDroppedFirst()
    {
        var (data, labels) = Planted(300, 1);
        var result = new RecursiveFeatureElimination(LeastSquares, new RecursiveFeatureEliminationOptions { FeaturesToSelect = 3 }).Explain(data, labels);
        Assert.Equal([0, 2, 4], result.EliminationOrder.Take(3).Order().ToArray());
        Assert.Equal([1, 3, 5], result.SelectedFeatures.ToArray());
        // The weakest real feature (weight 1) goes next, the strongest (weight 3) last.
        Assert.Equal([5, 3, 1], result.EliminationOrder.Skip(3).ToArray());
        Assert.All(new[] { 1, 3, 5 }, j => Assert.Equal(1, result.Ranking[j]));
        Assert.All(new[] { 0, 2, 4 }, j => Assert.True(result.Ranking[j] > 1));
        Assert.Equal([6, 5, 4, 3, 2, 1], result.FeatureCounts.ToArray());
        Assert.Equal(0, result.Folds);
    }

    [Fact]
    public void CrossValidation_SelectsTheInformativeFeaturesAndReportsAStdBand()
    {
        var (data, labels) = Planted(300, 2);
        var result = new RecursiveFeatureElimination(LeastSquares, new RecursiveFeatureEliminationOptions { Folds = 5 }).Explain(data, labels);
        Assert.Equal("rfecv", result.Method);
        // Tolerance 0: the smallest size with the best mean CV score, and the features still present at that size on the
        // final path (the tail of the elimination order); the three planted features are among them.
        int bestSize = result.FeatureCounts.Where((_, s) => result.MeanScores[s] == result.MeanScores.Max()).Min();
        Assert.Equal(bestSize, result.SelectedFeatures.Length);
        Assert.Equal(result.EliminationOrder.Skip(6 - bestSize).Order().ToArray(), result.SelectedFeatures.ToArray());
        Assert.True(new[] { 1, 3, 5 }.All(result.SelectedFeatures.Contains), $"selected {string.Join(",", result.SelectedFeatures)}");
        var tolerant = new RecursiveFeatureElimination(LeastSquares, new RecursiveFeatureEliminationOptions { Folds = 5, Tolerance = 1e-3 }).Explain(data, labels);
        Assert.Equal([1, 3, 5], tolerant.SelectedFeatures.ToArray());
        int three = result.FeatureCounts.IndexOf(3), two = result.FeatureCounts.IndexOf(2);
        Assert.True(result.MeanScores[three] > 0.99, $"cv R2 with 3 features {result.MeanScores[three]}");
        Assert.True(result.MeanScores[two] < result.MeanScores[three] - 0.01);
        Assert.Equal(6 * 5, result.FoldScores.Length);
        // The band is the sample standard deviation (n - 1) of each size's 5 fold scores, computed here by hand.
        for (int s = 0; s < 6; s++)
        {
            var scores = result.FoldScores.Skip(s * 5).Take(5).ToArray();
            double mean = scores.Sum() / 5;
            Assert.Equal(mean, result.MeanScores[s], 12);
            Assert.Equal(Math.Sqrt(scores.Sum(v => (v - mean) * (v - mean)) / 4), result.ScoreStandardDeviations[s], 12);
        }
        Assert.True(result.ScoreStandardDeviations[two] > 0);
    }

    [Fact]
    public void CrossValidation_FoldScoresMeanAndStd_AreExactForAScorerWithKnownFoldScores()
    {
        // 10 rows in 4 folds: validation folds of 3, 3, 2 and 2 rows. The scorer returns the validation row count, so
        // every size scores 3, 3, 2, 2: mean 2.5, sample std sqrt(4 x 0.25 / 3) = sqrt(1/3). Importance = the
        // feature's index, so feature 0 goes first, then 1, ...; all sizes tie, so the smallest (1) is selected: {3}.
        var data = TestModels.RandomTable(10, 4, seed: 9);
        var labels = Enumerable.Range(0, 10).Select(i => (float)i).ToArray();
        var rfe = new RecursiveFeatureElimination(task => new FeatureSubsetScore(task.Validation.RowCount, task.Features.Select(j => (double)j + 1).ToArray()),
            new RecursiveFeatureEliminationOptions { Folds = 4 });
        var result = rfe.Explain(data, labels);
        Assert.Equal([4, 3, 2, 1], result.FeatureCounts.ToArray());
        for (int s = 0; s < 4; s++)
        {
            Assert.Equal([2.0, 2.0, 3.0, 3.0], result.FoldScores.Skip(s * 4).Take(4).Order().ToArray());
            Assert.Equal(2.5, result.MeanScores[s], 12);
            Assert.Equal(Math.Sqrt(1 / 3.0), result.ScoreStandardDeviations[s], 12);
        }
        Assert.Equal([0, 1, 2, 3], result.EliminationOrder.ToArray());
        Assert.Equal([3], result.SelectedFeatures.ToArray());
    }

    [Fact]
    public void StepOfTwo_DropsTwoAtATime()
    {
        var (data, labels) = Planted(200, 3);
        var result = new RecursiveFeatureElimination(LeastSquares, new RecursiveFeatureEliminationOptions { Step = 2, FeaturesToSelect = 2 }).Explain(data, labels);
        Assert.Equal([6, 4, 2, 1], result.FeatureCounts.ToArray());
        Assert.Equal([0, 2, 4], result.EliminationOrder.Take(3).Order().ToArray().Take(3));
    }

    [Fact]
    public void BadCallbacksAndOptions_GiveClearErrors()
    {
        var (data, labels) = Planted(50, 4);
        var wrong = new RecursiveFeatureElimination(_ => new FeatureSubsetScore(1, [1.0]));
        Assert.Contains("1 importances for 6 features", Assert.Throws<XaiException>(() => wrong.Explain(data, labels)).Message, StringComparison.Ordinal);
        var nan = new RecursiveFeatureElimination(t => new FeatureSubsetScore(double.NaN, new double[t.Features.Length]));
        Assert.Contains("score of NaN", Assert.Throws<XaiException>(() => nan.Explain(data, labels)).Message, StringComparison.Ordinal);
        Assert.Throws<XaiException>(() => new RecursiveFeatureElimination(LeastSquares, new RecursiveFeatureEliminationOptions { Folds = 1 }));
        Assert.Throws<XaiException>(() => new RecursiveFeatureElimination(LeastSquares).Explain(data, labels.Take(10).ToArray()));
    }
}
