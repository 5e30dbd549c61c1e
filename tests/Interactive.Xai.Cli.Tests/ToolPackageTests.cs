using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Interactive.Xai.Torch;
using Xunit.Abstractions;

namespace Interactive.Xai.Cli.Tests;

/// <summary>
/// The README's "Install the tool" steps, as a user runs them: pack the tool, install it from the local package folder
/// (the configured registry is the only other source), run it on an ONNX and an ML.NET model, see the one-line advice
/// for a .pt model without libtorch, run the advised `xai setup torch` and then the .pt model. Slow (a Release pack and
/// a tool install: a few minutes on a busy machine); one test.
/// </summary>
public class ToolPackageTests(ITestOutputHelper log)
{
    /// <summary>NuGet.org refuses packages over 250 MB; counted here as 250,000,000 bytes (the stricter reading).</summary>
    public const long MaxPackageBytes = 250_000_000;

    [Fact]
    public void TheToolPackageFitsNuGetInstallsAndRunsAndPtModelsNeedOneDocumentedStep()
    {
        using var folder = new TempFolder();
        var repository = RepositoryRoot();
        var packages = Path.Combine(folder.Path, "nupkg");
        var tools = Path.Combine(folder.Path, "tools");

        // The README's commands.
        Run("dotnet", ["pack", Path.Combine(repository, "src", "Interactive.Xai.Cli"), "-c", "Release", "-o", packages, "--nologo"], TimeSpan.FromMinutes(20));
        // Three packages (issue 15): the one users name, which only points to the other two; a linux-x64 one with
        // ReadyToRun code (fewer methods to JIT in every call) and only linux-x64's native libraries; and a portable one
        // ("any") for every other platform.
        var found = Directory.GetFiles(packages, "Interactive.Xai.Cli.*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        string version = typeof(CliApp).Assembly.GetName().Version!.ToString(3);
        Assert.Equal([$"Interactive.Xai.Cli.{version}.nupkg", $"Interactive.Xai.Cli.any.{version}.nupkg", $"Interactive.Xai.Cli.linux-x64.{version}.nupkg"], found);
        foreach (var name in found)
        {
            long packageBytes = new FileInfo(Path.Combine(packages, name!)).Length;
            log.WriteLine($"package {name}: {packageBytes:N0} bytes ({packageBytes / 1e6:F1} MB)");
            Assert.True(packageBytes < MaxPackageBytes, $"the tool package {name} is {packageBytes:N0} bytes, over {MaxPackageBytes:N0}");
        }
        foreach (var (rid, nativeFolder) in new[] { ("linux-x64", "tools/net10.0/linux-x64/"), ("any", "/runtimes/linux-x64/native/") })
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(packages, $"Interactive.Xai.Cli.{rid}.{version}.nupkg"));
            Assert.DoesNotContain(zip.Entries, e => e.Name == "libtorch_cpu.so" || e.Name == "libtorch.so");
            Assert.DoesNotContain(zip.Entries, e => e.FullName.Contains("/runtimes/android/") || e.FullName.Contains("/runtimes/ios/"));
            Assert.Contains(zip.Entries, e => e.FullName.EndsWith(nativeFolder + "libonnxruntime.so", StringComparison.Ordinal));
            Assert.Contains(zip.Entries, e => e.FullName.EndsWith(nativeFolder + "libLibTorchSharp.so", StringComparison.Ordinal));
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("/xai.dll", StringComparison.Ordinal));
            Assert.True(IsReadyToRun(entry) == (rid == "linux-x64"), $"{rid} package: xai.dll ReadyToRun is {IsReadyToRun(entry)}");
        }

        // A NuGet packages folder of its own (a precaution: no copy of an earlier package of the same version can be used).
        var install = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Path.Combine(folder.Path, "nuget-packages") };
        Run("dotnet", ["tool", "install", "Interactive.Xai.Cli", "--tool-path", tools, "--add-source", packages], TimeSpan.FromMinutes(10), install);
        long installedBytes = Directory.EnumerateFiles(tools, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        log.WriteLine($"installed into {tools}: {installedBytes:N0} bytes ({installedBytes / 1e6:F1} MB)");
        var xai = Path.Combine(tools, "xai");
        Assert.True(File.Exists(xai), "no xai command in the tool path");
        var installedDll = Assert.Single(Directory.GetFiles(tools, "xai.dll", SearchOption.AllDirectories));
        Assert.Contains("interactive.xai.cli.linux-x64", installedDll, StringComparison.Ordinal);
        using (var stream = File.OpenRead(installedDll)) Assert.True(IsReadyToRun(stream), $"{installedDll} has no ReadyToRun code");

        // The user's data folder and NuGet state as on a fresh machine for the .pt part: no recorded libtorch, no XAI_LIBTORCH.
        // NuGet's download cache stays the user's (no second download of a package the registry served before).
        var httpCache = Environment.GetEnvironmentVariable("NUGET_HTTP_CACHE_PATH") is { Length: > 0 } set ? set
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "NuGet", "http-cache");
        var fresh = new Dictionary<string, string?>
        {
            ["XDG_DATA_HOME"] = Path.Combine(folder.Path, "data"), [TorchNative.LibTorchVariable] = null,
            ["NUGET_PACKAGES"] = Path.Combine(folder.Path, "user-nuget-packages"), ["NUGET_HTTP_CACHE_PATH"] = httpCache,
        };

        var help = Run(xai, ["--help"], TimeSpan.FromMinutes(2), fresh);
        Assert.Contains("xai setup torch", help.Output);
        foreach (var request in CliApp.HelpRequests())
        {
            var page = Run(xai, request, TimeSpan.FromMinutes(2), fresh);
            Assert.Contains("Usage:", page.Output);
            HelpWidthTests.AssertFits(string.Join(' ', request) + " (installed)", page.Output);
        }

        var data = folder.File("diabetes.csv", DiabetesCsv(15));
        var onnxJson = folder.File("onnx.json");
        Run(xai, ["explain", "--model", CliRunner.ModelPath("diabetes_mlp.onnx"), "--data", data, "--method", "exact-shap", "--json", onnxJson], TimeSpan.FromMinutes(2), fresh);
        var expected = folder.File("in-process.json");
        var inProcess = CliRunner.Run("explain", "--model", CliRunner.ModelPath("diabetes_mlp.onnx"), "--data", data, "--method", "exact-shap", "--json", expected);
        Assert.True(inProcess.ExitCode == 0, inProcess.Error);
        AssertClose(Values(expected), Values(onnxJson), 1e-9);

        // The README's example (ML.NET), run from the repository root as the README says.
        var shapHtml = Path.Combine(folder.Path, "shap.html");
        var readme = Run(xai, ["explain", "--model", "tests/models/diabetes_fasttree.zip", "--data", "notebooks/data/diabetes.csv", "--label", "target",
            "--rows", "0-9", "--method", "exact-shap", "--html", shapHtml], TimeSpan.FromMinutes(3), fresh, workingDirectory: repository);
        Assert.Contains("shap.html", readme.Output);
        Assert.True(new FileInfo(shapHtml).Length > 100_000);

        // The demo runs without libtorch and says it left the network out.
        var demo = Run(xai, ["demo", "--rows", "5", "--out", Path.Combine(folder.Path, "demo.html")], TimeSpan.FromMinutes(5), fresh);
        Assert.Contains("neural-network part left out: TorchSharp's native libtorch is missing", demo.Output);

        // A .pt model without libtorch: one line saying what to do, exit 1, nothing written.
        var ptJson = Path.Combine(folder.Path, "pt.json");
        string[] ptArgs = ["explain", "--model", CliRunner.ModelPath("diabetes_mlp.pt"), "--input-shape", "10", "--data", data, "--method", "exact-shap", "--json", ptJson];
        var missing = Run(xai, ptArgs, TimeSpan.FromMinutes(2), fresh, expectSuccess: false);
        Assert.Equal(1, missing.Code);
        var line = Assert.Single(missing.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: TorchSharp's native libtorch is missing", line);
        Assert.Contains("run `xai setup torch` once", line);
        Assert.Contains(TorchNative.LibTorchVariable, line);
        Assert.False(File.Exists(ptJson));

        // The documented step: restores libtorch through the configured registry (or finds it in the NuGet folder).
        var setup = Run(xai, ["setup", "torch"], TimeSpan.FromMinutes(15), fresh);
        Assert.Contains("TorchScript (.pt) models work", setup.Output);
        var recorded = File.ReadAllText(Path.Combine(folder.Path, "data", "interactive-xai", $"libtorch-{TorchNative.LibTorchVersion}.path")).Trim();
        Assert.True(File.Exists(Path.Combine(recorded, "libtorch.so")), recorded);

        // Now the .pt model works, and it is the same network as the .onnx file.
        Run(xai, ptArgs, TimeSpan.FromMinutes(2), fresh);
        AssertClose(Values(onnxJson), Values(ptJson), 1e-4);
        var inspect = Run(xai, ["inspect", "--model", "tests/models/digits_cnn.pt", "--input-shape", "1,8,8"], TimeSpan.FromMinutes(2), fresh, workingDirectory: repository);
        Assert.Contains("parameters", inspect.Output);

        // Or, with no setup record, XAI_LIBTORCH naming the folder.
        var viaVariable = new Dictionary<string, string?>(fresh) { ["XDG_DATA_HOME"] = Path.Combine(folder.Path, "data2"), [TorchNative.LibTorchVariable] = recorded };
        File.Delete(ptJson);
        Run(xai, ptArgs, TimeSpan.FromMinutes(2), viaVariable);
        AssertClose(Values(onnxJson), Values(ptJson), 1e-4);
        var wrong = new Dictionary<string, string?>(viaVariable) { [TorchNative.LibTorchVariable] = folder.Path };
        var bad = Run(xai, ptArgs, TimeSpan.FromMinutes(2), wrong, expectSuccess: false);
        Assert.Equal(1, bad.Code);
        Assert.StartsWith($"error: {TorchNative.LibTorchVariable}={folder.Path}: no libtorch.so there", Assert.Single(bad.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    private static bool IsReadyToRun(System.IO.Compression.ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return IsReadyToRun(copy);
    }

    /// <summary>True when the assembly carries ReadyToRun (precompiled) code: its CLR header names a ManagedNativeHeader.</summary>
    private static bool IsReadyToRun(Stream assembly)
    {
        using var reader = new System.Reflection.PortableExecutable.PEReader(assembly, System.Reflection.PortableExecutable.PEStreamOptions.LeaveOpen);
        return reader.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
    }

    [Fact]
    public void TheLibTorchVersionTheToolRestoresIsTheOneTorchSharpIsBuiltFor()
    {
        TorchRuntime.EnsureAvailable();
        Assert.Equal(Version.Parse(TorchNative.LibTorchVersion + ".0"), Version.Parse(TorchSharp.torch.__version__));
        var props = File.ReadAllText(Path.Combine(RepositoryRoot(), "Directory.Packages.props"));
        Assert.Contains($"<PackageVersion Include=\"{TorchNative.LibTorchPackageId}\" Version=\"{TorchNative.LibTorchVersion}\" />", props);
    }

    private static double[] Values(string jsonPath)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(jsonPath));
        var result = new List<double>();
        void Walk(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Array) foreach (var item in e.EnumerateArray()) Walk(item);
            else result.Add(e.GetDouble());
        }
        Walk(document.RootElement.GetProperty("values"));
        return [.. result];
    }

    private static void AssertClose(double[] expected, double[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.NotEmpty(expected);
        double scale = Math.Max(1e-12, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale, $"value {i}: expected {expected[i]}, got {actual[i]}");
    }

    private static string DiabetesCsv(int rows)
    {
        var table = Datasets.Diabetes().Features;
        var text = new StringBuilder(string.Join(',', table.FeatureNames)).Append('\n');
        for (int r = 0; r < rows; r++)
            text.Append(string.Join(',', table.Row(r).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        return text.ToString();
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Interactive.Xai.sln"))) return directory.FullName;
        throw new InvalidOperationException("the repository root (Interactive.Xai.sln) was not found above " + AppContext.BaseDirectory);
    }

    private (int Code, string Output, string Error) Run(string file, string[] args, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null, bool expectSuccess = true, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var a in args) start.ArgumentList.Add(a);
        // The test host's MSBuild variables must not leak into the dotnet commands started here.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
            if (value is null) start.Environment.Remove(key);
            else start.Environment[key] = value;
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish in {timeout}");
        }
        log.WriteLine($"{Path.GetFileName(file)} {string.Join(' ', args)}: exit {process.ExitCode} in {watch.Elapsed.TotalSeconds:F1} s");
        if (expectSuccess)
            Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed ({process.ExitCode}):\n{output.Result}\n{error.Result}");
        return (process.ExitCode, output.Result, error.Result);
    }
}
