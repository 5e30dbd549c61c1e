using Microsoft.Data.Analysis;

namespace Interactive.Xai;

/// <summary>Conversions between Microsoft.Data.Analysis <see cref="DataFrame"/>s and <see cref="FeatureTable"/>s.</summary>
public static class DataFrameConversions
{
    /// <summary>
    /// The numeric columns of <paramref name="frame"/> as a feature table, keeping their names.
    /// The label column (if named) is left out; a non-numeric column or a missing value is an error.
    /// </summary>
    public static FeatureTable ToFeatureTable(this DataFrame frame, string? labelColumn = null)
        => ToFeatureTable(frame, labelColumn, out _);

    /// <summary>As <see cref="ToFeatureTable(DataFrame, string?)"/>, also returning the label column's values.</summary>
    public static FeatureTable ToFeatureTable(this DataFrame frame, string? labelColumn, out float[]? labels)
    {
        ArgumentNullException.ThrowIfNull(frame);
        labels = null;
        if (labelColumn is not null && frame.Columns.IndexOf(labelColumn) < 0)
            throw new XaiException($"the DataFrame has no column named '{labelColumn}'");
        var columns = frame.Columns.Where(c => c.Name != labelColumn).ToList();
        int rows = checked((int)frame.Rows.Count);
        var values = new float[rows * columns.Count];
        for (int c = 0; c < columns.Count; c++)
        {
            var column = ReadNumeric(columns[c]);
            for (int r = 0; r < rows; r++) values[r * columns.Count + c] = column[r];
        }
        if (labelColumn is not null) labels = ReadNumeric(frame.Columns[labelColumn]);
        return FeatureTable.FromRowMajor(values, rows, columns.Count, columns.Select(c => c.Name).ToList(), copy: false);
    }

    private static float[] ReadNumeric(DataFrameColumn column)
    {
        if (column is SingleDataFrameColumn single)
        {
            // Copying through the read-only buffers is much faster than indexing the column.
            var result = new float[single.Length];
            int offset = 0;
            foreach (var buffer in single.GetReadOnlyDataBuffers())
            {
                buffer.Span.CopyTo(result.AsSpan(offset));
                offset += buffer.Length;
            }
            if (single.NullCount > 0) throw MissingValue(column);
            return result;
        }
        if (!IsNumeric(column.DataType))
            throw new XaiException($"DataFrame column '{column.Name}' has type {column.DataType.Name}, not a number; drop it or name it as the label");
        if (column.NullCount > 0) throw MissingValue(column);
        var values = new float[column.Length];
        for (long r = 0; r < column.Length; r++) values[r] = Convert.ToSingle(column[r], System.Globalization.CultureInfo.InvariantCulture);
        return values;
    }

    private static XaiException MissingValue(DataFrameColumn column)
        => new($"DataFrame column '{column.Name}' has {column.NullCount} missing values; fill or drop them first");

    private static bool IsNumeric(Type type) =>
        type == typeof(float) || type == typeof(double) || type == typeof(int) || type == typeof(long) ||
        type == typeof(short) || type == typeof(byte) || type == typeof(sbyte) || type == typeof(ushort) ||
        type == typeof(uint) || type == typeof(ulong) || type == typeof(decimal) || type == typeof(bool);

    /// <summary>A DataFrame with one float column per feature of <paramref name="table"/>.</summary>
    public static DataFrame ToDataFrame(this FeatureTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var columns = new List<DataFrameColumn>();
        for (int c = 0; c < table.ColumnCount; c++)
            columns.Add(new SingleDataFrameColumn(table.FeatureNames[c], table.Column(c)));
        return new DataFrame(columns);
    }
}
