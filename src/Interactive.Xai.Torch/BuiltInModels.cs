using System.Collections.Immutable;
using System.Globalization;
using Interactive.Xai.Torch.Inspection;
using TorchSharp;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch;

/// <summary>A model trained by <see cref="BuiltInModels"/>, with the split it was trained and tested on.</summary>
public sealed class TrainedTorchModel : IDisposable
{
    internal TrainedTorchModel(TorchModel model, Dataset dataset, ImmutableArray<int> trainRows, ImmutableArray<int> testRows, double testAccuracy)
    {
        Model = model;
        Dataset = dataset;
        TrainRows = trainRows;
        TestRows = testRows;
        TestAccuracy = testAccuracy;
    }

    /// <summary>The trained model (it owns its module).</summary>
    public TorchModel Model { get; }

    /// <summary>The dataset it was trained on.</summary>
    public Dataset Dataset { get; }

    /// <summary>The dataset rows used for training.</summary>
    public ImmutableArray<int> TrainRows { get; }

    /// <summary>The held-out dataset rows (never seen in training).</summary>
    public ImmutableArray<int> TestRows { get; }

    /// <summary>The held-out rows' features.</summary>
    public FeatureTable TestFeatures => Dataset.Features.SelectRows(TestRows);

    /// <summary>The held-out rows' labels.</summary>
    public float[] TestLabels => TestRows.Select(r => Dataset.Labels[r]).ToArray();

    /// <summary>The fraction of held-out rows whose arg-max output is the label.</summary>
    public double TestAccuracy { get; }

    /// <inheritdoc />
    public void Dispose() => Model.Dispose();
}

/// <summary>
/// Small TorchSharp models trained in seconds on the shipped datasets, for tests and demos. The same seed gives the
/// same split, initial weights and batch order, provided no other thread draws from TorchSharp's process-wide random
/// generator while a model is being built (the initial weights come from it).
/// </summary>
public static class BuiltInModels
{
    /// <summary>
    /// Trains a <see cref="DigitsCnn"/> on 80% of <see cref="Datasets.Digits"/> (a seeded shuffle; the other 20% are
    /// held out) with Adam (learning rate 0.01, batches of 64) for <paramref name="epochs"/> epochs. Input shape
    /// [1, 8, 8] of raw pixels (0..16); outputs are the probabilities of the digits "0".."9".
    /// </summary>
    /// <param name="seed">The seed of the split, the initial weights and the batch order.</param>
    /// <param name="epochs">The number of passes over the training rows.</param>
    /// <param name="monitor">When given, each step's training loss and "accuracy" (of its batch, logged before the update), learning rate and per-layer gradient norms (<see cref="GradientNorms.Capture"/> after the backward pass), and at each epoch's last step every parameter tensor's weight and gradient distribution (<see cref="ParameterDistributions.Log"/>, before the update) and the held-out rows' loss and "accuracy" (validation split) are logged into it; steps count from 0 over all epochs. It is completed when training ends.</param>
    public static TrainedTorchModel TrainDigitsCnn(int seed = 42, int epochs = 8, TrainingMonitor? monitor = null)
    {
        TorchRuntime.EnsureAvailable();
        var dataset = Datasets.Digits();
        manual_seed(seed);
        var module = new DigitsCnn();
        return Train(dataset, module, module.Logits, [1, 8, 8], Enumerable.Range(0, 10).Select(d => d.ToString(CultureInfo.InvariantCulture)).ToArray(),
            seed, epochs, learningRate: 0.01, monitor: monitor);
    }

    /// <summary>
    /// Trains a <see cref="TabularMlp"/> (32 hidden units) on 80% of <see cref="Datasets.Wine"/> (seeded shuffle, 20%
    /// held out), standardising with the training rows' statistics, with Adam (learning rate 0.01, batches of 64) for
    /// <paramref name="epochs"/> epochs. Inputs are the 13 raw wine features; outputs are the probabilities of the
    /// classes "class_0".."class_2".
    /// </summary>
    /// <param name="seed">The seed of the split, the initial weights and the batch order.</param>
    /// <param name="epochs">The number of passes over the training rows.</param>
    /// <param name="monitor">When given, each step's training loss and "accuracy" (of its batch, logged before the update), learning rate and per-layer gradient norms (<see cref="GradientNorms.Capture"/> after the backward pass), and at each epoch's last step every parameter tensor's weight and gradient distribution (<see cref="ParameterDistributions.Log"/>, before the update) and the held-out rows' loss and "accuracy" (validation split) are logged into it; steps count from 0 over all epochs. It is completed when training ends.</param>
    public static TrainedTorchModel TrainWineMlp(int seed = 42, int epochs = 60, TrainingMonitor? monitor = null)
    {
        TorchRuntime.EnsureAvailable();
        var dataset = Datasets.Wine();
        var (train, _) = Split(dataset.Features.RowCount, seed);
        int m = dataset.Features.ColumnCount;
        var means = new float[m];
        var deviations = new float[m];
        for (int j = 0; j < m; j++)
        {
            double sum = 0, squares = 0;
            foreach (var r in train) sum += dataset.Features[r, j];
            double mu = sum / train.Length;
            foreach (var r in train) squares += (dataset.Features[r, j] - mu) * (dataset.Features[r, j] - mu);
            means[j] = (float)mu;
            deviations[j] = (float)Math.Sqrt(squares / train.Length);
        }
        int classes = (int)dataset.Labels.Max() + 1;
        manual_seed(seed);
        var module = new TabularMlp(means, deviations, 32, classes);
        return Train(dataset, module, module.Logits, [m], Enumerable.Range(0, classes).Select(c => $"class_{c}").ToArray(),
            seed, epochs, learningRate: 0.01, featureNames: dataset.Features.FeatureNames, monitor: monitor);
    }


