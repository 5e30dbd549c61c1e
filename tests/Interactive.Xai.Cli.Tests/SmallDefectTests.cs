using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Interactive.Xai.Cli.Tests;

/// <summary>Issue 13.5: the smaller defects, one test each.</summary>
public class SmallDefectTests
{
    private const string Linear = "a,b,c,d\n1,2,3,4\n0,1,0,1\n";

    [Fact]
    public void AnEmptyDataPath_IsOneClearError()
    {
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", "", "--method", "pdp", "--feature", "a");
        BadInputTests.AssertOneErrorLine(code, error, "data path is empty", "");
        Assert.DoesNotContain("internal error", error);
    }

    [Fact]
    public void AFolderAsData_SaysItIsAFolder()
    {
        using var folder = new TempFolder();
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", folder.Path, "--method", "pdp", "--feature", "a");
        BadInputTests.AssertOneErrorLine(code, error, folder.Path, "is a folder");
        Assert.DoesNotContain("permission denied", error);
    }

    [Fact]
    public void TerminalEscapeCodesFromAHeader_AreNotPrinted()
    {
        using var folder = new TempFolder();
        var data = folder.File("esc.csv", "a,b,\u001b[31mRED\u0007,d\n1,2,x,4\n");
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "pdp", "--feature", "a");
        BadInputTests.AssertOneErrorLine(code, error, "esc.csv", "\\u001B[31mRED\\u0007");
        Assert.DoesNotContain(error.TrimEnd('\n', '\r'), ch => char.IsControl(ch));
    }

    [Fact]
    public void ANonIntegerSamples_SaysWholeNumber_NotADotNetTypeName()
    {
        using var folder = new TempFolder();
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", folder.File("x.csv", Linear),
            "--method", "lime", "--samples", "1.5");
        BadInputTests.AssertOneErrorLine(code, error, "'1.5'", "whole number");
        Assert.DoesNotContain("System.", error);
    }

    [Fact]
    public void FloatMaxValueAsDotNetPrintsIt_IsAccepted_AndAValueBeyondIsStillRefused()
    {
        var table = CsvTableReader.Parse("a\n3.4028235E+38\n-3.4028235E+38\n", "max.csv");
        Assert.Equal(float.MaxValue, table[0, 0]);
        Assert.Equal(float.MinValue, table[1, 0]);
        var e = Assert.Throws<XaiException>(() => CsvTableReader.Parse("a\n3.5E+38\n", "big.csv"));
        Assert.Contains("overflows float32", e.Message);
    }

    [Fact]
    public void AModelReturningInfinity_IsReportedWithTheModelFileName()
    {
        using var folder = new TempFolder();
        // y = 1.5 a - 2 b + 0.25 c + 3 d + 0.5 overflows float32 at d = float.MaxValue.
        var data = folder.File("max.csv", "a,b,c,d\n1,2,3,3.4028235E+38\n");
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data,
            "--method", "pdp", "--feature", "a", "--grid", "0");
        BadInputTests.AssertOneErrorLine(code, error, "linear4.onnx: the model returned Infinity", "");
    }

    [Fact]
    public void AnUnknownMethod_ListsTheChoicesWithoutTabsAndSuggestsTheNearest()
    {
        using var folder = new TempFolder();
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", folder.File("x.csv", Linear), "--method", "shap");
        BadInputTests.AssertOneErrorLine(code, error, "did you mean exact-shap or kernel-shap or tree-shap?", "permutation-importance");
        Assert.DoesNotContain('\t', error);
        Assert.DoesNotContain("\\u0009", error);
    }

    [Fact]
    public void OneColumnTooManyForAModelWithoutNames_HintsAtLabel()
    {
        using var folder = new TempFolder();
        var digits = Datasets.Digits();
        var text = new StringBuilder(string.Join(',', digits.Features.FeatureNames) + ",digit\n");
        for (int r = 0; r < 3; r++)
            text.Append(string.Join(',', digits.Features.Row(r).ToArray().Select(v => v.ToString(CultureInfo.InvariantCulture)))).Append(',').Append(digits.Labels[r]).Append('\n');
        var data = folder.File("digits65.csv", text.ToString());
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("digits_cnn.onnx"), "--data", data, "--method", "occlusion");
        BadInputTests.AssertOneErrorLine(code, error, "65 feature columns but the model takes 64", "--label");
    }

    [Fact]
    public void ExplainPicksRows()
    {
        using var folder = new TempFolder();
        var data = folder.File("r.csv", "a,b,c,d\n1,2,3,4\n0,0,0,0\n5,5,5,5\n7,1,1,1\n");
        var json = folder.File("out.json");
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--rows", "0,2-3",
            "--method", "pdp", "--feature", "a", "--grid", "0", "--ice", "--json", json);
        Assert.True(code == 0, error);
        var ice = JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("ice").EnumerateArray().Select(r => r[0].GetDouble()).ToArray();
        // f with a = 0: -2 b + 0.25 c + 3 d + 0.5 for rows 0, 2 and 3.
        Assert.Equal([-4 + 0.75 + 12 + 0.5, -10 + 1.25 + 15 + 0.5, -2 + 0.25 + 3 + 0.5], ice);

        (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--rows", "1-9",
            "--method", "pdp", "--feature", "a");
        BadInputTests.AssertOneErrorLine(code, error, "--rows 1-9", "row 4 is outside the 4 rows of");
        Assert.Contains("r.csv", error);
    }

    [Fact]
    public void TheRootHelp_ListsTorchScriptModels()
    {
        var (_, output, _) = CliRunner.Run("--help");
        Assert.Contains(".pt", output.Split('\n')[1]);
    }

    [Theory]
    [InlineData]
    [InlineData("explain")]
    [InlineData("counterfactual")]
    [InlineData("inspect")]
    [InlineData("demo")]
    public void EveryHelp_FitsA100ColumnTerminal(params string[] command)
    {
        var (code, output, _) = CliRunner.Run([.. command, "--help"]);
        Assert.Equal(0, code);
        var lines = output.Split('\n');
        Assert.True(lines.Length > 5);
        Assert.All(lines, line => Assert.True(line.TrimEnd('\r').Length <= 100, $"{line.Length} columns: {line}"));
    }
}
