using System.Diagnostics;
using System.Text.Json;

namespace Interactive.Xai.Cli.Tests;

/// <summary>Issue 13.2: output files are checked before any work and written all together or not at all.</summary>
public class OutputFilesTests
{
    private const string Linear = "a,b,c,d\n1,2,3,4\n0,1,0,1\n";

    private static string[] Explain(string data, params string[] outputs)
        => ["explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "pdp", "--feature", "c", "--grid", "0,1", .. outputs];

    [Fact]
    public void AFolderAsHtml_IsRefusedBeforeTheJsonFileIsTouched()
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", Linear);
        var json = folder.File("pre.json", "previous");
        var dir = Path.Combine(folder.Path, "adir");
        Directory.CreateDirectory(dir);
        var (code, output, error) = CliRunner.Run(Explain(data, "--json", json, "--html", dir));
        BadInputTests.AssertOneErrorLine(code, error, "--html", "is a folder");
        Assert.Equal("previous", File.ReadAllText(json));
        Assert.Equal(["pre.json", "x.csv"], folder.Files().Order());
        Assert.Equal("", output);
    }

    [Fact]
    public void AFolderAsJson_NamesTheJsonOption()
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", Linear);
        var dir = Path.Combine(folder.Path, "adir");
        Directory.CreateDirectory(dir);
        var (code, _, error) = CliRunner.Run(Explain(data, "--json", dir, "--html", folder.File("pre.html")));
        BadInputTests.AssertOneErrorLine(code, error, "--json", "is a folder");
        Assert.DoesNotContain("--html", error);
        Assert.False(File.Exists(Path.Combine(folder.Path, "pre.html")));
    }

    [Fact]
    public void TheSameFileForJsonAndHtml_IsRefused()
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", Linear);
        var json = folder.File("pre.json", "previous");
        var (code, _, error) = CliRunner.Run(Explain(data, "--json", json, "--html", Path.Combine(folder.Path, ".", "pre.json")));
        BadInputTests.AssertOneErrorLine(code, error, "same file", "--html");
        Assert.Equal("previous", File.ReadAllText(json));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheSameFileThroughALinkedFolder_IsRefused(bool exists)
    {
        // b is a symbolic link to the folder a: a/x.json and b/x.json are one file whether or not it exists yet.
        using var folder = new TempFolder();
        var data = folder.File("x.csv", Linear);
        var a = Path.Combine(folder.Path, "a");
        Directory.CreateDirectory(a);
        Directory.CreateSymbolicLink(Path.Combine(folder.Path, "b"), a);
        if (exists) File.WriteAllText(Path.Combine(a, "x.json"), "previous");
        var (code, output, error) = CliRunner.Run(Explain(data, "--json", Path.Combine(a, "x.json"), "--html", Path.Combine(folder.Path, "b", "x.json")));
        BadInputTests.AssertOneErrorLine(code, error, "same file", "--html");
        Assert.Contains("--json", error);
        Assert.Equal("", output);
        Assert.Equal(exists ? ["x.json"] : [], Directory.GetFiles(a).Select(Path.GetFileName).ToArray());
        if (exists) Assert.Equal("previous", File.ReadAllText(Path.Combine(a, "x.json")));
    }

    [Fact]
    public void TwoHardLinksToOneFile_AreRefused()
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", Linear);
        var first = folder.File("first.json", "previous");
        var second = Path.Combine(folder.Path, "second.json");
        using (var ln = Process.Start("ln", [first, second])) ln.WaitForExit();
        Assert.True(File.Exists(second));
        var (code, _, error) = CliRunner.Run(Explain(data, "--json", first, "--html", second));
        BadInputTests.AssertOneErrorLine(code, error, "same file", "--html");
        Assert.Equal("previous", File.ReadAllText(first));
        Assert.Equal(["first.json", "second.json", "x.csv"], folder.Files().Order());
    }

    [Fact]
    public void TwoFilesOfTheSameNameInDifferentFolders_AreBothWritten()
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", Linear);
        var a = Directory.CreateDirectory(Path.Combine(folder.Path, "a")).FullName;
        var b = Directory.CreateDirectory(Path.Combine(folder.Path, "b")).FullName;
        var (code, _, error) = CliRunner.Run(Explain(data, "--json", Path.Combine(a, "x.json"), "--html", Path.Combine(b, "x.json")));
        Assert.True(code == 0, error);
        Assert.Equal("pdp", JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "x.json"))).RootElement.GetProperty("method").GetString());
        Assert.Contains("<html", File.ReadAllText(Path.Combine(b, "x.json")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ASymbolicLink_IsWrittenThroughToItsTarget()
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", Linear);
        var real = folder.File("real.json", "previous");
        var link = Path.Combine(folder.Path, "link.json");
        File.CreateSymbolicLink(link, real);
        var (code, _, error) = CliRunner.Run(Explain(data, "--json", link));
        Assert.True(code == 0, error);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal("pdp", JsonDocument.Parse(File.ReadAllText(real)).RootElement.GetProperty("method").GetString());
        Assert.Equal(["link.json", "real.json", "x.csv"], folder.Files().Order());
    }

    [Fact]
    public void AFifo_IsRefusedAndLeftAlone()
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", Linear);
        var fifo = Path.Combine(folder.Path, "pipe");
        using (var mkfifo = Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        var (code, _, error) = CliRunner.Run(Explain(data, "--json", fifo));
        BadInputTests.AssertOneErrorLine(code, error, "--json", "FIFO");
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%F", fifo]) { RedirectStandardOutput = true })!;
        Assert.Equal("fifo", stat.StandardOutput.ReadToEnd().Trim());
    }

    [Fact]
    public void AMissingOutputFolder_IsReportedBeforeTheModelIsEvenLoaded()
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", Linear);
        var missing = Path.Combine(folder.Path, "no-such-folder", "out.json");
        var (code, _, error) = CliRunner.Run("explain", "--model", Path.Combine(folder.Path, "absent.onnx"), "--data", data,
            "--method", "exact-shap", "--json", missing);
        BadInputTests.AssertOneErrorLine(code, error, "--json", "no-such-folder");
        Assert.Contains("does not exist", error);
    }

    [Theory]
    [InlineData("--json")]
    [InlineData("--html")]
    public void AnEmptyOutputPath_IsOneClearError(string option)
    {
        using var folder = new TempFolder();
        var data = folder.File("x.csv", Linear);
        var (code, _, error) = CliRunner.Run(Explain(data, option, ""));
        BadInputTests.AssertOneErrorLine(code, error, option, "empty");
        Assert.DoesNotContain("internal error", error);
    }

    [Fact]
    public void Sigint_DuringARun_LeavesNoTemporaryFileAndNoOutput()
    {
        using var folder = new TempFolder();
        var rows = string.Join('\n', Enumerable.Range(0, 400).Select(i => $"{i % 7},{i % 5},{i % 3},{i % 11}"));
        var data = folder.File("x.csv", "a,b,c,d\n" + rows + "\n");
        var json = Path.Combine(folder.Path, "pre.json");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "xai.dll"));
        foreach (var a in new[] { "explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "lime",
                     "--samples", "1000000", "--json", json }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        // The temporary file is reserved before the computation starts; wait for it.
        var watch = Stopwatch.StartNew();
        while (!folder.Files().Any(f => f.EndsWith(".tmp", StringComparison.Ordinal)))
        {
            if (process.HasExited) Assert.Fail("xai ended before reserving its output: " + error.Result + output.Result);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "no temporary output file appeared");
            Thread.Sleep(20);
        }
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        bool stopped = process.WaitForExit(60_000);
        if (!stopped) process.Kill();
        Assert.True(stopped, "xai did not stop on SIGINT");
        Assert.NotEqual(0, process.ExitCode);
        Assert.Equal(["x.csv"], folder.Files());
    }
}
