using System.Collections.Immutable;

namespace Interactive.Xai;

/// <summary>What every explanation carries: the method that made it, how long it took and how many model evaluations it used.</summary>
public abstract record Explanation
{
    /// <summary>The method's command-line name, for example "exact-shap".</summary>
    public required string Method { get; init; }

    /// <summary>The names of the model outputs explained, one per target.</summary>
    public required ImmutableArray<string> OutputNames { get; init; }

    /// <summary>The indices of the model outputs explained (same order as <see cref="OutputNames"/>).</summary>
    public required ImmutableArray<int> Targets { get; init; }

    /// <summary>The wall time of the explain call alone.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Rows sent to the model by the explain call.</summary>
    public long ModelEvaluations { get; init; }

    /// <summary>The number of targets (outputs) explained.</summary>
    public int TargetCount => Targets.Length;
}
