namespace Interactive.Xai;

/// <summary>Settings every explainer shares: how it batches and parallelises model calls, and its seed.</summary>
public abstract record ExplainerOptions
{
    /// <summary>Rows sent to the model in one call. Larger batches amortise per-call overhead.</summary>
    public int BatchSize { get; init; } = 8192;

    /// <summary>Model calls running at once for thread-safe models; null means one per processor.</summary>
    public int? MaxDegreeOfParallelism { get; init; }

    /// <summary>The random seed; the same seed gives the same result regardless of parallelism.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Throws an <see cref="XaiException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        if (BatchSize < 1) throw new XaiException($"batch size must be at least 1, got {BatchSize}");
        if (MaxDegreeOfParallelism is < 1) throw new XaiException($"max degree of parallelism must be at least 1, got {MaxDegreeOfParallelism}");
    }
}

/// <summary>Progress of a long explanation, counted in model evaluations (rows sent to the model).</summary>
/// <param name="Stage">What is running, for example "exact-shap".</param>
/// <param name="Completed">Model evaluations done so far.</param>
/// <param name="Total">Model evaluations the stage needs in all.</param>
public sealed record ExplanationProgress(string Stage, long Completed, long Total)
{
    /// <summary>Completed as a fraction of Total, between 0 and 1.</summary>
    public double Fraction => Total <= 0 ? 1 : Math.Clamp((double)Completed / Total, 0, 1);
}
