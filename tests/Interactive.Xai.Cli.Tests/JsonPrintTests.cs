using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Interactive.Xai.Hosting;
using Xunit.Abstractions;

namespace Interactive.Xai.Cli.Tests;

/// <summary>Issue 13.3: "--json -" streams the JSON to standard output, as --json FILE does, instead of building one string.</summary>
public class JsonPrintTests(ITestOutputHelper output)
{
    [Fact]
    public void JsonDash_PrintsTheSameJsonAsTheFile_ForEveryIceCurveAndMultiByteNames()
    {
        using var folder = new TempFolder();
        var csv = new StringBuilder("aé,b€,c😀,d\n");
        var random = new Random(7);
        for (int i = 0; i < 3000; i++)
            csv.Append(string.Create(CultureInfo.InvariantCulture, $"{random.Next(100)},{random.Next(100)},{random.Next(100)},{random.Next(100)}\n"));
        string data = folder.File("x.csv", csv.ToString()), json = folder.File("x.json");
        string[] common = ["explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "ice", "--feature", "c😀"];
        var (code, printed, error) = CliRunner.Run([.. common, "--json", "-"]);
        Assert.True(code == 0, error);
        (code, _, error) = CliRunner.Run([.. common, "--json", json]);
        Assert.True(code == 0, error);
        static string WithoutTime(string text) => Regex.Replace(text, "\"elapsedSeconds\": [0-9.Ee+-]+", "\"elapsedSeconds\": 0").TrimEnd();
        string written = File.ReadAllText(json);
        Assert.True(written.Length > 100_000, $"the JSON is only {written.Length} characters");
        Assert.Equal(WithoutTime(written), WithoutTime(printed));
    }

    [Fact]
    public void PrintingTheJson_AllocatesFarLessThanTheJsonText()
    {
        using var loaded = ModelFiles.Load(CliRunner.ModelPath("linear4.onnx"));
        int n = 20_000;
        var values = new float[n * 4];
        for (int i = 0; i < values.Length; i++) values[i] = i % 97;
        var table = FeatureTable.FromRowMajor(values, n, 4, ["a", "b", "c", "d"]);
        var explanation = new PartialDependenceExplainer(loaded.Model, new PartialDependenceOptions { MaxIceCurves = null, GridPoints = 20 })
            .Explain(table, "c");
        var counter = new CountingWriter();
        using var none = OutputFiles.Prepare();

        // Streamed, as xai explain does now.
        long before = GC.GetAllocatedBytesForCurrentThread();
        AtomicFile.WriteOrPrint(counter, stream => ExplanationJson.Write(stream, explanation, indented: true, includeIceCurves: true), none, "", "-");
        long streamed = GC.GetAllocatedBytesForCurrentThread() - before;
        long characters = counter.Characters;

        // As a string first, as it did before.
        counter = new CountingWriter();
        before = GC.GetAllocatedBytesForCurrentThread();
        AtomicFile.WriteOrPrint(counter, ExplanationJson.Serialize(explanation, indented: true, includeIceCurves: true), none, "", "-");
        long asString = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"{characters:N0} characters: streamed {streamed:N0} bytes allocated, as a string {asString:N0}");
        Assert.Equal(characters, counter.Characters);
        Assert.True(characters > 4_000_000, $"only {characters} characters");
        Assert.True(streamed < characters / 4, $"streaming {characters:N0} characters allocated {streamed:N0} bytes (as a string: {asString:N0})");
        Assert.True(asString > 2 * characters, $"the string path allocated only {asString:N0} bytes for {characters:N0} characters");
    }

    [Fact]
    public void TextWriterStream_KeepsCharactersSplitAcrossWrites()
    {
        string text = "aé€😀" + new string('x', 5000) + "😀é";
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var output = new StringWriter();
        using (var stream = new TextWriterStream(output))
            for (int i = 0; i < bytes.Length; i++) stream.Write(bytes, i, 1);
        Assert.Equal(text, output.ToString());
    }

    private sealed class CountingWriter : TextWriter
    {
        public long Characters { get; private set; }
        public override Encoding Encoding => Encoding.UTF8;
        public override void Write(char value) => Characters++;
        public override void Write(char[] buffer, int index, int count) => Characters += count;
        public override void Write(ReadOnlySpan<char> buffer) => Characters += buffer.Length;
        public override void Write(string? value) => Characters += value?.Length ?? 0;
    }
}
