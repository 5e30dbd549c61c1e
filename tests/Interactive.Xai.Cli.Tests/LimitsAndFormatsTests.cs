using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace Interactive.Xai.Cli.Tests;

/// <summary>Issue 13.3 (limits checked up front, /dev/zero, ICE only in JSON when asked) and 13.7 (Parquet and Arrow data).</summary>
public class LimitsAndFormatsTests
{
    private const string Linear = "a,b,c,d\n1,2,3,4\n0,1,0,1\n5,-1,2,0\n";

    [Fact]
    public void HugeSamples_IsRefusedAtOnceNamingTheOptionAndTheLimit()
    {
        using var folder = new TempFolder();
        var watch = Stopwatch.StartNew();
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", folder.File("x.csv", Linear),
            "--method", "kernel-shap", "--samples", "2000000000");
        BadInputTests.AssertOneErrorLine(code, error, "--samples 2000000000", "the limit is 1,000,000");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public void ARunNeedingMoreEvaluationsThanTheLimit_IsRefusedBeforeComputing()
    {
        using var folder = new TempFolder();
        // 2,000 rows x 1,000,000 coalitions x 10 background rows = 2E+10 evaluations of a 64-input model: hours of work.
        var text = new StringBuilder(string.Join(',', Enumerable.Range(0, 64).Select(i => "p" + i))).Append('\n');
        var row = string.Join(',', Enumerable.Range(0, 64).Select(i => (i % 17).ToString(CultureInfo.InvariantCulture)));
        for (int r = 0; r < 2000; r++) text.Append(row).Append('\n');
        var data = folder.File("digits.csv", text.ToString());
        var watch = Stopwatch.StartNew();
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("digits_cnn.onnx"), "--data", data,
            "--method", "kernel-shap", "--samples", "1000000", "--match-columns", "position");
        BadInputTests.AssertOneErrorLine(code, error, "kernel-shap would need about 20,000,000,000 model evaluations (2,000 rows x 10 background rows x 1,000,000 coalitions)",
            "more than --max-evaluations 10,000,000,000");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");

