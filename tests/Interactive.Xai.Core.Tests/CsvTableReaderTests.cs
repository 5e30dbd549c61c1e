namespace Interactive.Xai.Tests;

public class CsvTableReaderTests
{
    [Fact]
    public void Parse_AcceptsBomCrlfAndMissingFinalNewline()
    {
        var table = CsvTableReader.Parse("\uFEFFa,b\r\n1,2\r\n3.5,-4e2", "x.csv");
        Assert.Equal(["a", "b"], table.FeatureNames.ToArray());
        Assert.Equal(2, table.RowCount);
        Assert.Equal(-400f, table[1, 1]);
    }

    [Fact]
    public void Parse_AcceptsQuotedHeaderNamesWithCommas()
    {
        var table = CsvTableReader.Parse("\"x, y\",z\n1,2\n", "q.csv");
        Assert.Equal("x, y", table.FeatureNames[0]);
    }

    [Theory]
    [InlineData("a,b\n1,2\n3\n", "q.csv: row 2 (line 3) has 1 fields, expected 2 like the header")]
    [InlineData("a,b\n1,abc\n", "q.csv: row 1 (line 2), column 'b': 'abc' is not a number")]
    [InlineData("a,b\n1,\n", "q.csv: row 1 (line 2), column 'b': the cell is empty")]
    [InlineData("a,b\n1,NaN\n", "q.csv: row 1 (line 2), column 'b': 'NaN' is not a finite number")]
    [InlineData("a,b\n1,-Infinity\n", "q.csv: row 1 (line 2), column 'b': '-Infinity' is not a finite number")]
    [InlineData("a,b\n1,1e39\n", "q.csv: row 1 (line 2), column 'b': 1e39 overflows float32")]
    [InlineData("a,b\n", "q.csv: the file has a header but no data rows")]
    [InlineData("", "q.csv: the file is empty")]
    [InlineData("a,a\n1,2\n", "q.csv: the header names column 'a' twice")]
    public void Parse_RejectsBadInputWithOneLineNamingFileRowAndColumn(string text, string expected)
    {
        var error = Assert.Throws<XaiException>(() => CsvTableReader.Parse(text, "q.csv"));
        Assert.Equal(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Read_MissingFileNamesThePath()
    {
        var error = Assert.Throws<XaiException>(() => CsvTableReader.Read("/nonexistent/data.csv"));
        Assert.Contains("/nonexistent/data.csv", error.Message);
    }
}
