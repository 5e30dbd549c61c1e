namespace Interactive.Xai.Tests;

public class PermutationImportanceExplainerTests
{
    private static (FeatureTable Data, float[] Labels) LinearData(int rows, float[] w, int seed)
    {
        var data = TestModels.RandomTable(rows, w.Length, seed);
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < w.Length; j++) labels[r] += w[j] * data[r, j];
        return (data, labels);
    }

    [Fact]
    public void IgnoredFeature_HasExactlyZeroImportanceInEveryRepeat()
    {
        float[] w = [3f, 0f, 1f];
        var (data, labels) = LinearData(300, w, seed: 1);
        var result = new PermutationImportanceExplainer(DelegateModel.Linear(w)).Explain(data, labels);
        Assert.All(result.Values[1], v => Assert.Equal(0.0, v));
        Assert.Equal(0.0, result.Mean[1]);
        Assert.Equal(0.0, result.StandardDeviation[1]);
        Assert.True(result.Mean[0] > result.Mean[2] && result.Mean[2] > 0);
    }

    [Fact]
    public void MeanSquaredErrorImportance_OfAPerfectLinearModel_IsTwiceTheFeatureVarianceTimesWeightSquared()
    {
        // Shuffling x_j adds w_j (x_pi - x) to the error; E[(x_pi - x)^2] = 2 Var(x) for an independent shuffle.
        float[] w = [2f, 0.5f];
        var (data, labels) = LinearData(4000, w, seed: 2);
        var result = new PermutationImportanceExplainer(DelegateModel.Linear(w), new PermutationImportanceOptions { Repeats = 10 }).Explain(data, labels);
        Assert.Equal(0.0, result.BaselineScore, 9);
        for (int j = 0; j < 2; j++)
        {
            var column = data.Column(j).Select(v => (double)v).ToArray();
            double mean = column.Average(), variance = column.Sum(v => (v - mean) * (v - mean)) / column.Length;
            Assert.Equal(2 * w[j] * w[j] * variance, result.Mean[j], 0.05 * 2 * w[j] * w[j] * variance);
        }
    }

    [Fact]
    public void Groups_ShuffleTheirColumnsTogether()
    {
        float[] w = [1f, 1f, 0f];
        var (data, labels) = LinearData(200, w, seed: 3);
        var options = new PermutationImportanceOptions { Groups = [new FeatureGroup("first two", ["x0", "x1"]), new FeatureGroup("last", ["x2"])] };
        var result = new PermutationImportanceExplainer(DelegateModel.Linear(w), options).Explain(data, labels);
        Assert.Equal(["first two", "last"], result.FeatureNames.ToArray());
        Assert.Equal([0, 1], result.FeatureColumns[0].ToArray());
        Assert.True(result.Mean[0] > 0);
        Assert.Equal(0.0, result.Mean[1]);
    }

    [Theory]
    [InlineData(PermutationMetric.R2)]
    [InlineData(PermutationMetric.MeanAbsoluteError)]
    public void ScoreAndLossMetrics_BothReportWorseningAsPositive(PermutationMetric metric)
    {
        float[] w = [2f, 0f];
        var (data, labels) = LinearData(200, w, seed: 4);
        var result = new PermutationImportanceExplainer(DelegateModel.Linear(w), new PermutationImportanceOptions { Metric = metric }).Explain(data, labels);
        Assert.True(result.Mean[0] > 0);
        Assert.Equal(0.0, result.Mean[1]);
    }

    [Fact]
    public void ClassificationMetrics_UseClassIndicesAndProbabilities()
    {
        // Two classes decided by the sign of x0; probabilities from a logistic of 4 x0.
        var model = DelegateModel.FromRowFunction(2, ["p0", "p1"], (x, y) =>
        {
            float p1 = 1f / (1f + MathF.Exp(-4 * x[0]));
            y[0] = 1 - p1;
            y[1] = p1;
        });
        var data = TestModels.RandomTable(400, 2, seed: 5);
        var labels = Enumerable.Range(0, 400).Select(r => data[r, 0] > 0 ? 1f : 0f).ToArray();
        var accuracy = new PermutationImportanceExplainer(model, new PermutationImportanceOptions { Metric = PermutationMetric.Accuracy }).Explain(data, labels);
        Assert.Equal(1.0, accuracy.BaselineScore);
        Assert.InRange(accuracy.Mean[0], 0.3, 0.7);
        Assert.Equal(0.0, accuracy.Mean[1]);
        var logLoss = new PermutationImportanceExplainer(model, new PermutationImportanceOptions { Metric = PermutationMetric.LogLoss }).Explain(data, labels);
        double expected = Enumerable.Range(0, 400).Average(r => -Math.Log(1f / (1f + MathF.Exp(-4 * Math.Abs(data[r, 0])))));
        Assert.Equal(expected, logLoss.BaselineScore, 4);
        Assert.True(logLoss.Mean[0] > 0);
    }

    [Fact]
    public void LogLoss_RejectsOutputsThatAreNotProbabilities()
    {
        var (data, labels) = LinearData(10, [1f], seed: 6);
        for (int i = 0; i < labels.Length; i++) labels[i] = i % 2;
        var error = Assert.Throws<XaiException>(() => new PermutationImportanceExplainer(DelegateModel.Linear([5f]), new PermutationImportanceOptions { Metric = PermutationMetric.LogLoss }).Explain(data, labels));
        Assert.Contains("probabilities", error.Message);
    }

    [Fact]
    public void SameSeed_GivesTheSameRepeatsWhateverTheBatching()
    {
        float[] w = [1f, -1f, 0.5f];
        var (data, labels) = LinearData(100, w, seed: 7);
        var a = new PermutationImportanceExplainer(DelegateModel.Linear(w)).Explain(data, labels);
        var b = new PermutationImportanceExplainer(DelegateModel.Linear(w), new PermutationImportanceOptions { BatchSize = 17, MaxEvaluationsPerBlock = 150 }).Explain(data, labels);
        for (int j = 0; j < 3; j++) Assert.Equal(a.Values[j].ToArray(), b.Values[j].ToArray());
        Assert.Equal(100 * (1 + 3 * 5), a.ModelEvaluations);
    }

    [Fact]
    public void EachRepeatIsItsOwnSeededShuffle_IdenticalForOneOrTwoWorkersAndAnyBatchSize()
    {
        float[] w = [1f, -2f, 0.5f, 0f];
        var (data, labels) = LinearData(257, w, seed: 11);
        var model = DelegateModel.Linear(w);
        var options = new PermutationImportanceOptions { Repeats = 7, Seed = 5 };
        var reference = new PermutationImportanceExplainer(model, options with { MaxDegreeOfParallelism = 1 }).Explain(data, labels);
        foreach (var variant in new[]
        {
            options with { MaxDegreeOfParallelism = 2 },
            options with { MaxDegreeOfParallelism = 2, BatchSize = 100 },
            options with { MaxDegreeOfParallelism = 1, BatchSize = 1 },
            options with { MaxDegreeOfParallelism = 2, BatchSize = 33, MaxEvaluationsPerBlock = 600 },
        })
        {
            var result = new PermutationImportanceExplainer(model, variant).Explain(data, labels);
            for (int j = 0; j < w.Length; j++) Assert.Equal(reference.Values[j].ToArray(), result.Values[j].ToArray());
        }
        // Independently: repeat r of feature j is the MSE after shuffling column j with the stream (seed, j, r), minus the baseline MSE.
        double Mse(Func<int, int, float> value)
        {
            double sum = 0;
            for (int r = 0; r < data.RowCount; r++)
            {
                double y = 0;
                for (int c = 0; c < w.Length; c++) y += w[c] * value(r, c);
                float prediction = (float)y;
                sum += (prediction - labels[r]) * (double)(prediction - labels[r]);
            }
            return sum / data.RowCount;
        }
        double baseline = Mse((r, c) => data[r, c]);
        for (int j = 0; j < w.Length; j++)
            for (int repeat = 0; repeat < 7; repeat++)
            {
                var permutation = Numerics.Statistics.Permutation(data.RowCount, new Random(Numerics.Statistics.DeriveSeed(5, j, repeat)));
                double expected = Mse((r, c) => c == j ? data[permutation[r], c] : data[r, c]) - baseline;
                Assert.Equal(expected, reference.Values[j][repeat], 1e-4 * Math.Max(1, Math.Abs(expected)));
            }
        Assert.All(reference.Values[3], v => Assert.Equal(0.0, v));
    }
}
