using System.Globalization;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Parquet;
using Parquet.Schema;

namespace Interactive.Xai.Tests;

/// <summary>Issue 13.7: Parquet and Arrow IPC files give the same table as the same numbers in a CSV file.</summary>
public sealed class ParquetArrowTableTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("xai-formats-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private const int Rows = 1000;

    // Columns of several types; the doubles have awkward digits so float32 rounding is exercised.
    private static (double[] A, float[] B, int[] C, long[] D) Columns()
    {
        var random = new Random(3);
        var a = Enumerable.Range(0, Rows).Select(_ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 7))).ToArray();
        var b = Enumerable.Range(0, Rows).Select(_ => (float)(random.NextDouble() * 100)).ToArray();
        var c = Enumerable.Range(0, Rows).Select(_ => random.Next(-100_000, 100_000)).ToArray();
        var d = Enumerable.Range(0, Rows).Select(_ => random.NextInt64(-(1L << 40), 1L << 40)).ToArray();
        return (a, b, c, d);
    }

    private string WriteCsv((double[] A, float[] B, int[] C, long[] D) x)
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder("a,b,c,d\n");
        for (int r = 0; r < Rows; r++)
            text.Append(inv, $"{x.A[r].ToString("R", inv)},{x.B[r].ToString("R", inv)},{x.C[r]},{x.D[r]}\n");
        string path = Path.Combine(_folder, "x.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private string WriteParquet((double[] A, float[] B, int[] C, long[] D) x, string name = "x.parquet")
    {
        var fa = new DataField<double>("a");
        var fb = new DataField<float>("b");
        var fc = new DataField<int>("c");
        var fd = new DataField<long?>("d");
        string path = Path.Combine(_folder, name);
        Task.Run(async () =>
        {
            await using var stream = File.Create(path);
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fa, fb, fc, fd), stream);
            // Three row groups of unequal sizes.
            foreach (var (start, count) in new[] { (0, 400), (400, 1), (401, Rows - 401) })
            {
                using var group = writer.CreateRowGroup();
                await group.WriteAsync<double>(fa, x.A.AsMemory(start, count));
                await group.WriteAsync<float>(fb, x.B.AsMemory(start, count));
                await group.WriteAsync<int>(fc, x.C.AsMemory(start, count));
                await group.WriteAsync<long>(fd, x.D.Skip(start).Take(count).Select(v => (long?)v).ToArray().AsMemory());
            }
        }).GetAwaiter().GetResult();
        return path;
    }

    private string WriteArrow((double[] A, float[] B, int[] C, long[] D) x, string name, bool fileFormat)
    {
        string path = Path.Combine(_folder, name);
        var batches = new[] { (0, 600), (600, Rows - 600) }.Select(p => new RecordBatch.Builder()
            .Append("a", false, col => col.Double(b => b.AppendRange(x.A.Skip(p.Item1).Take(p.Item2))))
            .Append("b", false, col => col.Float(b => b.AppendRange(x.B.Skip(p.Item1).Take(p.Item2))))
            .Append("c", false, col => col.Int32(b => b.AppendRange(x.C.Skip(p.Item1).Take(p.Item2))))
            .Append("d", true, col => col.Int64(b => b.AppendRange(x.D.Skip(p.Item1).Take(p.Item2))))
            .Build()).ToArray();
        using var stream = File.Create(path);
        using ArrowStreamWriter writer = fileFormat ? new ArrowFileWriter(stream, batches[0].Schema) : new ArrowStreamWriter(stream, batches[0].Schema);
        foreach (var batch in batches) writer.WriteRecordBatch(batch);
        writer.WriteEnd();
        return path;
    }

    private static void AssertSameTable(FeatureTable expected, FeatureTable actual)
    {
        Assert.Equal(expected.FeatureNames.ToArray(), actual.FeatureNames.ToArray());
        Assert.Equal(expected.RowCount, actual.RowCount);
        var e = expected.Values;
        var a = actual.Values;
        for (int i = 0; i < e.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(e[i]) == BitConverter.SingleToInt32Bits(a[i]), $"value {i}: {e[i]:R} vs {a[i]:R}");
    }

    [Fact]
    public void AParquetFileOfSeveralRowGroups_GivesTheSameFloatsAsTheCsv()
    {
        var x = Columns();
        var csv = TableReader.Read(WriteCsv(x));
        AssertSameTable(csv, TableReader.Read(WriteParquet(x)));
    }

    [Theory]
    [InlineData("x.arrow", true)]
    [InlineData("x.feather", true)]
    [InlineData("x.arrows", false)]
    public void ArrowIpcFilesAndStreams_GiveTheSameFloatsAsTheCsv(string name, bool fileFormat)
    {
        var x = Columns();
        var csv = TableReader.Read(WriteCsv(x));
        AssertSameTable(csv, TableReader.Read(WriteArrow(x, name, fileFormat)));
    }

    [Fact]
    public void AnUnknownExtension_IsRecognisedByItsFirstBytes()
    {
        var x = Columns();
        string parquet = WriteParquet(x, "data.bin");
        string arrow = WriteArrow(x, "data.dat", fileFormat: true);
        Assert.Equal(TableReader.Format.Parquet, TableReader.FormatOf(parquet));
        Assert.Equal(TableReader.Format.Arrow, TableReader.FormatOf(arrow));
        AssertSameTable(TableReader.Read(parquet), TableReader.Read(arrow));
        Assert.Equal(TableReader.Format.Csv, TableReader.FormatOf(WriteCsv(x)));
    }

    [Fact]
    public void AStringColumn_IsOneLineNamingTheColumnAndItsType()
    {
        var fa = new DataField<double>("a");
        var fs = new DataField<string>("city");
        string parquet = Path.Combine(_folder, "s.parquet");
        Task.Run(async () =>
        {
            await using var stream = File.Create(parquet);
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fa, fs), stream);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<double>(fa, new double[] { 1, 2 }.AsMemory());
            await group.WriteAsync(fs, new[] { "x", "y" });
        }).GetAwaiter().GetResult();
        var error = Assert.Throws<XaiException>(() => TableReader.Read(parquet));
        Assert.Equal("s.parquet: column 'city' holds string values, not numbers; only numeric columns can be features", error.Message);

        var batch = new RecordBatch.Builder()
            .Append("a", false, col => col.Double(b => b.AppendRange([1.0, 2.0])))
            .Append("city", false, col => col.String(b => b.Append("x").Append("y")))
            .Build();
        string arrow = Path.Combine(_folder, "s.arrow");
        using (var stream = File.Create(arrow))
        using (var writer = new ArrowFileWriter(stream, batch.Schema))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }
        error = Assert.Throws<XaiException>(() => TableReader.Read(arrow));
        Assert.Equal("s.arrow: column 'city' holds utf8 values, not numbers; only numeric columns can be features", error.Message);
    }

    [Fact]
    public void ANullValue_IsOneLineNamingTheRowAndColumn()
    {
        var fa = new DataField<double?>("a");
        string parquet = Path.Combine(_folder, "n.parquet");
        Task.Run(async () =>
        {
            await using var stream = File.Create(parquet);
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fa), stream);
            using (var group = writer.CreateRowGroup()) await group.WriteAsync<double>(fa, new double?[] { 1, 2 }.AsMemory());
            using (var group = writer.CreateRowGroup()) await group.WriteAsync<double>(fa, new double?[] { 3, null, 5 }.AsMemory());
        }).GetAwaiter().GetResult();
        var error = Assert.Throws<XaiException>(() => TableReader.Read(parquet));
        Assert.Equal("n.parquet: row 4, column 'a': the value is missing (null)", error.Message);

        var batch = new RecordBatch.Builder()
            .Append("a", true, col => col.Double(b => b.Append(1).Append(2).AppendNull()))
            .Build();
        string arrow = Path.Combine(_folder, "n.arrow");
        using (var stream = File.Create(arrow))
        using (var writer = new ArrowFileWriter(stream, batch.Schema))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }
        error = Assert.Throws<XaiException>(() => TableReader.Read(arrow));
        Assert.Equal("n.arrow: row 3, column 'a': the value is missing (null)", error.Message);
    }

    [Fact]
    public void NaNAndOverflow_AreRefusedAsInCsv()
    {
        var batch = new RecordBatch.Builder().Append("a", false, col => col.Double(b => b.Append(1).Append(double.NaN))).Build();
        string arrow = Path.Combine(_folder, "nan.arrow");
        using (var stream = File.Create(arrow))
        using (var writer = new ArrowFileWriter(stream, batch.Schema))
        {
            writer.WriteRecordBatch(batch);
            writer.WriteEnd();
        }
        Assert.Equal("nan.arrow: row 2, column 'a': NaN is not a finite number", Assert.Throws<XaiException>(() => TableReader.Read(arrow)).Message);

        var fa = new DataField<double>("a");
        string parquet = Path.Combine(_folder, "big.parquet");
        Task.Run(async () =>
        {
            await using var stream = File.Create(parquet);
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fa), stream);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync<double>(fa, new double[] { 1e39 }.AsMemory());
        }).GetAwaiter().GetResult();
        Assert.Equal("big.parquet: row 1, column 'a': 1E+39 overflows float32", Assert.Throws<XaiException>(() => TableReader.Read(parquet)).Message);
    }

    [Fact]
    public void AFileThatIsNotParquet_IsOneLine()
    {
        string path = Path.Combine(_folder, "fake.parquet");
        File.WriteAllText(path, "a,b\n1,2\n");
        var error = Assert.Throws<XaiException>(() => TableReader.Read(path));
        Assert.StartsWith("fake.parquet: not a readable Parquet file", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal($"{Path.Combine(_folder, "none.arrow")}: file not found", Assert.Throws<XaiException>(() => TableReader.Read(Path.Combine(_folder, "none.arrow"))).Message);
    }
}
