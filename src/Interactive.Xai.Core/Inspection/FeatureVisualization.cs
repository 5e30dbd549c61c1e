using System.Collections.Immutable;

namespace Interactive.Xai.Inspection;

/// <summary>
/// An input synthesised by activation maximisation: gradient ascent on the input so that one neuron or channel of a
/// layer responds as strongly as possible, with random jitter and L2 and total-variation penalties keeping the image
/// natural.
/// </summary>
public sealed record FeatureVisualization
{
    /// <summary>The layer whose unit was maximised.</summary>
    public required string Layer { get; init; }

    /// <summary>The channel (for feature maps) or neuron (for flat outputs) that was maximised.</summary>
    public required int Unit { get; init; }

    /// <summary>The input's shape without the batch dimension, for example [1, 8, 8].</summary>
    public required ImmutableArray<long> InputShape { get; init; }

    /// <summary>The optimised input, row-major in <see cref="InputShape"/>.</summary>
    public required ImmutableArray<float> Input { get; init; }

    /// <summary>The random starting input.</summary>
    public required ImmutableArray<float> StartInput { get; init; }

    /// <summary>The unit's activation for the random start.</summary>
    public required double StartActivation { get; init; }

    /// <summary>The unit's activation for the optimised input (without jitter).</summary>
    public required double FinalActivation { get; init; }

    /// <summary>The objective (activation minus penalties, on the jittered input) at each step, before its update.</summary>
    public required ImmutableArray<double> Objective { get; init; }
}