    private static TrainedTorchModel Train(Dataset dataset, nn.Module<Tensor, Tensor> module, Func<Tensor, Tensor> logits,
        int[] inputShape, string[] outputNames, int seed, int epochs, double learningRate, IReadOnlyList<string>? featureNames = null, TrainingMonitor? monitor = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        var (train, test) = Split(dataset.Features.RowCount, seed);
        int m = dataset.Features.ColumnCount;
        try
        {
            using (var scope = NewDisposeScope())
            {
                var shape = new long[inputShape.Length + 1];
                shape[0] = train.Length;
                for (int i = 0; i < inputShape.Length; i++) shape[i + 1] = inputShape[i];
                var x = tensor(dataset.Features.SelectRows(train).Values.ToArray()).reshape(shape);
                var y = tensor(train.Select(r => (long)dataset.Labels[r]).ToArray());
                Tensor? validationX = null, validationY = null;
                if (monitor is not null)
                {
                    shape[0] = test.Length;
                    validationX = tensor(dataset.Features.SelectRows(test).Values.ToArray()).reshape(shape);
                    validationY = tensor(test.Select(r => (long)dataset.Labels[r]).ToArray());
                }
                long stepIndex = 0;
                var optimizer = optim.Adam(module.parameters(), lr: learningRate);
                var order = new Random(seed);
                var permutation = Enumerable.Range(0, train.Length).ToArray();
                module.train();
                for (int epoch = 0; epoch < epochs; epoch++)
                {
                    order.Shuffle(permutation);
                    for (int start = 0; start < permutation.Length; start += 64)
                    {
                        using var step = NewDisposeScope();
                        var batch = tensor(permutation.AsSpan(start, Math.Min(64, permutation.Length - start)).ToArray().Select(i => (long)i).ToArray());
                        optimizer.zero_grad();
                        var batchLabels = y.index_select(0, batch);
                        var batchLogits = logits(x.index_select(0, batch));
                        var loss = nn.functional.cross_entropy(batchLogits, batchLabels);
                        loss.backward();
                        if (monitor is not null)
                        {
                            monitor.Log(epoch, stepIndex, loss.item<float>(), new Dictionary<string, double> { ["accuracy"] = Accuracy(batchLogits, batchLabels) });
                            monitor.LogLearningRate(epoch, stepIndex, learningRate);
                            monitor.LogGradientNorms(stepIndex, GradientNorms.Capture(module));
                            // each tensor's weight and gradient distribution once per epoch, at its last step, before the update
                            if (start + 64 >= permutation.Length) ParameterDistributions.Log(monitor, module, epoch, stepIndex);
                        }
                        optimizer.step();
                        if (monitor is not null && start + 64 >= permutation.Length)
                        {
                            module.eval();
                            using (no_grad())
                            {
                                var validationLogits = logits(validationX!);
                                var validationLoss = nn.functional.cross_entropy(validationLogits, validationY!);
                                monitor.LogValidation(epoch, stepIndex, validationLoss.item<float>(),
                                    new Dictionary<string, double> { ["accuracy"] = Accuracy(validationLogits, validationY!) });
                            }
                            module.train();
                        }
                        stepIndex++;
                    }
                }
                module.eval();
                monitor?.Complete();
            }
            var model = TorchModel.FromModule(module, inputShape, new TorchModelOptions
            {
                OutputNames = outputNames,
                FeatureNames = featureNames,
                DisposeModule = true,
            });
            var testFeatures = dataset.Features.SelectRows(test);
            var probabilities = model.Predict(testFeatures);
            int correct = 0, k = outputNames.Length;
            for (int r = 0; r < test.Length; r++)
            {
                int best = 0;
                for (int c = 1; c < k; c++) if (probabilities[r * k + c] > probabilities[r * k + best]) best = c;
                if (best == (int)dataset.Labels[test[r]]) correct++;
            }
            return new TrainedTorchModel(model, dataset, [.. train], [.. test], (double)correct / test.Length);
        }
        catch
        {
            module.Dispose();
            if (monitor is { IsCompleted: false }) monitor.Complete();
            throw;
        }
    }

    private static double Accuracy(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return logits.argmax(1).eq(labels).to_type(ScalarType.Float64).mean().item<double>();
    }

    private static (int[] Train, int[] Test) Split(int rowCount, int seed)
    {
        var rows = Enumerable.Range(0, rowCount).ToArray();
        new Random(seed).Shuffle(rows);
        int testCount = rowCount / 5;
        var test = rows[..testCount];
        var train = rows[testCount..];
        Array.Sort(test);
        Array.Sort(train);
        return (train, test);
    }
}
