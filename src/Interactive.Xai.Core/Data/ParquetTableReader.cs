using Parquet;
using Parquet.Schema;

namespace Interactive.Xai;

/// <summary>
/// Reads numeric Parquet files (Parquet.Net) row group by row group into one row-major float array. Every column
/// must be a flat number column (float, double, integers, decimal); a column of another type, a missing (null)
/// value, NaN, infinity or a value beyond float32 is refused with one line naming the file, row and column.
/// </summary>
public static class ParquetTableReader
{
    /// <summary>Reads the Parquet file at <paramref name="path"/>.</summary>
    public static FeatureTable Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = TableReader.Open(path, "Parquet");
        return Read(stream, Path.GetFileName(path));
    }

    /// <summary>Reads a Parquet file from a seekable stream; <paramref name="sourceName"/> names it in errors.</summary>
    public static FeatureTable Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        // Parquet.Net is asynchronous; run it off any synchronisation context (a notebook kernel has one).
        return Task.Run(() => ReadAsync(stream, sourceName)).GetAwaiter().GetResult();
    }

    private static async Task<FeatureTable> ReadAsync(Stream stream, string source)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(stream, leaveStreamOpen: true).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not XaiException)
        {
            throw new XaiException($"{source}: not a readable Parquet file ({TableReader.OneLine(e)})");
        }
        await using (reader.ConfigureAwait(false))
        {
            var fields = reader.Schema.GetDataFields();
            var topLevel = reader.Schema.Fields;
            foreach (var field in topLevel)
                if (field is not DataField) throw TableReader.NotNumeric(source, field.Name, field.SchemaType.ToString().ToLowerInvariant());
            foreach (var field in fields)
            {
                if (field.IsArray) throw TableReader.NotNumeric(source, field.Name, "list");
                if (!IsNumber(field.ClrType)) throw TableReader.NotNumeric(source, field.Name, TypeName(field.ClrType));
            }
            var names = fields.Select(f => f.Name).ToArray();
            TableReader.CheckNames(source, names);
            int columns = fields.Length;
            long rows = 0;
            for (int g = 0; g < reader.RowGroupCount; g++) rows += reader.RowGroups[g].RowCount;
            if (rows == 0) throw new XaiException($"{source}: the file has no data rows");
            TableReader.CheckSize(source, rows, columns);
            var values = new float[rows * columns];
            var buffers = new Dictionary<Type, System.Array>(); // one column buffer per type, reused by every row group
            long firstRow = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                int count = checked((int)group.RowCount);
                for (int c = 0; c < columns; c++)
                {
                    try
                    {
                        await ReadColumn(group, fields[c], count, values, firstRow, c, columns, source, buffers).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not XaiException)
                    {
                        throw new XaiException($"{source}: cannot read column '{fields[c].Name}' of row group {g + 1} ({TableReader.OneLine(e)})");
                    }
                }
                firstRow += count;
            }
            return FeatureTable.FromRowMajor(values, (int)rows, columns, names, copy: false);
        }
    }

    private static bool IsNumber(Type type)
        => type == typeof(float) || type == typeof(double) || type == typeof(decimal)
        || type == typeof(sbyte) || type == typeof(byte) || type == typeof(short) || type == typeof(ushort)
        || type == typeof(int) || type == typeof(uint) || type == typeof(long) || type == typeof(ulong) || type == typeof(Half);

    private static string TypeName(Type type) => type == typeof(string) || type == typeof(ReadOnlyMemory<char>) || type == typeof(char) ? "string"
        : type == typeof(bool) ? "boolean"
        : type == typeof(byte[]) || type == typeof(ReadOnlyMemory<byte>) ? "binary"
        : type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(DateOnly) ? "date/time"
        : type == typeof(TimeSpan) || type == typeof(TimeOnly) ? "time"
        : type.Name.ToLowerInvariant();

    private static Task ReadColumn(ParquetRowGroupReader group, DataField field, int count, float[] values, long firstRow, int column, int columns, string source,
        Dictionary<Type, System.Array> buffers)
    {
        var type = field.ClrType;
        if (type == typeof(float)) return Read<float>(group, field, count, values, firstRow, column, columns, source, buffers, v => v);
        if (type == typeof(double)) return Read<double>(group, field, count, values, firstRow, column, columns, source, buffers, v => v);
        if (type == typeof(decimal)) return Read<decimal>(group, field, count, values, firstRow, column, columns, source, buffers, v => (double)v);
        if (type == typeof(Half)) return Read<Half>(group, field, count, values, firstRow, column, columns, source, buffers, v => (double)v);
        if (type == typeof(sbyte)) return Read<sbyte>(group, field, count, values, firstRow, column, columns, source, buffers, v => v);
        if (type == typeof(byte)) return Read<byte>(group, field, count, values, firstRow, column, columns, source, buffers, v => v);
        if (type == typeof(short)) return Read<short>(group, field, count, values, firstRow, column, columns, source, buffers, v => v);
        if (type == typeof(ushort)) return Read<ushort>(group, field, count, values, firstRow, column, columns, source, buffers, v => v);
        if (type == typeof(int)) return Read<int>(group, field, count, values, firstRow, column, columns, source, buffers, v => v);
        if (type == typeof(uint)) return Read<uint>(group, field, count, values, firstRow, column, columns, source, buffers, v => v);
        if (type == typeof(long)) return Read<long>(group, field, count, values, firstRow, column, columns, source, buffers, v => v);
        return Read<ulong>(group, field, count, values, firstRow, column, columns, source, buffers, v => v);
    }

    // One column of one row group into the row-major array: a buffer of the row group's length, then a strided copy.
    // Numbers go through double exactly as the CSV reader's do, so the same numbers give the same floats.
    private static async Task Read<T>(ParquetRowGroupReader group, DataField field, int count, float[] values, long firstRow,
        int column, int columns, string source, Dictionary<Type, System.Array> buffers, Func<T, double> toDouble) where T : struct
    {
        string name = field.Name;
        if (field.IsNullable)
        {
            var buffer = Buffer<T?>(buffers, count);
            await group.ReadAsync<T>(field, buffer.AsMemory(0, count)).ConfigureAwait(false);
            for (int i = 0; i < count; i++)
            {
                long row = firstRow + i;
                if (buffer[i] is not T v) throw TableReader.Null(source, row + 1, name);
                values[row * columns + column] = TableReader.ToFloat(toDouble(v), source, row + 1, name);
            }
        }
        else
        {
            var buffer = Buffer<T>(buffers, count);
            await group.ReadAsync<T>(field, buffer.AsMemory(0, count)).ConfigureAwait(false);
            for (int i = 0; i < count; i++)
            {
                long row = firstRow + i;
                values[row * columns + column] = TableReader.ToFloat(toDouble(buffer[i]), source, row + 1, name);
            }
        }
    }

    private static TBuffer[] Buffer<TBuffer>(Dictionary<Type, System.Array> buffers, int count)
    {
        if (buffers.TryGetValue(typeof(TBuffer), out var existing) && existing.Length >= count) return (TBuffer[])existing;
        var buffer = new TBuffer[count];
        buffers[typeof(TBuffer)] = buffer;
        return buffer;
    }
}
