using System.Collections.Immutable;

namespace Interactive.Xai;

/// <summary>The split a training value was measured on.</summary>
public static class TrainingSplit
{
    /// <summary>Values measured on the training batches.</summary>
    public const string Train = "train";

    /// <summary>Values measured on held-out validation data.</summary>
    public const string Validation = "validation";
}

/// <summary>One recorded value.</summary>
/// <param name="Epoch">The epoch it was logged in.</param>
/// <param name="Step">The optimisation step (global, increasing over epochs).</param>
/// <param name="Value">The value (may be NaN or infinite when training diverged; charts leave a gap there).</param>
/// <param name="Time">Time since the monitor started, by its clock.</param>
public sealed record TrainingPoint(int Epoch, long Step, double Value, TimeSpan Time);

/// <summary>A named series of values in logging order, for example the validation loss or one layer's gradient norm.</summary>
/// <param name="Name">The quantity: "loss", a metric name, "learning rate" or a layer name.</param>
/// <param name="Split">The split (<see cref="TrainingSplit"/>); gradient norms and learning rates are "train".</param>
/// <param name="Points">The values in the order they were logged.</param>
public sealed record TrainingSeries(string Name, string Split, ImmutableArray<TrainingPoint> Points)
{
    /// <summary>The last value logged, or null when the series is empty.</summary>
    public TrainingPoint? Last => Points.IsDefaultOrEmpty ? null : Points[^1];
}

/// <summary>
/// An immutable copy of everything a <see cref="TrainingMonitor"/> has recorded up to <see cref="Version"/>: the loss
/// and metric series per split, the learning rate and the per-layer gradient norms. Snapshots with higher versions
/// contain everything lower ones do.
/// </summary>
public sealed record TrainingSnapshot
{
    /// <summary>The monitor's change counter when the snapshot was taken (one per value logged).</summary>
    public required long Version { get; init; }

    /// <summary>Loss and metric series, in the order each (name, split) was first logged.</summary>
    public required ImmutableArray<TrainingSeries> Metrics { get; init; }

    /// <summary>The learning rate over steps (empty when never logged).</summary>
    public required TrainingSeries LearningRate { get; init; }

    /// <summary>One series of gradient norms per layer, in the order layers were first logged.</summary>
    public required ImmutableArray<TrainingSeries> GradientNorms { get; init; }

    /// <summary>Time since the monitor started, by its clock, when the snapshot was taken.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Per-tensor weight and gradient distributions by epoch (<see cref="TrainingMonitor.LogDistributions"/>); empty when none were logged.</summary>
    public TrainingDistributions Distributions { get; init; } = TrainingDistributions.Empty;

    /// <summary>True once <see cref="TrainingMonitor.Complete"/> was called: no more values will come.</summary>
    public bool IsCompleted { get; init; }

    /// <summary>The highest epoch logged so far, or null when nothing was logged.</summary>
    public int? LastEpoch { get; init; }

    /// <summary>The highest step logged so far, or null when nothing was logged.</summary>
    public long? LastStep { get; init; }

    /// <summary>The metric names logged (loss first when logged), each once.</summary>
    public IReadOnlyList<string> MetricNames => Metrics.Select(s => s.Name).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>The series of <paramref name="name"/> on <paramref name="split"/>, or null when never logged.</summary>
    public TrainingSeries? Find(string name, string split = TrainingSplit.Train)
        => Metrics.FirstOrDefault(s => s.Name == name && s.Split == split);
}
