using System.Collections.Immutable;

namespace Interactive.Xai;

/// <summary>
/// First-order accumulated local effects (Apley and Zhu), one value per bin edge, centred so that the
/// bin-count-weighted mean of the bin midpoints' values is zero.
/// </summary>
public sealed record AccumulatedLocalEffectsExplanation : Explanation
{
    /// <summary>The feature's name.</summary>
    public required string Feature { get; init; }

    /// <summary>The feature's column index.</summary>
    public required int FeatureIndex { get; init; }

    /// <summary>The bin edges z_0 .. z_K, strictly ascending.</summary>
    public required ImmutableArray<double> Edges { get; init; }

    /// <summary>The centred effect at each edge, flat [edge][target].</summary>
    public required ImmutableArray<double> EffectValues { get; init; }

    /// <summary>The number of rows in each bin (K values).</summary>
    public required ImmutableArray<int> BinCounts { get; init; }

    /// <summary>The centred effect curve of one target slot, one value per edge.</summary>
    public double[] Effects(int target = 0)
    {
        var result = new double[Edges.Length];
        for (int e = 0; e < Edges.Length; e++) result[e] = EffectValues[e * TargetCount + target];
        return result;
    }
}
