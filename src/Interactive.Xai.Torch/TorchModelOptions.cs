namespace Interactive.Xai.Torch;

/// <summary>Options for <see cref="TorchModel"/>.</summary>
public sealed record TorchModelOptions
{
    /// <summary>One name per model output; null gives "output" (one output) or "output[k]".</summary>
    public IReadOnlyList<string>? OutputNames { get; init; }

    /// <summary>One name per input feature (the flattened input); null when the model does not know them.</summary>
    public IReadOnlyList<string>? FeatureNames { get; init; }

    /// <summary>
    /// Whether disposing the <see cref="TorchModel"/> disposes the module it wraps. Modules loaded from a file are
    /// always owned; for <see cref="TorchModel.FromModule"/> the default is false (the caller keeps the module).
    /// </summary>
    public bool DisposeModule { get; init; }
}
