using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Interactive.Xai.Tests;

/// <summary>Issue 13.3: CSV files are streamed into the float array (memory about the float data), huge lines fail fast.</summary>
public class CsvStreamingTests
{
    // A deterministic table of awkward numbers (exponents, signs, many digits) and its CSV text.
    private static (string Text, float[] Expected) MakeCsv(int rows, int columns, string newline = "\n")
    {
        var random = new Random(7);
        var text = new StringBuilder();
        text.Append(string.Join(',', Enumerable.Range(0, columns).Select(c => "f" + c))).Append(newline);
        var expected = new float[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                double v = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 9));
                string cell = (r + c) % 3 == 0 ? v.ToString("R", CultureInfo.InvariantCulture) : v.ToString("E6", CultureInfo.InvariantCulture);
                // The independent oracle: .NET's own string parse of the same cell, rounded to float32.
                expected[r * columns + c] = (float)double.Parse(cell, CultureInfo.InvariantCulture);
                if (c > 0) text.Append(',');
                text.Append(cell);
            }
            text.Append(newline);
        }
        return (text.ToString(), expected);
    }

    private static void AssertBitIdentical(float[] expected, FeatureTable table)
    {
        Assert.Equal(expected.Length, table.Values.Length);
        var actual = table.Values;
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"value {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Fact]
    public void ReadingAFile_AllocatesAboutItsFloatData_NotItsText()
    {
        const int rows = 100_000, columns = 10;
        var (text, expected) = MakeCsv(rows, columns);
        string path = Path.Combine(Path.GetTempPath(), $"xai-stream-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text);
        text = null!;
        try
        {
            CsvTableReader.Read(path); // warm up (JIT, encodings)
            long before = GC.GetAllocatedBytesForCurrentThread();
            var table = CsvTableReader.Read(path);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            long floatBytes = (long)rows * columns * sizeof(float);
            long fileBytes = new FileInfo(path).Length;
            // The old reader held the whole text (2 bytes a character) and a string per line: about 5x the file.
            Assert.True(allocated < floatBytes * 3 / 2 + (1 << 20),
                $"reading {fileBytes:N0} bytes into {floatBytes:N0} bytes of floats allocated {allocated:N0} bytes");
            AssertBitIdentical(expected, table);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void StreamedValues_AreBitIdenticalToDotNetParsing_ForEveryLineEnd_AndAcrossReadBoundaries(string newline)
    {
        // 150,000 x 10 values is more than one 4 MB chunk: the chunked path (no row count known) joins chunks.
        var (text, expected) = MakeCsv(150_000, 10, newline);
        AssertBitIdentical(expected, CsvTableReader.Parse(text, "x.csv"));
        // A reader that hands out 7 characters at a time splits CRLF pairs, quotes and numbers across reads.
        var small = MakeCsv(300, 3, newline);
        AssertBitIdentical(small.Expected, CsvTableReader.Parse(new TrickleReader(small.Text, 7), "x.csv"));
        AssertBitIdentical(small.Expected, CsvTableReader.Parse(new TrickleReader(small.Text, 1), "x.csv"));
    }

    [Fact]
    public void AFileOnDisk_GivesTheSameValuesAsTheText_WithBomCrlfAndQuotes()
    {
        string text = "\uFEFF\"a, 1\",b\r\n1,\"2.5\"\r\n-3e2 , 4\r\n\r\n\r\n";
        string path = Path.Combine(Path.GetTempPath(), $"xai-bom-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text, new UTF8Encoding(true));
        try
        {
            var table = CsvTableReader.Read(path);
            Assert.Equal(["a, 1", "b"], table.FeatureNames.ToArray());
            Assert.Equal(new float[] { 1, 2.5f, -300, 4 }, table.Values.ToArray());
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData("a,b\n1,2\n\n3,4\n", "q.csv: row 2 (line 3) has 1 fields, expected 2 like the header")]
    [InlineData("a\n1\n\n3\n", "q.csv: row 2 (line 3), column 'a': the cell is empty")]
    [InlineData("\na,b\n1,2\n", "q.csv: header column 1 has no name")]
    [InlineData("\n\n\n", "q.csv: the file is empty")]
    [InlineData("a,b\n1,\"2\n", "q.csv: line 2 has an unterminated quoted field")]
    [InlineData("a,b\n1,\"2\"x\n", "q.csv: line 2 has text after a closing quote")]
    [InlineData("a,b\n1,2,x\n", "q.csv: row 1 (line 2) has 3 fields, expected 2 like the header")]
    public void BlankLinesInsideAndQuotingErrors_KeepTheirMessages(string text, string expected)
    {
        var error = Assert.Throws<XaiException>(() => CsvTableReader.Parse(text, "q.csv"));
        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void DevZero_FailsFastWithOneLineAboutTheLineLength()
    {
        if (!File.Exists("/dev/zero")) return;
        var watch = Stopwatch.StartNew();
        var error = Assert.Throws<XaiException>(() => CsvTableReader.Read("/dev/zero"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Equal("zero: line 1 is longer than 1,048,576 characters; is it a CSV text file?", error.Message);
    }

    [Fact]
    public void AHugeDataLine_IsRefusedNamingItsLine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"xai-long-{Guid.NewGuid():N}.csv");
        using (var writer = new StreamWriter(path))
        {
            writer.Write("a\n1\n");
            writer.Write(new string('7', CsvTableReader.MaxLineLength + 1));
            writer.Write('\n');
        }
        try
        {
            var error = Assert.Throws<XaiException>(() => CsvTableReader.Read(path));
            Assert.Contains("line 3 is longer than 1,048,576 characters", error.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void InvalidUtf8_IsStillNamed()
    {
        string path = Path.Combine(Path.GetTempPath(), $"xai-bin-{Guid.NewGuid():N}.csv");
        File.WriteAllBytes(path, [(byte)'a', (byte)'\n', 0xFF, 0xFE, 0x80, (byte)'\n']);
        try
        {
            var error = Assert.Throws<XaiException>(() => CsvTableReader.Read(path));
            Assert.Equal($"{path}: not a UTF-8 text file", error.Message);
        }
        finally { File.Delete(path); }
    }

    private sealed class TrickleReader(string text, int step) : TextReader
    {
        private int _position;

        public override int Read(char[] buffer, int index, int count)
        {
            int n = Math.Min(Math.Min(step, count), text.Length - _position);
            text.CopyTo(_position, buffer, index, n);
            _position += n;
            return n;
        }
    }
}
