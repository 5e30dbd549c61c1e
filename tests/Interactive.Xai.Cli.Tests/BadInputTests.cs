namespace Interactive.Xai.Cli.Tests;

public class BadInputTests
{
    public static TheoryData<string, string, string> BadCsvFiles => new()
    {
        { "ragged.csv", "a,b,c,d\n1,2,3,4\n1,2,3\n", "row 2 (line 3)" },
        { "text.csv", "a,b,c,d\n1,2,x,4\n", "column 'c'" },
        { "empty-cell.csv", "a,b,c,d\n1,,3,4\n", "column 'b'" },
        { "nan.csv", "a,b,c,d\n1,2,NaN,4\n", "not a finite number" },
        { "infinity.csv", "a,b,c,d\n1,2,3,Infinity\n", "not a finite number" },
        { "overflow.csv", "a,b,c,d\n1,2,3,1e40\n", "overflows float32" },
        { "header-only.csv", "a,b,c,d\n", "no data rows" },
        { "empty.csv", "", "empty" },
        { "wrong-columns.csv", "a,b,c\n1,2,3\n", "3 feature columns but the model takes 4" },
    };

    [Theory]
    [MemberData(nameof(BadCsvFiles))]
    public void BadData_GivesOneErrorLineNamingTheFileAndNoOutput(string name, string content, string expected)
    {
        using var folder = new TempFolder();
        var data = folder.File(name, content);
        var json = folder.File("result.json");
        var (code, output, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "exact-shap", "--json", json);
        AssertOneErrorLine(code, error, name, expected);
        Assert.False(File.Exists(json));
        Assert.Equal(["" + name], folder.Files());
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbage")]
    [InlineData("empty")]
    public void CorruptModelFiles_GiveOneErrorLineNamingTheModel(string kind)
    {
        using var folder = new TempFolder();
        var original = File.ReadAllBytes(CliRunner.ModelPath("mlp10.onnx"));
        byte[] bytes = kind switch
        {
            "truncated" => original[..(original.Length / 2)],
            "garbage" => Enumerable.Range(0, 500).Select(i => (byte)(i * 37)).ToArray(),
            _ => [],
        };
        var model = folder.File("broken.onnx");
        File.WriteAllBytes(model, bytes);
        var data = folder.File("x.csv", "a,b\n1,2\n");
        var (code, _, error) = CliRunner.Run("explain", "--model", model, "--data", data, "--method", "pdp", "--feature", "a");
        AssertOneErrorLine(code, error, "broken.onnx", "");
    }

    [Fact]
    public void CorruptMLNetZip_GivesOneErrorLineNamingTheModel()
    {
        using var folder = new TempFolder();
        var model = folder.File("broken.zip", "this is not a zip file");
        var data = folder.File("x.csv", "a,b\n1,2\n");
        var (code, _, error) = CliRunner.Run("explain", "--model", model, "--data", data, "--method", "pdp", "--feature", "a");
        AssertOneErrorLine(code, error, "broken.zip", "");
    }

    [Theory]
    [InlineData("--method", "magic", "magic")]
    [InlineData("--colour", "red", "--colour")]
    [InlineData("--metric", "f1", "f1")]
    public void UnknownMethodsAndOptions_GiveOneErrorLine(string option, string value, string expected)
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", "a,b,c,d\n1,2,3,4\n");
        var args = new List<string> { "explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data };
        if (option != "--method") args.AddRange(["--method", "exact-shap"]);
        args.AddRange([option, value]);
        var (code, _, error) = CliRunner.Run([.. args]);
        AssertOneErrorLine(code, error, expected, "");
    }

    [Fact]
    public void MissingFeatureAndLabels_AreOneLineErrors()
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", "a,b,c,d\n1,2,3,4\n2,3,4,5\n");
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "ale");
        AssertOneErrorLine(code, error, "--feature", "");
        (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "permutation-importance");
        AssertOneErrorLine(code, error, "labels", "");
        (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "pdp", "--feature", "zzz");
        AssertOneErrorLine(code, error, "'zzz'", "");
    }

    [Fact]
    public void UnwritableOutput_IsAnErrorAndLeavesNothingBehind()
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", "a,b,c,d\n1,2,3,4\n");
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "exact-shap",
            "--json", Path.Combine(folder.Path, "no-such-folder", "out.json"));
        AssertOneErrorLine(code, error, "out.json", "");
        Assert.Equal(["x.csv"], folder.Files());
    }

    [Fact]
    public void Help_ListsTheCommandsAndExamples()
    {
        var (code, output, _) = CliRunner.Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("explain", output);
        Assert.Contains("demo", output);
        Assert.Contains("xai explain --model", output);
    }

    internal static void AssertOneErrorLine(int code, string error, string mentions, string alsoMentions)
    {
        Assert.NotEqual(0, code);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got: {error}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(mentions, lines[0]);
        Assert.Contains(alsoMentions, lines[0]);
        Assert.DoesNotContain("   at ", error);
    }
}
