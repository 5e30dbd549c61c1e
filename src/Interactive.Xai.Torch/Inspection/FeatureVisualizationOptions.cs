namespace Interactive.Xai.Torch.Inspection;

/// <summary>Settings of <see cref="FeatureVisualizer.Maximize"/>.</summary>
public sealed record FeatureVisualizationOptions
{
    /// <summary>The input's shape without the batch dimension, for example [1, 8, 8] for 8x8 grey images.</summary>
    public required long[] InputShape { get; init; }

    /// <summary>Gradient-ascent steps. Default 200.</summary>
    public int Steps { get; init; } = 200;

    /// <summary>The step size: each step moves the input by this times the gradient divided by its mean absolute value. Default 0.05.</summary>
    public double LearningRate { get; init; } = 0.05;

    /// <summary>
    /// The largest random shift (a roll, wrapping around), in pixels along the last two axes (the last axis for 1-D
    /// signals), applied before each step; 0 turns jitter off, and flat inputs ([features]) are never shifted. Default 1.
    /// </summary>
    public int Jitter { get; init; } = 1;

    /// <summary>The weight of the L2 penalty (mean squared input value). Default 0.01.</summary>
    public double L2 { get; init; } = 0.01;

    /// <summary>The weight of the total-variation penalty (mean squared difference of neighbouring pixels). Default 0.01.</summary>
    public double TotalVariation { get; init; } = 0.01;

    /// <summary>The standard deviation of the random starting input. Default 0.1.</summary>
    public double InitialScale { get; init; } = 0.1;

    /// <summary>The seed of the random start and the jitter. Default 0.</summary>
    public int Seed { get; init; }
}
