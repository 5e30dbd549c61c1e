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

    /// <summary>
    /// How many ONNX Runtime sessions of the graph may run batches at the same time; null (the default) allows one per
    /// core for a model file of at most <see cref="MaxBytesForSessionPerCore"/> bytes and one for a larger file.
    /// </summary>
    /// <remarks>
    /// Every session has its own memory arena. Batches run at once on one shared session wait on that arena's lock:
    /// measured here, two workers on one session evaluated a 10-feature MLP 1.1-1.5x as fast as one worker, and 1.8x on a
    /// session each. The second and later sessions are created when a batch finds every session busy, and each holds its
    /// own copy of the weights; all are built from the same bytes and options, so they compute identical outputs.
    /// </remarks>
    public int? MaxSessions { get; init; }

    /// <summary>The largest model file that gets a session per core when <see cref="MaxSessions"/> is null (100 MB).</summary>
    public const long MaxBytesForSessionPerCore = 100L << 20;

    /// <summary>Feature names to use instead of the graph's "feature_names" metadata; must match the input width.</summary>
    public IReadOnlyList<string>? FeatureNames { get; init; }

    /// <summary>Output names to use instead of the generated ones (or the "class_names"/"output_names" metadata).</summary>
    public IReadOnlyList<string>? OutputNames { get; init; }
}