        // The limit is an option: a small one refuses even a small PDP (3 rows x 5 grid points).
        (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", folder.File("x.csv", Linear),
            "--method", "pdp", "--feature", "a", "--grid-points", "5", "--max-evaluations", "14");
        BadInputTests.AssertOneErrorLine(code, error, "pdp would need about 15 model evaluations (3 rows x 5 grid points)", "--max-evaluations 14");
        (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", folder.File("x.csv", Linear),
            "--method", "pdp", "--feature", "a", "--grid-points", "5", "--max-evaluations", "15");
        Assert.True(code == 0, error);
    }

    [Fact]
    public void ForcePlot_IsLimitedByItsShapMethodsEvaluations()
    {
        using var folder = new TempFolder();
        // 3 rows x 3 background rows (the rows themselves) x (2^4 - 2) coalitions of exact SHAP = 126 evaluations.
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", folder.File("x.csv", Linear),
            "--method", "force", "--max-evaluations", "125");
        BadInputTests.AssertOneErrorLine(code, error, "force (exact-shap) would need about 126 model evaluations (3 rows x 3 background rows x (2^4 - 2) coalitions)",
            "--max-evaluations 125");
        (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", folder.File("x.csv", Linear),
            "--method", "force", "--max-evaluations", "126");
        Assert.True(code == 0, error);
    }

    [Fact]
    public void TheHelp_StatesTheLimits()
    {
        var (code, output, _) = CliRunner.Run("explain", "--help");
        Assert.Equal(0, code);
        Assert.Contains("At most 1,000,000", output);
        Assert.Contains("--max-evaluations", output);
        Assert.Contains("10000000000", output);
    }

    [Fact]
    public void DevZeroAsData_FailsFastWithOneLine()
    {
        if (!File.Exists("/dev/zero")) return;
        var watch = Stopwatch.StartNew();
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", "/dev/zero", "--method", "pdp", "--feature", "a");
        BadInputTests.AssertOneErrorLine(code, error, "zero: line 1 is longer than 1,048,576 characters", "CSV");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public void PdpJson_HasNoIceCurvesUnlessAsked_AndIceAlwaysHasThem()
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", Linear);
        JsonElement Run(params string[] extra)
        {
            var json = folder.File("out-" + Guid.NewGuid().ToString("N") + ".json");
            var (code, _, error) = CliRunner.Run(["explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--feature", "a",
                "--grid", "-1,0,1", .. extra, "--json", json]);
            Assert.True(code == 0, error);
            return JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        }
        var pdp = Run("--method", "pdp");
        Assert.False(pdp.TryGetProperty("ice", out _));
        Assert.Equal(3, pdp.GetProperty("average").GetArrayLength());
        Assert.Equal(3, pdp.GetProperty("rows").GetInt32());
        var withIce = Run("--method", "pdp", "--ice");
        Assert.Equal(3, withIce.GetProperty("ice").GetArrayLength());
        Assert.Equal(pdp.GetProperty("average").GetRawText(), withIce.GetProperty("average").GetRawText());
        Assert.Equal(3, Run("--method", "ice").GetProperty("ice").GetArrayLength());
    }

    [Fact]
    public void IceJson_HasEveryRowsCurve_EvenBeyondTheHundredTheHtmlDraws()
    {
        using var folder = new TempFolder();
        var csv = "a,b,c,d\n" + string.Concat(Enumerable.Range(0, 250).Select(r => $"{r % 7},{r % 5},{r % 3},{r % 11}\n"));
        var data = folder.File("many.csv", csv);
        foreach (var extra in new[] { new[] { "--method", "ice" }, ["--method", "pdp", "--ice"] })
        {
            var json = folder.File("out-" + Guid.NewGuid().ToString("N") + ".json");
            var (code, _, error) = CliRunner.Run(["explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--feature", "a",
                "--grid", "-1,0,1", .. extra, "--json", json]);
            Assert.True(code == 0, error);
            var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
            Assert.Equal(250, root.GetProperty("ice").GetArrayLength());
            Assert.False(root.TryGetProperty("iceRows", out _));
        }
    }

    [Fact]
    public void HtmlOnly_WritesNoJsonAnywhere()
    {
        using var folder = new TempFolder();
        var html = folder.File("r.html");
        var (code, output, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", folder.File("x.csv", Linear),
            "--method", "pdp", "--feature", "a", "--html", html);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(html));
        Assert.Equal(["r.html", "x.csv"], folder.Files().Order().ToArray());
        Assert.DoesNotContain("\"ice\"", output);
    }

    [Fact]
    public void ParquetData_GivesTheSameExplanationAsTheCsv()
    {
        using var folder = new TempFolder();
        var csv = folder.File("x.csv", Linear);
        var parquet = folder.File("x.parquet");
        var fields = new[] { "a", "b", "c", "d" }.Select(n => new DataField<double>(n)).ToArray();
        var columns = new[] { new double[] { 1, 0, 5 }, [2, 1, -1], [3, 0, 2], [4, 1, 0] };
        Task.Run(async () =>
        {
            await using var stream = File.Create(parquet);
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream);
            using var group = writer.CreateRowGroup();
            for (int c = 0; c < 4; c++) await group.WriteAsync<double>(fields[c], columns[c].AsMemory());
        }).GetAwaiter().GetResult();
        string Values(string data)
        {
            var json = folder.File("out-" + Guid.NewGuid().ToString("N") + ".json");
            var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data,
                "--method", "exact-shap", "--background", data, "--json", json);
            Assert.True(code == 0, error);
            return JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("values").GetRawText();
        }
        Assert.Equal(Values(csv), Values(parquet));

        // A non-numeric column is one line naming the column and its type.
        var bad = folder.File("bad.parquet");
        var name = new DataField<string>("name");
        Task.Run(async () =>
        {
            await using var stream = File.Create(bad);
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(name), stream);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(name, new[] { "x" });
        }).GetAwaiter().GetResult();
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", bad, "--method", "pdp", "--feature", "a");
        BadInputTests.AssertOneErrorLine(code, error, "bad.parquet: column 'name' holds string values", "not numbers");
    }
}
