using System.Text.Json;

namespace Interactive.Xai.Tests;

/// <summary>
/// Every row's ICE curve of a large table goes to a temporary file while it is computed and is streamed into the
/// JSON (issue 13.3): the same bytes as holding them in memory, and no memory in proportion to rows x grid points.
/// </summary>
public class IceCurveStreamingTests
{
    private static readonly DelegateModel TwoOutputs = DelegateModel.FromRowFunction(3, ["a", "b"],
        (x, y) => { y[0] = x[0] * x[1] + 0.5f * x[2]; y[1] = x[0] - x[2] * x[2]; });

    private static PartialDependenceExplanation Run(FeatureTable data, OutputTarget target, int? maxCurves, long bytesInMemory, int block, int gridPoints = 3)
        => new PartialDependenceExplainer(TwoOutputs, new PartialDependenceOptions
        {
            GridPoints = gridPoints, RowsPerBlock = block, MaxIceCurves = maxCurves, MaxIceBytesInMemory = bytesInMemory, BatchSize = 4,
        }).Explain(data, "x1", target) with { Elapsed = TimeSpan.Zero };

    // JSON written by the code before curves could be kept in a file (commit c8e1e9e), for the runs below: 12 rows in
    // blocks of 5 rows, 3 grid points, the product-and-square model above on TestModels.RandomTable(12, 3, seed: 7).
    public static TheoryData<string, int, int?> Cases => new()
    {
        { "all", -1, null },
        { "one", 1, null },
        { "subset", -1, 5 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void CurvesKeptInAFile_GiveTheSameJsonBytesAsBefore(string name, int output, int? maxCurves)
    {
        var data = TestModels.RandomTable(12, 3, seed: 7);
        var target = output < 0 ? OutputTarget.All : OutputTarget.Output(output);
        string expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "IceGolden", $"ice-{name}.json"));
        var inMemory = Run(data, target, maxCurves, long.MaxValue, block: 5);
        var inFile = Run(data, target, maxCurves, 0, block: 5);
        Assert.Equal(expected, ExplanationJson.Serialize(inMemory));
        Assert.Equal(expected, ExplanationJson.Serialize(inFile));
    }

    [Fact]
    public void CurvesKeptInAFile_AreTheModelsOwnOutputsWhateverTheBlocks()
    {
        var data = TestModels.RandomTable(503, 3, seed: 11);
        var reference = Run(data, OutputTarget.All, null, long.MaxValue, block: 503, gridPoints: 7);
        foreach (int block in new[] { 1, 13, 100 })
        {
            var inFile = Run(data, OutputTarget.All, null, 0, block, gridPoints: 7);
            Assert.Equal(ExplanationJson.Serialize(reference), ExplanationJson.Serialize(inFile));
            Assert.Equal(reference.IceValues.ToArray(), inFile.IceValues.ToArray());
            Assert.Equal(reference.AverageValues.ToArray(), inFile.AverageValues.ToArray());
            Assert.Equal(503, inFile.IceCurveCount);
        }
        var spilled = Run(data, OutputTarget.All, null, 0, block: 13, gridPoints: 7);
        // Each curve is the model's output with x1 set to each grid value (an independent evaluation).
        var row = new float[3];
        var y = new float[2];
        foreach (int r in new[] { 0, 12, 13, 250, 502 })
            for (int target = 0; target < 2; target++)
            {
                var curve = spilled.Ice(r, target);
                for (int g = 0; g < spilled.Grid.Length; g++)
                {
                    data.Values.Slice(r * 3, 3).CopyTo(row);
                    row[1] = (float)spilled.Grid[g];
                    TwoOutputs.Predict(row, 1, y);
                    Assert.Equal(y[target], curve[g]);
                }
            }
        var subset = Run(data, OutputTarget.Output(0), 10, 0, block: 7, gridPoints: 7);
        Assert.Equal(10, subset.IceCurveCount);
        foreach (int r in subset.IceRows) Assert.Equal(reference.Ice(r, 0), subset.Ice(r, 0));
    }

    [Fact]
    public void EveryCurveOfALargeTable_IsWrittenToJsonWithoutHoldingThemInMemory()
    {
        // 200,000 rows x 20 grid points: 32 MB of curves as doubles. Single-threaded, so the thread's allocation
        // counter sees every allocation of the explainer and of the JSON writer. Keeping every curve may cost little
        // more than keeping the 100 a chart draws (the grid, the blocks' outputs and the histogram cost the same).
        const int rows = 200_000, grid = 20;
        var data = TestModels.RandomTable(rows, 3, seed: 3);
        var model = DelegateModel.Linear([1f, -2f, 0.5f]);
        (long Allocated, long JsonBytes, int Curves) Measure(int? curves)
        {
            var explainer = new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = grid, MaxIceCurves = curves, MaxDegreeOfParallelism = 1 });
            var counter = new CountingStream();
            long before = GC.GetAllocatedBytesForCurrentThread();
            var explanation = explainer.Explain(data, "x1");
            ExplanationJson.Write(counter, explanation);
            return (GC.GetAllocatedBytesForCurrentThread() - before, counter.Length, explanation.IceCurveCount);
        }
        Measure(100);
        var hundred = Measure(100);
        var every = Measure(null);
        long curveBytes = (long)rows * grid * sizeof(double);
        Assert.Equal(rows, every.Curves);
        Assert.True(every.Allocated - hundred.Allocated < curveBytes / 16,
            $"keeping every one of {rows} ICE curves allocated {(every.Allocated - hundred.Allocated) / 1e6:F1} MB more than keeping 100 ({hundred.Allocated / 1e6:F1} MB); the curves are {curveBytes / 1e6:F1} MB");
        // The JSON really holds every curve: at least 5 bytes a number.
        Assert.True(every.JsonBytes > (long)rows * grid * 5, $"only {every.JsonBytes} bytes of JSON");
    }

    [Fact]
    public void JsonOfCurvesInAFile_ParsesToTheModelsOutputs()
    {
        var data = TestModels.RandomTable(40, 3, seed: 5);
        var spilled = Run(data, OutputTarget.All, null, 0, block: 6, gridPoints: 4);
        using var json = JsonDocument.Parse(ExplanationJson.Serialize(spilled));
        var ice = json.RootElement.GetProperty("ice");
        Assert.Equal(40, ice.GetArrayLength());
        var row = new float[3];
        var y = new float[2];
        for (int r = 0; r < 40; r++)
            for (int g = 0; g < 4; g++)
            {
                data.Values.Slice(r * 3, 3).CopyTo(row);
                row[1] = (float)spilled.Grid[g];
                TwoOutputs.Predict(row, 1, y);
                for (int t = 0; t < 2; t++) Assert.Equal((double)y[t], ice[r][g][t].GetDouble());
            }
    }

    [Fact]
    public void ToString_OfCurvesInAFile_DescribesThemWithoutLoadingThem()
    {
        var data = TestModels.RandomTable(30, 3, seed: 9);
        var spilled = Run(data, OutputTarget.Output(0), null, 0, block: 7, gridPoints: 4);
        string text = spilled.ToString();
        Assert.Contains("Feature = x1", text);
        Assert.Contains("RowCount = 30", text);
        Assert.Contains("IceCurves = 30", text);
        Assert.DoesNotContain("ImmutableArray", text);
    }

    // Counts bytes and keeps none.
    private sealed class CountingStream : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        private long _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
    }
}
