using System.Collections.Immutable;

namespace Interactive.Xai.Inspection;

/// <summary>What a layer's gradient looks like compared with the rest of the network.</summary>
public enum GradientHealth
{
    /// <summary>Neither vanishing nor exploding.</summary>
    Normal,

    /// <summary>The mean absolute gradient is below <see cref="GradientFlow.VanishingRatio"/> times the largest layer's.</summary>
    Vanishing,

    /// <summary>The largest absolute gradient exceeds <see cref="GradientFlow.ExplodingLimit"/>, or a gradient is not finite.</summary>
    Exploding,
}

/// <summary>Per-layer gradients of a loss on one batch: of the layers' weights and of their outputs (activations).</summary>
public sealed record GradientFlow
{
    /// <summary>The loss value on the batch.</summary>
    public required double Loss { get; init; }

    /// <summary>The number of inputs in the batch.</summary>
    public required int BatchSize { get; init; }

    /// <summary>One entry per layer, in execution order.</summary>
    public required ImmutableArray<LayerGradient> Layers { get; init; }

    /// <summary>A layer's mean |gradient| below this fraction of the largest layer's counts as vanishing.</summary>
    public required double VanishingRatio { get; init; }

    /// <summary>A layer whose largest |gradient| is above this counts as exploding.</summary>
    public required double ExplodingLimit { get; init; }

    /// <summary>One line per layer whose weight or activation gradient is vanishing or exploding.</summary>
    public IReadOnlyList<string> Warnings()
    {
        var lines = new List<string>();
        foreach (var layer in Layers)
        {
            if (layer.WeightHealth != GradientHealth.Normal && layer.Weights is { } w)
                lines.Add($"{layer.Name}: {(layer.WeightHealth == GradientHealth.Vanishing ? "vanishing" : "exploding")} weight gradient (mean |grad| {w.MeanAbsolute:G3}, max |grad| {w.MaxAbsolute:G3})");
            if (layer.ActivationHealth != GradientHealth.Normal && layer.Activations is { } a)
                lines.Add($"{layer.Name}: {(layer.ActivationHealth == GradientHealth.Vanishing ? "vanishing" : "exploding")} activation gradient (mean |grad| {a.MeanAbsolute:G3}, max |grad| {a.MaxAbsolute:G3})");
        }
        return lines;
    }

    /// <summary>The layer called <paramref name="name"/>.</summary>
    /// <exception cref="XaiException">No layer has that name.</exception>
    public LayerGradient Layer(string name)
        => Layers.FirstOrDefault(l => l.Name == name)
           ?? throw new XaiException($"No gradients were recorded for a layer '{name}' (recorded: {string.Join(", ", Layers.Select(l => l.Name))}).");

    /// <summary>
    /// Classifies each layer's weight and activation gradients: vanishing when the mean |grad| is below
    /// <paramref name="vanishingRatio"/> times the largest mean |grad| of the same kind in the network, exploding
    /// when the largest |grad| exceeds <paramref name="explodingLimit"/> or a value is not finite.
    /// </summary>
    public static ImmutableArray<LayerGradient> Classify(IReadOnlyList<LayerGradient> layers, double vanishingRatio, double explodingLimit)
    {
        ArgumentNullException.ThrowIfNull(layers);
        double topWeights = layers.Where(l => l.Weights is not null && double.IsFinite(l.Weights.MeanAbsolute)).Select(l => l.Weights!.MeanAbsolute).DefaultIfEmpty(0).Max();
        double topActivations = layers.Where(l => l.Activations is not null && double.IsFinite(l.Activations.MeanAbsolute)).Select(l => l.Activations!.MeanAbsolute).DefaultIfEmpty(0).Max();
        GradientHealth Health(ValueStatistics? s, double top)
        {
            if (s is null) return GradientHealth.Normal;
            if (!double.IsFinite(s.MeanAbsolute) || !double.IsFinite(s.MaxAbsolute) || s.MaxAbsolute > explodingLimit) return GradientHealth.Exploding;
            return top > 0 && s.MeanAbsolute < vanishingRatio * top ? GradientHealth.Vanishing : GradientHealth.Normal;
        }
        return [.. layers.Select(l => l with { WeightHealth = Health(l.Weights, topWeights), ActivationHealth = Health(l.Activations, topActivations) })];
    }
}

/// <summary>One layer's gradients.</summary>
public sealed record LayerGradient
{
    /// <summary>The layer's name (its path in the module tree).</summary>
    public required string Name { get; init; }

    /// <summary>The layer's type, for example "Linear".</summary>
    public required string LayerType { get; init; }

    /// <summary>Statistics of the gradients of the layer's own parameters (all of them together); null for layers without parameters.</summary>
    public ValueStatistics? Weights { get; init; }

    /// <summary>Each own parameter's gradient statistics, by parameter name (for example "weight", "bias").</summary>
    public ImmutableArray<KeyValuePair<string, ValueStatistics>> Parameters { get; init; } = [];

    /// <summary>Statistics of the loss's gradient with respect to the layer's output over the batch; null when it was not recorded.</summary>
    public ValueStatistics? Activations { get; init; }

    /// <summary>How the weight gradient compares with the rest of the network.</summary>
    public GradientHealth WeightHealth { get; init; }

    /// <summary>How the activation gradient compares with the rest of the network.</summary>
    public GradientHealth ActivationHealth { get; init; }
}
