using System.Collections.Immutable;

namespace Interactive.Xai.Inspection;

/// <summary>What a network's layers produced for a batch of inputs, captured with forward hooks, in execution order.</summary>
public sealed record ActivationCapture
{
    /// <summary>The shape of the input batch (batch dimension first).</summary>
    public required ImmutableArray<long> InputShape { get; init; }

    /// <summary>One entry per layer call, in execution order.</summary>
    public required ImmutableArray<LayerActivation> Layers { get; init; }

    /// <summary>The layer called <paramref name="name"/> (its first call).</summary>
    /// <exception cref="XaiException">No captured layer has that name.</exception>
    public LayerActivation Layer(string name)
        => Layers.FirstOrDefault(l => l.Name == name)
           ?? throw new XaiException($"No activations were captured for a layer '{name}' (captured: {string.Join(", ", Layers.Select(l => l.Name))}).");
}

/// <summary>How a layer's output is laid out.</summary>
public enum ActivationKind
{
    /// <summary>Any tensor: [batch, ...].</summary>
    Dense,

    /// <summary>Convolutional feature maps: [batch, channels, height, width] (or [batch, channels, length] for 1-D).</summary>
    FeatureMaps,

    /// <summary>A recurrent layer's hidden states over time: [time, batch, hidden] or, when batch-first, [batch, time, hidden].</summary>
    Recurrent,
}

/// <summary>One layer's output for a batch, with its statistics.</summary>
public sealed record LayerActivation
{
    /// <summary>The layer's name (its path in the module tree, for example "features.conv1").</summary>
    public required string Name { get; init; }

    /// <summary>The layer's type, for example "Conv2d".</summary>
    public required string LayerType { get; init; }

    /// <summary>The output's shape.</summary>
    public required ImmutableArray<long> Shape { get; init; }

    /// <summary>The output's values, row-major in <see cref="Shape"/>.</summary>
    public required ImmutableArray<float> Values { get; init; }

    /// <summary>How the output is laid out.</summary>
    public ActivationKind Kind { get; init; }

    /// <summary>For recurrent layers, whether the batch dimension comes first ([batch, time, hidden]).</summary>
    public bool BatchFirst { get; init; }

    /// <summary>Statistics of all output values.</summary>
    public required ValueStatistics Statistics { get; init; }

    /// <summary>
    /// For rectifier layers (ReLU, ReLU6): the fraction of units (every position of the output except the batch
    /// dimension) whose output is zero or below for every input of the batch; null for other layers.
    /// </summary>
    public double? DeadFraction { get; init; }

    /// <summary>The number of inputs in the batch.</summary>
    public int BatchSize => Kind == ActivationKind.Recurrent && !BatchFirst ? (int)Shape[1] : (int)Shape[0];

    /// <summary>The values of one input of the batch (everything but the batch dimension, row-major).</summary>
    public float[] Sample(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (index >= BatchSize) throw new XaiException($"Layer '{Name}' holds {BatchSize} inputs; there is no input {index}.");
        if (Kind == ActivationKind.Recurrent && !BatchFirst) return HiddenStates(index);
        int size = Values.Length / BatchSize;
        return Values.AsSpan(index * size, size).ToArray();
    }

    /// <summary>The hidden states of one input of a recurrent layer as a [time, hidden] matrix, row-major.</summary>
    /// <exception cref="XaiException">The layer is not recurrent.</exception>
    public float[] HiddenStates(int index)
    {
        if (Kind != ActivationKind.Recurrent || Shape.Length != 3) throw new XaiException($"Layer '{Name}' ({LayerType}) is not a recurrent layer.");
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        if (index >= BatchSize) throw new XaiException($"Layer '{Name}' holds {BatchSize} inputs; there is no input {index}.");
        int steps = (int)(BatchFirst ? Shape[1] : Shape[0]), hidden = (int)Shape[2], batch = BatchSize;
        var states = new float[steps * hidden];
        for (int t = 0; t < steps; t++)
        {
            int from = BatchFirst ? (index * steps + t) * hidden : (t * batch + index) * hidden;
            Values.AsSpan(from, hidden).CopyTo(states.AsSpan(t * hidden, hidden));
        }
        return states;
    }

    /// <summary>The number of time steps of a recurrent layer's output.</summary>
    public int TimeSteps => Kind == ActivationKind.Recurrent ? (int)(BatchFirst ? Shape[1] : Shape[0]) : 0;
}
