using System.Collections.Immutable;

namespace Interactive.Xai.Inspection;

/// <summary>
/// One activation-function layer of a network (ReLU, GELU, Tanh, Sigmoid, LeakyReLU, Softplus, ...) with the range its
/// inputs (the pre-activations) actually reach on given data and the function's curve around that range.
/// </summary>
public sealed record ActivationFunctionLayer
{
    /// <summary>The layer's path in the module tree, for example "features.relu1".</summary>
    public required string Layer { get; init; }

    /// <summary>The function's type, for example "ReLU".</summary>
    public required string FunctionType { get; init; }

    /// <summary>The number of times the layer was called in the forward pass (a module may be reused).</summary>
    public int Calls { get; init; } = 1;

    /// <summary>The distribution of the pre-activation values over every call: minimum, maximum, histogram, quantiles.</summary>
    public required ValueDistribution PreActivations { get; init; }

    /// <summary>The fraction of finite pre-activation values below zero (for a ReLU: the inputs it sets to zero).</summary>
    public double NegativeFraction { get; init; }

    /// <summary>The inputs at which the function was evaluated, ascending: a range that contains the reached range with margins either side.</summary>
    public required ImmutableArray<double> CurveInputs { get; init; }

    /// <summary>The function's values at <see cref="CurveInputs"/>, computed by the layer itself.</summary>
    public required ImmutableArray<double> CurveOutputs { get; init; }

    /// <summary>The smallest pre-activation reached.</summary>
    public double ReachedMinimum => PreActivations.Minimum;

    /// <summary>The largest pre-activation reached.</summary>
    public double ReachedMaximum => PreActivations.Maximum;
}

/// <summary>The activation functions a network uses and the ranges their inputs reach on some data.</summary>
public sealed record ActivationFunctionUsage
{
    /// <summary>The shape of the input batch the network was run on (batch dimension first).</summary>
    public required ImmutableArray<long> InputShape { get; init; }

    /// <summary>The activation layers in the order they were first called.</summary>
    public required ImmutableArray<ActivationFunctionLayer> Layers { get; init; }
}
