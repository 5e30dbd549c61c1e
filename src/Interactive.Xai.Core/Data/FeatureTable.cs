using System.Collections.Immutable;
using System.Globalization;

namespace Interactive.Xai;

/// <summary>
/// An immutable table of numeric features: <see cref="RowCount"/> rows of <see cref="ColumnCount"/>
/// float values stored contiguously in row-major order, with one name per column.
/// Every value is finite; the factories reject NaN and infinity with a message naming the cell.
/// </summary>
public sealed class FeatureTable
{
    private readonly float[] _values;

    private FeatureTable(float[] values, int rowCount, ImmutableArray<string> featureNames)
    {
        _values = values;
        RowCount = rowCount;
        FeatureNames = featureNames;
    }

    /// <summary>The number of rows.</summary>
    public int RowCount { get; }

    /// <summary>The number of columns (features).</summary>
    public int ColumnCount => FeatureNames.Length;

    /// <summary>The column names, one per feature.</summary>
    public ImmutableArray<string> FeatureNames { get; }

    /// <summary>All values, row-major: row r, column c is at <c>r * ColumnCount + c</c>.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>The value at a row and column.</summary>
    public float this[int row, int column]
    {
        get
        {
            if ((uint)row >= (uint)RowCount) throw new ArgumentOutOfRangeException(nameof(row));
            if ((uint)column >= (uint)ColumnCount) throw new ArgumentOutOfRangeException(nameof(column));
            return _values[row * ColumnCount + column];
        }
    }

    /// <summary>One row's values.</summary>
    public ReadOnlySpan<float> Row(int row)
    {
        if ((uint)row >= (uint)RowCount) throw new ArgumentOutOfRangeException(nameof(row));
        return _values.AsSpan(row * ColumnCount, ColumnCount);
    }

    /// <summary>A copy of one column's values.</summary>
    public float[] Column(int column)
    {
        if ((uint)column >= (uint)ColumnCount) throw new ArgumentOutOfRangeException(nameof(column));
        var result = new float[RowCount];
        for (int r = 0; r < RowCount; r++) result[r] = _values[r * ColumnCount + column];
        return result;
    }

    /// <summary>The index of the column with the given name (ordinal, case-sensitive).</summary>
    /// <exception cref="XaiException">No column has that name.</exception>
    public int IndexOf(string featureName)
    {
        int index = FeatureNames.IndexOf(featureName);
        if (index < 0)
            throw new XaiException($"no feature named '{featureName}'; the features are: {string.Join(", ", FeatureNames)}");
        return index;
    }

    /// <summary>Creates a table from a two-dimensional array (rows x columns).</summary>
    public static FeatureTable FromArray(float[,] values, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var flat = new float[rows * columns];
        Buffer.BlockCopy(values, 0, flat, 0, flat.Length * sizeof(float));
        return FromRowMajor(flat, rows, columns, featureNames, copy: false);
    }

    /// <summary>Creates a table from jagged rows; every row must have the same length.</summary>
    public static FeatureTable FromRows(IReadOnlyList<float[]> rows, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int columns = rows.Count > 0 ? rows[0].Length : featureNames?.Count ?? 0;
        var flat = new float[rows.Count * columns];
        for (int r = 0; r < rows.Count; r++)
        {
            if (rows[r].Length != columns)
                throw new XaiException($"row {r} has {rows[r].Length} values, expected {columns}");
            rows[r].CopyTo(flat, r * columns);
        }
        return FromRowMajor(flat, rows.Count, columns, featureNames, copy: false);
    }

    /// <summary>Creates a table from a row-major buffer of <paramref name="rowCount"/> x <paramref name="columnCount"/> values.</summary>
    public static FeatureTable FromRowMajor(ReadOnlySpan<float> values, int rowCount, int columnCount, IReadOnlyList<string>? featureNames = null)
        => FromRowMajor(values.ToArray(), rowCount, columnCount, featureNames, copy: false);

    internal static FeatureTable FromRowMajor(float[] values, int rowCount, int columnCount, IReadOnlyList<string>? featureNames, bool copy)
    {
        if (rowCount < 0 || columnCount < 0 || (long)rowCount * columnCount != values.Length)
            throw new XaiException($"a table of {rowCount} rows x {columnCount} columns needs {(long)rowCount * columnCount} values, got {values.Length}");
        var names = featureNames is null
            ? Enumerable.Range(0, columnCount).Select(i => "x" + i.ToString(CultureInfo.InvariantCulture)).ToImmutableArray()
            : featureNames.ToImmutableArray();
        if (names.Length != columnCount)
            throw new XaiException($"{names.Length} feature names given for {columnCount} columns");
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            throw new XaiException("feature names must be unique; duplicates: " + string.Join(", ", names.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key)));
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw new XaiException($"row {i / Math.Max(columnCount, 1)}, column '{names[i % Math.Max(columnCount, 1)]}': {values[i].ToString(CultureInfo.InvariantCulture)} is not a finite number");
        }
        return new FeatureTable(copy ? (float[])values.Clone() : values, rowCount, names);
    }

    /// <summary>A table of the given rows, in the given order (rows may repeat).</summary>
    public FeatureTable SelectRows(IEnumerable<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var list = rows.ToArray();
        var flat = new float[list.Length * ColumnCount];
        for (int i = 0; i < list.Length; i++)
        {
            if ((uint)list[i] >= (uint)RowCount)
                throw new XaiException($"row {list[i]} does not exist; the table has {RowCount} rows");
            Row(list[i]).CopyTo(flat.AsSpan(i * ColumnCount, ColumnCount));
        }
        return new FeatureTable(flat, list.Length, FeatureNames);
    }

    /// <summary>A table of the named columns, in the given order.</summary>
    public FeatureTable SelectColumns(IReadOnlyList<string> columnNames)
    {
        ArgumentNullException.ThrowIfNull(columnNames);
        var indices = columnNames.Select(IndexOf).ToArray();
        var flat = new float[RowCount * indices.Length];
        for (int r = 0; r < RowCount; r++)
            for (int c = 0; c < indices.Length; c++) flat[r * indices.Length + c] = _values[r * ColumnCount + indices[c]];
        return new FeatureTable(flat, RowCount, columnNames.ToImmutableArray());
    }

    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/> - 1.</summary>
    public FeatureTable Slice(int start, int count) => SelectRows(Enumerable.Range(start, count));

    /// <summary>Splits off one column (for example the label): returns the remaining table and the column's values.</summary>
    public (FeatureTable Features, float[] Column) SplitColumn(string columnName)
    {
        int index = IndexOf(columnName);
        var column = Column(index);
        int newColumns = ColumnCount - 1;
        var flat = new float[RowCount * newColumns];
        for (int r = 0; r < RowCount; r++)
        {
            var row = Row(r);
            row[..index].CopyTo(flat.AsSpan(r * newColumns, index));
            row[(index + 1)..].CopyTo(flat.AsSpan(r * newColumns + index, newColumns - index));
        }
        var names = FeatureNames.RemoveAt(index);
        return (new FeatureTable(flat, RowCount, names), column);
    }

    /// <summary>Reads a CSV file with a header row; see <see cref="CsvTableReader"/> for the rules.</summary>
    public static FeatureTable ReadCsv(string path) => CsvTableReader.Read(path);

    /// <inheritdoc />
    public override string ToString() => $"FeatureTable({RowCount} rows x {ColumnCount} features)";
}
