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

    /// <summary>
    /// ICE values, flat [kept row][grid point][target], for the rows in <see cref="IceRows"/>. When the explainer kept
    /// more curves than <see cref="PartialDependenceOptions.MaxIceBytesInMemory"/> allows, they wait in a temporary
    /// file and the first read of this property loads them all (rows x grid points x targets x 8 bytes); the
    /// JSON writer, the charts and <see cref="IceAt"/> read curve by curve instead.
    /// </summary>
    public required ImmutableArray<double> IceValues
    {
        get
        {
            if (IceFile is null) return _iceValues;
            var loaded = _loadedIce;
            if (loaded is null)
            {
                var all = new double[(long)IceFile.CurveCount * IceFile.ValuesPerCurve];
                CopyIce(0, IceFile.CurveCount, all);
                _loadedIce = loaded = all;
            }
            return System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(loaded);
        }
        init => _iceValues = value;
    }
    private readonly ImmutableArray<double> _iceValues;
    private double[]? _loadedIce;

    /// <summary>The kept curves when they are in a temporary file instead of <see cref="IceValues"/> (set by the explainer).</summary>
    internal IceCurveFile? IceFile { get; init; }

    /// <summary>
    /// Copies the kept curves at positions <paramref name="first"/> .. first + count - 1 of <see cref="IceRows"/>
    /// into <paramref name="destination"/> (count x grid points x targets values), wherever they are held.
    /// </summary>
    public void CopyIce(int first, int count, Span<double> destination)
    {
        int width = Grid.Length * TargetCount;
        CopyIce(first, count, destination, IceFile is null ? [] : new float[Math.Min(Math.Max(1, 8192 / Math.Max(width, 1)), Math.Max(count, 1)) * width]);
    }

    /// <summary>As <see cref="CopyIce(int, int, Span{double})"/>, reading a file's floats through <paramref name="scratch"/>
    /// (at least one curve long) instead of a new buffer.</summary>
    internal void CopyIce(int first, int count, Span<double> destination, Span<float> scratch)
    {
        int width = Grid.Length * TargetCount;
        if (first < 0 || count < 0 || first + count > IceCurveCount) throw new ArgumentOutOfRangeException(nameof(count));
        if (destination.Length < (long)count * width) throw new ArgumentException("the destination is too short", nameof(destination));
        if (IceFile is null)
        {
            _iceValues.AsSpan().Slice(first * width, count * width).CopyTo(destination);
            return;
        }
        int perRead = scratch.Length / width;
        if (perRead < 1) throw new ArgumentException("the scratch buffer is shorter than one curve", nameof(scratch));
        for (int done = 0; done < count; done += perRead)
        {
            int curves = Math.Min(perRead, count - done);
            var floats = scratch[..(curves * width)];
            IceFile.Read(first + done, floats);
            var target = destination.Slice(done * width, curves * width);
            for (int i = 0; i < floats.Length; i++) target[i] = floats[i];
        }
    }

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
    public int IceCurveCount => !_iceRows.IsDefault ? _iceRows.Length
        : IceFile is not null ? IceFile.CurveCount
        : Grid.Length * TargetCount == 0 ? 0 : _iceValues.Length / (Grid.Length * TargetCount);

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

    /// <summary>A one-line description (the method, feature, rows, grid points and kept curves), never the values: the
    /// record's generated text would read <see cref="IceValues"/>, loading curves kept in a file.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{nameof(PartialDependenceExplanation)} {{ Method = {Method}, Feature = {Feature}, RowCount = {RowCount}, GridPoints = {Grid.Length}, Targets = {TargetCount}, IceCurves = {IceCurveCount} }}");

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
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(position, IceCurveCount);
        var curve = new double[Grid.Length * TargetCount];
        CopyIce(position, 1, curve);
        var result = new double[Grid.Length];
        for (int g = 0; g < Grid.Length; g++) result[g] = curve[g * TargetCount + target];
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
