namespace Interactive.Xai.Onnx;

/// <summary>How <see cref="OnnxModel"/> reads an ONNX graph: which output to explain and how many threads to use.</summary>
public sealed record OnnxModelOptions
{
    /// <summary>The default options: the first float output, one intra-op thread.</summary>
    public static OnnxModelOptions Default { get; } = new();

    /// <summary>The graph output to use, by name; null picks the first float tensor output (see <see cref="PreferProbabilities"/>).</summary>
    public string? OutputName { get; init; }

    /// <summary>
    /// When no <see cref="OutputName"/> is given, prefer a float output whose name contains "prob"
    /// (for example "probabilities" or "output_probability") over the first one. Classifier graphs often
    /// return logits first and probabilities second.
    /// </summary>
    public bool PreferProbabilities { get; init; }

    /// <summary>
    /// Threads ONNX Runtime may use inside one Run. The default, 1, suits explainers, which already run
    /// several batches in parallel (one per core); raise it when a single large call is the whole workload.
    /// </summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Feature names to use instead of the graph's "feature_names" metadata; must match the input width.</summary>
    public IReadOnlyList<string>? FeatureNames { get; init; }

    /// <summary>Output names to use instead of the generated ones (or the "class_names"/"output_names" metadata).</summary>
    public IReadOnlyList<string>? OutputNames { get; init; }
}
