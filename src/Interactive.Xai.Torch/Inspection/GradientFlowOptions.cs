namespace Interactive.Xai.Torch.Inspection;

/// <summary>Thresholds for <see cref="TorchInspector.GradientFlow"/>'s vanishing and exploding warnings.</summary>
public sealed record GradientFlowOptions
{
    /// <summary>A layer whose mean |gradient| is below this fraction of the largest layer's (of the same kind, weights or activations) is vanishing. Default 1e-7.</summary>
    public double VanishingRatio { get; init; } = 1e-7;

    /// <summary>A layer whose largest |gradient| exceeds this is exploding (as is any non-finite gradient). Default 1e3.</summary>
    public double ExplodingLimit { get; init; } = 1e3;

    /// <summary>Whether to record the gradients of the layers' outputs as well as of their weights. Default true.</summary>
    public bool IncludeActivations { get; init; } = true;
}
