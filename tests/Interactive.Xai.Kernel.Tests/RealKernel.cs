using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Interactive.Xai.TestSupport;

namespace Interactive.Xai.Kernel.Tests;

/// <summary>
/// The kernel users run, set up once for all real-kernel tests (an xunit collection fixture): Debian's Jupyter tools
/// and Chromium (installed with apt-get when missing and running as root), the dotnet-interactive tool pinned in
/// .config/dotnet-tools.json (<c>dotnet tool restore</c>), its Jupyter kernelspec installed into a private folder (never
/// the user's home), and src/Interactive.Xai packed fresh with a version of its own, so that NuGet's package cache can
/// never serve an older build. Outputs (executed notebooks, their HTML, the package) land in
/// TestResults/Interactive.Xai.Kernel.Tests/run-*/ as CI artifacts.
/// </summary>
public sealed class RealKernel : IDisposable
{
    public const string Python = "/usr/bin/python3";
    public const string KernelName = ".net-csharp";

    public RealKernel()
    {
        Root = RepositoryRoot();
        var clock = Stopwatch.StartNew();
        Prerequisites.Require("Debian's Jupyter tools (nbconvert, nbclient, jupyter-client)",
            () => File.Exists(Python) && Prerequisites.Run(Python, "-c \"import nbconvert, nbclient, jupyter_client\"") is null,
            "python3-nbconvert", "python3-nbclient", "jupyter-client");
        Prerequisites.Require("Debian's jupyter-notebook", () => File.Exists("/usr/bin/jupyter-notebook"), "jupyter-notebook");
        Prerequisites.RequireChromium();

        string stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        Work = Path.Combine(Root, "TestResults", "Interactive.Xai.Kernel.Tests", "run-" + stamp);
        Directory.CreateDirectory(Work);
        Jupyter = Path.Combine(Work, "jupyter");
        Directory.CreateDirectory(Path.Combine(Jupyter, "kernels"));

        Check(Run("dotnet", "tool restore", Root), "dotnet tool restore (the kernel tool in .config/dotnet-tools.json)");
        Check(Run("dotnet", $"tool run dotnet-interactive -- jupyter install --path \"{Path.Combine(Jupyter, "kernels")}\"", Root),
            "dotnet interactive jupyter install");
        if (!File.Exists(Path.Combine(Jupyter, "kernels", KernelName, "kernel.json")))
            throw new InvalidOperationException($"dotnet interactive jupyter install wrote no {KernelName} kernelspec under {Jupyter}");

        Version = "0.1.0-kerneltest." + stamp;
        PackageFolder = Path.Combine(Work, "packages");
        Check(Run("dotnet", $"pack src/Interactive.Xai -c Release -o \"{PackageFolder}\" -p:Version={Version}", Root, TimeSpan.FromMinutes(15)),
            "dotnet pack src/Interactive.Xai");
        SetupSeconds = clock.Elapsed.TotalSeconds;
    }

    /// <summary>The repository root (the folder holding Interactive.Xai.sln).</summary>
    public string Root { get; }

    /// <summary>This run's output folder, under TestResults (inside the repository, so the local tool manifest applies).</summary>
    public string Work { get; }

    /// <summary>JUPYTER_PATH / JUPYTER_DATA_DIR: holds the kernelspecs.</summary>
    public string Jupyter { get; }

    /// <summary>The folder holding the freshly packed Interactive.Xai package.</summary>
    public string PackageFolder { get; }

    /// <summary>Its unique version.</summary>
    public string Version { get; }

    /// <summary>Seconds the set-up took (tool restore, kernelspec, pack).</summary>
    public double SetupSeconds { get; }

