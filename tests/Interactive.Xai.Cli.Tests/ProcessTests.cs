using System.Diagnostics;

namespace Interactive.Xai.Cli.Tests;

/// <summary>The real executable, as a user's shell runs it: exit codes and standard error.</summary>
public class ProcessTests
{
    internal static (int Code, string Output, string Error) RunXai(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "xai.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(120_000), "xai did not finish in 2 minutes");
        return (process.ExitCode, output.Result, error.Result);
    }

    [Fact]
    public void BadCsv_ExitsNonZeroWithOneErrorLineAndNoStackTrace()
    {
        using var folder = new TempFolder();
        var data = folder.File("bad.csv", "a,b,c,d\n1,2,oops,4\n");
        var (code, output, error) = RunXai("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "exact-shap");
        BadInputTests.AssertOneErrorLine(code, error, "bad.csv", "'oops' is not a number");
        Assert.Equal("", output);
    }

    [Fact]
    public void GoodInput_ExitsZeroAndPrintsJson()
    {
        using var folder = new TempFolder();
        var data = folder.File("good.csv", "a,b,c,d\r\n1,2,3,4\r\n0,1,0,1");
        var (code, output, error) = RunXai("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "pdp", "--feature", "c", "--grid", "0,1", "--json", "-");
        Assert.True(code == 0, error);
        Assert.Contains("\"method\": \"pdp\"", output);
    }
}
