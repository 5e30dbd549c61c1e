namespace Interactive.Xai.Torch.Tests;

public class BuiltInModelsMonitorTests
{
    [Fact]
    public void TrainingTheDigitsCnnWithAMonitorLogsEveryStepAndEpochAndChangesNothingInTheModel()
    {
        const int epochs = 2;
        using var monitor = new TrainingMonitor(new TrainingMonitorOptions { MinimumUpdateInterval = TimeSpan.Zero });
        using var monitored = BuiltInModels.TrainDigitsCnn(seed: 3, epochs: epochs, monitor: monitor);
        using var plain = BuiltInModels.TrainDigitsCnn(seed: 3, epochs: epochs);

        // Logging reads gradients and evaluates the held-out rows in eval mode without gradients: the model is the same.
        Assert.Equal(plain.Model.Predict(plain.TestFeatures), monitored.Model.Predict(monitored.TestFeatures));

        var snapshot = monitor.Snapshot();
        Assert.True(snapshot.IsCompleted);
        int stepsPerEpoch = (monitored.TrainRows.Length + 63) / 64;
        long steps = (long)epochs * stepsPerEpoch;
        var loss = snapshot.Find(TrainingMonitor.LossName)!;
        Assert.Equal(Enumerable.Range(0, (int)steps).Select(i => (long)i), loss.Points.Select(p => p.Step));
        Assert.Equal(Enumerable.Range(0, epochs).SelectMany(e => Enumerable.Repeat(e, stepsPerEpoch)), loss.Points.Select(p => p.Epoch));
        Assert.All(snapshot.Find("accuracy")!.Points, p => Assert.InRange(p.Value, 0, 1));
        Assert.All(snapshot.LearningRate.Points, p => Assert.Equal(0.01, p.Value));
        Assert.Equal(steps, snapshot.LearningRate.Points.Length);
        // Training lowers the loss: the last epoch's mean batch loss is below the first's.
        Assert.True(loss.Points.Where(p => p.Epoch == epochs - 1).Average(p => p.Value) < loss.Points.Where(p => p.Epoch == 0).Average(p => p.Value));

        // One gradient norm per layer with parameters and step, all positive.
        Assert.Equal(["conv1", "conv2", "fc"], snapshot.GradientNorms.Select(g => g.Name));
        Assert.All(snapshot.GradientNorms, g =>
        {
            Assert.Equal(steps, g.Points.Length);
            Assert.All(g.Points, p => Assert.True(p.Value > 0));
        });

        // Validation at each epoch's last step; the last one is the trained model on the held-out rows.
        var validationLoss = snapshot.Find(TrainingMonitor.LossName, TrainingSplit.Validation)!;
        var validationAccuracy = snapshot.Find("accuracy", TrainingSplit.Validation)!;
        Assert.Equal(Enumerable.Range(1, epochs).Select(e => (long)e * stepsPerEpoch - 1), validationLoss.Points.Select(p => p.Step));
        Assert.Equal(monitored.TestAccuracy, validationAccuracy.Points[^1].Value, 12);
        var probabilities = monitored.Model.Predict(monitored.TestFeatures);
        var labels = monitored.TestLabels;
        double crossEntropy = -Enumerable.Range(0, labels.Length).Average(r => Math.Log(probabilities[r * 10 + (int)labels[r]]));
        Assert.Equal(crossEntropy, validationLoss.Points[^1].Value, 3);
    }

    [Fact]
    public void TheWineMlpLogsItsTwoLayersGradientNorms()
    {
        using var monitor = new TrainingMonitor();
        using var trained = BuiltInModels.TrainWineMlp(seed: 1, epochs: 3, monitor: monitor);
        var snapshot = monitor.Snapshot();
        Assert.Equal(["hidden", "out"], snapshot.GradientNorms.Select(g => g.Name));
        Assert.Equal(3, snapshot.Find(TrainingMonitor.LossName, TrainingSplit.Validation)!.Points.Length);
        Assert.Equal(trained.TestAccuracy, snapshot.Find("accuracy", TrainingSplit.Validation)!.Points[^1].Value, 12);
    }
}