    /// <summary>Runs <paramref name="notebook"/> in the real kernel; returns the report and the executed notebook's path.</summary>
    public (JsonElement Report, string Executed) Execute(string notebook, TimeSpan timeout)
    {
        string name = Path.GetFileNameWithoutExtension(notebook);
        string executed = Path.Combine(Work, name + ".ipynb");
        string runner = Path.Combine(AppContext.BaseDirectory, "run_notebook.py");
        var failure = Run(Python, $"\"{runner}\" \"{notebook}\" \"{executed}\" \"{PackageFolder}\" {Version} {KernelName} {(int)timeout.TotalSeconds}",
            Root, timeout + TimeSpan.FromMinutes(2));
        if (!File.Exists(executed + ".json"))
            throw new InvalidOperationException($"{name}: the notebook runner wrote no report ({failure ?? "no error"})");
        using var report = JsonDocument.Parse(File.ReadAllText(executed + ".json"));
        return (report.RootElement.Clone(), executed);
    }

    /// <summary>nbconvert --to html of an executed notebook; returns the HTML file.</summary>
    public string RenderHtml(string executed)
    {
        string folder = Path.Combine(Work, "html");
        Check(Run(Python, $"-m nbconvert --to html --output-dir \"{folder}\" \"{executed}\"", Root), "nbconvert --to html");
        return Path.Combine(folder, Path.GetFileNameWithoutExtension(executed) + ".html");
    }

    /// <summary>
    /// A copy of <paramref name="notebook"/> whose <c>#r "nuget: Interactive.Xai"</c> points at the packed package, written
    /// to <paramref name="folder"/> (for the notebook server, which runs what the page holds).
    /// </summary>
    public string PointedCopy(string notebook, string folder)
    {
        Directory.CreateDirectory(folder);
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(notebook))!;
        bool pointed = false;
        foreach (var cell in node["cells"]!.AsArray())
        {
            if (pointed || (string?)cell!["cell_type"] != "code") continue;
            var source = cell["source"]!.AsArray().Select(s => (string)s!).ToList();
            int at = source.FindIndex(l => l.TrimStart().StartsWith("#r \"nuget: Interactive.Xai", StringComparison.Ordinal));
            if (at < 0) continue;
            source[at] = $"#i \"nuget: {PackageFolder}\"\n#r \"nuget: Interactive.Xai, {Version}\"" + (source[at].EndsWith('\n') ? "\n" : "");
            cell["source"] = new System.Text.Json.Nodes.JsonArray(source.Select(s => (System.Text.Json.Nodes.JsonNode?)s).ToArray());
            pointed = true;
        }
        if (!pointed) throw new InvalidOperationException($"{notebook} has no #r \"nuget: Interactive.Xai\" line");
        string copy = Path.Combine(folder, Path.GetFileName(notebook));
        File.WriteAllText(copy, node.ToJsonString());
        return copy;
    }

    /// <summary>The environment every child process gets: private Jupyter folders, no MSBuild state of the test host.</summary>
    public void Prepare(ProcessStartInfo start)
    {
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
                                                               || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["JUPYTER_PATH"] = Jupyter;
        start.Environment["JUPYTER_DATA_DIR"] = Jupyter;
        start.Environment["JUPYTER_CONFIG_DIR"] = Path.Combine(Jupyter, "config");
        start.Environment["JUPYTER_RUNTIME_DIR"] = Path.Combine(Jupyter, "runtime");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
    }

    private string? Run(string program, string arguments, string workingDirectory, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory,
        };
        if (Jupyter is not null) Prepare(start);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            return $"timed out after {(timeout ?? TimeSpan.FromMinutes(10)).TotalMinutes:F0} min";
        }
        process.WaitForExit();
        if (process.ExitCode == 0) return null;
        var lines = (stdout.Result + "\n" + stderr.Result).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var error = lines.LastOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? lines.LastOrDefault() ?? "";
        return $"exit code {process.ExitCode}: {error}";
    }

    private static void Check(string? failure, string what)
    {
        if (failure is not null) throw new InvalidOperationException($"{what} failed: {failure}");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Interactive.Xai.sln"))) return dir.FullName;
        throw new InvalidOperationException("Interactive.Xai.sln not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        // The uniquely versioned package NuGet extracted for the kernel is of no further use.
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                       ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        try { Directory.Delete(Path.Combine(cache, "interactive.xai", Version.ToLowerInvariant()), recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class RealKernelCollection : ICollectionFixture<RealKernel>
{
    public const string Name = "real kernel";
}
