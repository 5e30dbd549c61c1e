using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;

namespace Interactive.Xai;

/// <summary>
/// Reads numeric Arrow IPC files (Apache.Arrow), in the file format (Feather v2, <c>.arrow</c>, <c>.feather</c>)
/// or the stream format, record batch by record batch. Every column must be a number column (floating point or
/// integer); another type, a null, NaN, infinity or a value beyond float32 is refused with one line naming the
/// file, row and column. Compressed IPC buffers (LZ4, ZSTD) are not supported: write the file uncompressed.
/// </summary>
public static class ArrowTableReader
{
    private const int ChunkValues = 1 << 20;

    /// <summary>Reads the Arrow IPC file at <paramref name="path"/>.</summary>
    public static FeatureTable Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = TableReader.Open(path, "Arrow");
        return Read(stream, Path.GetFileName(path));
    }

    /// <summary>Reads Arrow IPC data (file or stream format) from a stream; <paramref name="sourceName"/> names it in errors.</summary>
    public static FeatureTable Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        string source = sourceName;
        bool fileFormat = false;
        if (stream.CanSeek)
        {
            Span<byte> head = stackalloc byte[6];
            int n = stream.ReadAtLeast(head, 6, throwOnEndOfStream: false);
            fileFormat = n == 6 && head.SequenceEqual("ARROW1"u8);
            stream.Seek(0, SeekOrigin.Begin);
        }
        try
        {
            using ArrowStreamReader reader = fileFormat ? new ArrowFileReader(stream, leaveOpen: true) : new ArrowStreamReader(stream, leaveOpen: true);
            return ReadBatches(reader, source);
        }
        catch (Exception e) when (e is not XaiException)
        {
            string message = TableReader.OneLine(e);
            if (message.Contains("compress", StringComparison.OrdinalIgnoreCase))
                throw new XaiException($"{source}: compressed Arrow IPC buffers are not supported; write the file uncompressed (pyarrow: compression='uncompressed')");
            throw new XaiException($"{source}: not a readable Arrow IPC file ({message})");
        }
    }

    private static FeatureTable ReadBatches(ArrowStreamReader reader, string source)
    {
        Schema? schema = null;
        string[] names = [];
        int columns = 0;
        long rows = 0;
        var chunks = new List<float[]>();
        int used = 0;
        RecordBatch? batch;
        while ((batch = reader.ReadNextRecordBatch()) is not null)
        {
            using (batch)
            {
                if (schema is null)
                {
                    schema = batch.Schema;
                    names = schema.FieldsList.Select(f => f.Name).ToArray();
                    TableReader.CheckNames(source, names);
                    columns = names.Length;
                    foreach (var field in schema.FieldsList)
                        if (!IsNumber(field.DataType)) throw TableReader.NotNumeric(source, field.Name, field.DataType.Name);
                }
                int length = batch.Length;
                TableReader.CheckSize(source, rows + length, columns);
                for (int i = 0; i < length; i++)
                {
                    if (chunks.Count == 0 || used + columns > chunks[^1].Length)
                    {
                        chunks.Add(new float[Math.Max(ChunkValues / columns, 1) * columns]);
                        used = 0;
                    }
                    var row = chunks[^1].AsSpan(used, columns);
                    for (int c = 0; c < columns; c++) row[c] = Value(batch.Column(c), i, source, rows + i + 1, names[c]);
                    used += columns;
                }
                rows += length;
            }
        }
        if (schema is null)
        {
            // No record batch at all: still name a non-numeric column if the schema has one.
            if (reader.Schema is { } empty)
                foreach (var field in empty.FieldsList)
                    if (!IsNumber(field.DataType)) throw TableReader.NotNumeric(source, field.Name, field.DataType.Name);
        }
        if (rows == 0) throw new XaiException($"{source}: the file has no data rows");
        var values = new float[rows * columns];
        long offset = 0;
        for (int k = 0; k < chunks.Count; k++)
        {
            long take = Math.Min(k == chunks.Count - 1 ? used : chunks[k].Length, values.Length - offset);
            System.Array.Copy(chunks[k], 0, values, offset, take);
            offset += take;
            chunks[k] = [];
        }
        return FeatureTable.FromRowMajor(values, (int)rows, columns, names, copy: false);
    }

    private static bool IsNumber(IArrowType type) => type.TypeId is ArrowTypeId.Float or ArrowTypeId.Double or ArrowTypeId.HalfFloat
        or ArrowTypeId.Int8 or ArrowTypeId.Int16 or ArrowTypeId.Int32 or ArrowTypeId.Int64
        or ArrowTypeId.UInt8 or ArrowTypeId.UInt16 or ArrowTypeId.UInt32 or ArrowTypeId.UInt64;

    // One cell as the CSV reader would give the same number: through double, then float32.
    private static float Value(IArrowArray array, int index, string source, long row, string column)
    {
        if (array.IsNull(index)) throw TableReader.Null(source, row, column);
        double value = array switch
        {
            FloatArray a => a.Values[index],
            DoubleArray a => a.Values[index],
            HalfFloatArray a => (double)a.Values[index],
            Int8Array a => a.Values[index],
            Int16Array a => a.Values[index],
            Int32Array a => a.Values[index],
            Int64Array a => a.Values[index],
            UInt8Array a => a.Values[index],
            UInt16Array a => a.Values[index],
            UInt32Array a => a.Values[index],
            UInt64Array a => a.Values[index],
            _ => throw TableReader.NotNumeric(source, column, array.Data.DataType.Name),
        };
        return TableReader.ToFloat(value, source, row, column);
    }
}
