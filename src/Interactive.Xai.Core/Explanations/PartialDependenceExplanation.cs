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

    /// <summary>ICE values, flat [kept row][grid point][target], for the rows in <see cref="IceRows"/>.</summary>
    public required ImmutableArray<double> IceValues { get; init; }

    /// <summary>
    /// The data rows whose ICE curves <see cref="IceValues"/> holds, ascending (see
    /// <see cref="PartialDependenceOptions.MaxIceCurves"/>); when not set, rows 0, 1, ... in order.
    /// </summary>
    public ImmutableArray<int> IceRows
    {
        get => _iceRows.IsDefault ? [.. Enumerable.Range(0, IceCurveCount)] : _iceRows;
        init => _iceRows = value;
    }
    private readonly ImmutableArray<int> _iceRows;

    /// <summary>The number of ICE curves held.</summary>
    public int IceCurveCount => _iceRows.IsDefault
        ? (Grid.Length * TargetCount == 0 ? 0 : IceValues.Length / (Grid.Length * TargetCount))
        : _iceRows.Length;

    /// <summary>The partial dependence, flat [grid point][target].</summary>
    public required ImmutableArray<double> AverageValues { get; init; }

    /// <summary>
    /// The rows' own values of the feature, if the producer kept them; <see cref="PartialDependenceExplainer"/>
    /// leaves this empty and gives <see cref="HistogramCounts"/> instead (one value per row is too much at millions of rows).
    /// </summary>
    public ImmutableArray<double> FeatureValues { get; init; } = [];

    /// <summary>The number of rows averaged; when not set, the length of <see cref="FeatureValues"/>.</summary>
    public int RowCount
    {
        get => _rowCount ?? FeatureValues.Length;
        init => _rowCount = value;
    }
    private readonly int? _rowCount;

    /// <summary>Edges of the histogram of the feature's values over the rows (one more than <see cref="HistogramCounts"/>).</summary>
    public ImmutableArray<double> HistogramEdges { get; init; } = [];

    /// <summary>Rows per histogram bin (between consecutive <see cref="HistogramEdges"/>).</summary>
    public ImmutableArray<int> HistogramCounts { get; init; } = [];

    /// <summary>The partial dependence curve of one target slot.</summary>
    public double[] Average(int target = 0)
    {
        var result = new double[Grid.Length];
        for (int g = 0; g < Grid.Length; g++) result[g] = AverageValues[g * TargetCount + target];
        return result;
    }

    /// <summary>Whether the ICE curve of data row <paramref name="row"/> is kept.</summary>
    public bool HasIce(int row) => IcePosition(row) >= 0;

    /// <summary>The ICE curve of one data row and target slot; the row must be one of <see cref="IceRows"/>.</summary>
    public double[] Ice(int row, int target = 0)
    {
        int position = IcePosition(row);
        if (position < 0)
            throw new ArgumentOutOfRangeException(nameof(row), $"the ICE curve of row {row} was not kept ({IceCurveCount} of {RowCount} rows are; see MaxIceCurves)");
        return IceAt(position, target);
    }

    /// <summary>The ICE curve at position <paramref name="position"/> of <see cref="IceRows"/> (not a data row number).</summary>
    public double[] IceAt(int position, int target = 0)
    {
        var result = new double[Grid.Length];
        for (int g = 0; g < Grid.Length; g++) result[g] = IceValues[(position * Grid.Length + g) * TargetCount + target];
        return result;
    }

    private int IcePosition(int row)
    {
        if (_iceRows.IsDefault) return row >= 0 && row < IceCurveCount ? row : -1;
        int position = _iceRows.BinarySearch(row);
        return position >= 0 ? position : -1;
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
