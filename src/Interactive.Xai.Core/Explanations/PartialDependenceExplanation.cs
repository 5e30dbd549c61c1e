using System.Collections.Immutable;

namespace Interactive.Xai;

/// <summary>
/// One-feature partial dependence with individual conditional expectation (ICE) curves: for every row and
/// grid value, the model output with the feature set to that value. The partial dependence is the mean of
/// the ICE curves over rows.
/// </summary>
public sealed record PartialDependenceExplanation : Explanation
{
    /// <summary>The feature's name.</summary>
    public required string Feature { get; init; }

    /// <summary>The feature's column index.</summary>
    public required int FeatureIndex { get; init; }

    /// <summary>The grid of feature values, ascending.</summary>
    public required ImmutableArray<double> Grid { get; init; }

    /// <summary>ICE values, flat [row][grid point][target].</summary>
    public required ImmutableArray<double> IceValues { get; init; }

    /// <summary>The partial dependence, flat [grid point][target].</summary>
    public required ImmutableArray<double> AverageValues { get; init; }

    /// <summary>The rows' own values of the feature (for a rug or histogram).</summary>
    public required ImmutableArray<double> FeatureValues { get; init; }

    /// <summary>The number of rows.</summary>
    public int RowCount => FeatureValues.Length;

    /// <summary>The partial dependence curve of one target slot.</summary>
    public double[] Average(int target = 0)
    {
        var result = new double[Grid.Length];
        for (int g = 0; g < Grid.Length; g++) result[g] = AverageValues[g * TargetCount + target];
        return result;
    }

    /// <summary>The ICE curve of one row and target slot.</summary>
    public double[] Ice(int row, int target = 0)
    {
        var result = new double[Grid.Length];
        for (int g = 0; g < Grid.Length; g++) result[g] = IceValues[(row * Grid.Length + g) * TargetCount + target];
        return result;
    }
}

/// <summary>Two-feature partial dependence: the mean model output over rows on a grid of two features' values.</summary>
public sealed record PartialDependence2DExplanation : Explanation
{
    /// <summary>The two features' names.</summary>
    public required ImmutableArray<string> Features { get; init; }

    /// <summary>The two features' column indices.</summary>
    public required ImmutableArray<int> FeatureIndices { get; init; }

    /// <summary>The first feature's grid.</summary>
    public required ImmutableArray<double> GridX { get; init; }

    /// <summary>The second feature's grid.</summary>
    public required ImmutableArray<double> GridY { get; init; }

    /// <summary>The partial dependence, flat [x][y][target].</summary>
    public required ImmutableArray<double> AverageValues { get; init; }

    /// <summary>The number of rows averaged.</summary>
    public required int RowCount { get; init; }

    /// <summary>The partial dependence at grid point (i, j) for a target slot.</summary>
    public double Average(int i, int j, int target = 0) => AverageValues[(i * GridY.Length + j) * TargetCount + target];
}
