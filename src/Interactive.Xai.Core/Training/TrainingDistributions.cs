using System.Collections.Immutable;
using Interactive.Xai.Inspection;

namespace Interactive.Xai;

/// <summary>What a recorded distribution is of.</summary>
public enum DistributionKind
{
    /// <summary>A parameter tensor's values (weights or biases).</summary>
    Weights,

    /// <summary>A parameter tensor's gradient after a backward pass.</summary>
    Gradients,
}

/// <summary>One tensor's distribution at the end of one epoch (or the last time it was logged in that epoch).</summary>
/// <param name="Tensor">The tensor's name, for example "conv1.weight".</param>
/// <param name="Kind">Weights or gradients.</param>
/// <param name="Epoch">The epoch.</param>
/// <param name="Step">The step at which it was logged.</param>
/// <param name="Distribution">The histogram and quantiles.</param>
public sealed record TrainingDistribution(string Tensor, DistributionKind Kind, int Epoch, long Step, ValueDistribution Distribution);

/// <summary>Per-tensor weight and gradient distributions over training, as <see cref="TrainingMonitor.LogDistributions"/> recorded them.</summary>
public sealed record TrainingDistributions
{
    /// <summary>No distributions.</summary>
    public static TrainingDistributions Empty { get; } = new() { Entries = [] };

    /// <summary>Every recorded distribution: tensors in the order they were first logged, each tensor's epochs ascending.</summary>
    public required ImmutableArray<TrainingDistribution> Entries { get; init; }

    /// <summary>The tensors with distributions of <paramref name="kind"/>, in the order they were first logged.</summary>
    public IReadOnlyList<string> Tensors(DistributionKind kind)
        => Entries.Where(e => e.Kind == kind).Select(e => e.Tensor).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>One tensor's distributions of <paramref name="kind"/>, by epoch.</summary>
    public IReadOnlyList<TrainingDistribution> Series(string tensor, DistributionKind kind)
        => Entries.Where(e => e.Kind == kind && e.Tensor == tensor).OrderBy(e => e.Epoch).ToArray();
}
