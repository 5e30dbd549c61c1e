using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OpenQA.Selenium;
using Xunit.Abstractions;

namespace Interactive.Xai.Kernel.Tests;

/// <summary>
/// #!xai-explain ... --cluster in the real kernel: two `xai worker` processes on free localhost ports, a notebook that
/// explains the same diabetes rows with mlp10.onnx in process and on the workers, and the checks that the cluster cell
/// drew the same charts from the same numbers (the cluster promises bit-identical exact SHAP values), that its progress
/// line appeared and ended at 100 %, that no Orleans assembly was loaded before the cluster cell (and some after it),
/// and that bad cluster input fails with one line. The notebook is written by the test (it needs the workers' ports),
/// so it is not in tests/kernel-notebooks, which every run executes without workers.
/// </summary>
[Collection(RealKernelCollection.Name)]
public partial class ClusterNotebookTests(RealKernel kernel, ITestOutputHelper output)
{
    private const int Rows = 40;

    [Fact]
    public void Explain_on_two_workers_draws_what_the_in_process_magic_draws_with_a_progress_line()
    {
        string xai = BuildCli();
        using var workers = WorkerProcesses.Start(2, xai, kernel);
        string folder = Path.Combine(kernel.Work, "cluster");
        Directory.CreateDirectory(folder);
        string model = Path.Combine(kernel.Root, "tests", "models", "mlp10.onnx");
        string data = Path.Combine(kernel.Root, "notebooks", "data", "diabetes.csv");
        string explain = $"#!xai-explain --model {model} --data {data} --label target --rows 0-{Rows - 1} --method exact-shap";
        int closed = WorkerProcesses.FreePort();
        const string CountOrleans = "AppDomain.CurrentDomain.GetAssemblies().Count(a => a.GetName().Name!.StartsWith(\"Orleans\") || a.GetName().Name!.StartsWith(\"Microsoft.Orleans\"))";
        string notebook = Notebook(folder, "cluster-explain.ipynb",
            ("#r \"nuget: Interactive.Xai\"", null),
            (explain, null),
            ($"\"orleans before: \" + {CountOrleans}", null),
            // the package does not bring Orleans (NotebookCluster.OrleansReferences): a notebook that uses a cluster adds it
            ("#r \"nuget: Microsoft.Orleans.Client, 10.4.2\"\n#r \"nuget: Microsoft.Orleans.Server, 10.4.2\"\n#r \"nuget: Microsoft.Orleans.Clustering.Redis, 10.4.2\"", null),
            (explain + $" --cluster {workers.Address}", null),
            ($"\"orleans after: \" + {CountOrleans}", null),
            (explain + " --cluster nope", "--cluster: 'nope' is not host:port"),
            (explain + $" --cluster localhost:{closed}", $"--cluster localhost:{closed}: no worker answered"),
            (explain.Replace("exact-shap", "tree-shap", StringComparison.Ordinal) + $" --cluster {workers.Address}", "run tree-shap without --cluster"));

        var (report, executed) = kernel.Execute(notebook, TimeSpan.FromMinutes(10));
        output.WriteLine($"cluster notebook: {report.GetProperty("seconds").GetDouble().ToString(CultureInfo.InvariantCulture)} s in the kernel");
        var problems = NotebookCheck.Problems(report);
        Assert.True(problems.Count == 0, "cluster notebook in the real kernel:\n" + string.Join("\n", problems) + "\n" + workers.Outputs());

        var cells = JsonNode.Parse(File.ReadAllText(executed))!["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code").ToList();
        var local = Html(cells[1]);
        var cluster = Html(cells[4]);
        Assert.Contains(Plain(cells[2]), t => t.Contains("orleans before: 0", StringComparison.Ordinal));
        Assert.Contains(Plain(cells[5]), t => Regex.IsMatch(t, @"orleans after: [1-9]"));

        // the same charts from the same numbers: every figure's JSON (data and layout) is the same text in both cells
        var localFigures = Figures(string.Concat(local));
        var clusterFigures = Figures(string.Concat(cluster));
        Assert.Equal(3, localFigures.Count); // importance bar, beeswarm, first row's waterfall
        Assert.Equal(localFigures, clusterFigures);

        // the progress line: shown while the job ran, left at its final state (every partition done, on both workers)
        var progress = cluster.Where(h => h.Contains("xai-progress", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(progress);
        output.WriteLine("progress line: " + WebUtility.HtmlDecode(Regex.Replace(line, "<[^>]+>", "")));
        Assert.Matches($@"cluster: (\d+) of \1 partitions on 2 workers, [\d,]+ rows/s: 100% \({Rows} of {Rows} rows\)", WebUtility.HtmlDecode(line));
        Assert.DoesNotContain(local, h => h.Contains("xai-progress", StringComparison.Ordinal) && h.Contains("cluster", StringComparison.Ordinal));

        // the rendered page draws every chart; a screenshot of the cluster cell's output for people to look at
        string html = kernel.RenderHtml(executed);
        using var browser = new PageCheck();
        var page = browser.Open(new Uri(html).AbsoluteUri, TimeSpan.FromSeconds(90));
        Assert.True(page.Problems.Count == 0, "cluster notebook rendered by nbconvert, in Chromium:\n" + string.Join("\n", page.Problems));
        Assert.Equal(page.Charts, page.Drawn);
        // (the code cells in notebook order: the fifth is the cluster cell; its long source line scrolls out of view,
        // so it is not found by its visible text)
        var cell = browser.Driver.FindElements(By.CssSelector(".jp-CodeCell, .code_cell"))[4];
        Assert.Contains("xai-progress", cell.GetAttribute("innerHTML"), StringComparison.Ordinal);
        browser.Driver.ExecuteScript("arguments[0].scrollIntoView(true);", cell);
        string png = Path.ChangeExtension(html, ".cluster-cell.png");
        ((ITakesScreenshot)cell).GetScreenshot().SaveAsFile(png);
        output.WriteLine($"{page.Drawn} of {page.Charts} charts drew; the cluster cell: {png}");
    }

    private static List<string> Html(JsonNode? cell) => Outputs(cell, "text/html");

    private static List<string> Plain(JsonNode? cell) => Outputs(cell, "text/plain");

    private static List<string> Outputs(JsonNode? cell, string mime) =>
        cell!["outputs"]!.AsArray().Select(o => o!["data"]?[mime]).Where(d => d is not null)
            .Select(d => d is JsonArray lines ? string.Concat(lines.Select(l => (string?)l)) : (string?)d ?? "").ToList();

    /// <summary>Every chart's figure JSON (the package writes <c>var f=FIGURE;var id=</c> per chart).</summary>
    private static List<string> Figures(string html) => [.. FigureScript().Matches(html).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"var f=(\{.*?\});var id=", RegexOptions.Singleline)]
    private static partial Regex FigureScript();

    /// <summary>Writes a .NET (C#) notebook of code cells (source, and the one-line error the cell must fail with, or null).</summary>
    private static string Notebook(string folder, string name, params (string Source, string? ExpectError)[] cells)
    {
        var array = new JsonArray();
        int index = 0;
        foreach (var (source, expectError) in cells)
        {
            var metadata = new JsonObject
            {
                ["dotnet_interactive"] = new JsonObject { ["language"] = "csharp" },
                ["polyglot_notebook"] = new JsonObject { ["kernelName"] = "csharp" },
            };
            if (expectError is not null) metadata["xai_expect_error"] = expectError;
            array.Add(new JsonObject
            {
                ["cell_type"] = "code", ["execution_count"] = null, ["id"] = "cell" + index++.ToString(CultureInfo.InvariantCulture),
                ["metadata"] = metadata, ["outputs"] = new JsonArray(), ["source"] = source,
            });
        }
        var notebook = new JsonObject
        {
            ["cells"] = array,
            ["metadata"] = new JsonObject
            {
                ["kernelspec"] = new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = RealKernel.KernelName },
                ["language_info"] = new JsonObject { ["file_extension"] = ".cs", ["mimetype"] = "text/x-csharp", ["name"] = "C#", ["pygments_lexer"] = "csharp", ["version"] = "13.0" },
            },
            ["nbformat"] = 4, ["nbformat_minor"] = 5,
        };
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, notebook.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    /// <summary>
    /// Builds the xai tool (Release, incrementally: packing the package has built the projects it shares) and returns
    /// its xai.dll, which the workers run as `dotnet xai.dll worker`.
    /// </summary>
    private string BuildCli()
    {
        var start = new ProcessStartInfo("dotnet", ["build", Path.Combine("src", "Interactive.Xai.Cli", "Interactive.Xai.Cli.csproj"), "-c", "Release", "-nologo", "-v", "q"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = kernel.Root,
        };
        kernel.Prepare(start);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(15))) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "dotnet build src/Interactive.Xai.Cli failed:\n" + stdout.Result + stderr.Result);
        string dll = Path.Combine(kernel.Root, "src", "Interactive.Xai.Cli", "bin", "Release", "net10.0", "xai.dll");
        Assert.True(File.Exists(dll), dll + " was not built");
        return dll;
    }
}

/// <summary>
/// `xai worker` processes on free localhost ports (the first the primary of localhost clustering). Disposing kills every
/// one; each also ends by itself when the test process ends (XAI_WORKER_PARENT_PID).
/// </summary>
internal sealed class WorkerProcesses : IDisposable
{
    private readonly List<(Process Process, StringBuilder Output, TaskCompletionSource Listening)> _workers = [];

    public List<int> GatewayPorts { get; } = [];

    /// <summary>The gateways, as --cluster takes them.</summary>
    public string Address => string.Join(',', GatewayPorts.Select(p => $"localhost:{p}"));

    public static WorkerProcesses Start(int count, string xai, RealKernel kernel)
    {
        var workers = new WorkerProcesses();
        try
        {
            int primary = FreePort();
            for (int i = 0; i < count; i++)
            {
                workers.Add(xai, i == 0 ? primary : FreePort(), i == 0 ? null : primary, kernel);
                // the primary first: the others join through it
                if (i == 0) workers.WaitUntilListening(0);
            }
            for (int i = 1; i < count; i++) workers.WaitUntilListening(i);
            return workers;
        }
        catch
        {
            workers.Dispose();
            throw;
        }
    }

    private void Add(string xai, int siloPort, int? primary, RealKernel kernel)
    {
        int gateway = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(xai);
        foreach (var a in new[] { "worker", "--port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", gateway.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        if (primary is { } p)
        {
            start.ArgumentList.Add("--primary");
            start.ArgumentList.Add($"localhost:{p}");
        }
        kernel.Prepare(start);
        start.Environment["XAI_WORKER_PARENT_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var process = Process.Start(start)!;
        var output = new StringBuilder();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Received(string? line)
        {
            if (line is null) return;
            lock (output) output.AppendLine(line);
            if (line.StartsWith("xai worker: listening", StringComparison.Ordinal)) listening.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => Received(e.Data);
        process.ErrorDataReceived += (_, e) => Received(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _workers.Add((process, output, listening));
        GatewayPorts.Add(gateway);
    }

    private void WaitUntilListening(int index)
    {
        var (process, output, listening) = _workers[index];
        var first = Task.WhenAny(listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(120))).GetAwaiter().GetResult();
        if (first != listening.Task)
            throw new InvalidOperationException($"xai worker {index} did not start ({(process.HasExited ? $"exit {process.ExitCode}" : "no listening line in 120 s")}):\n{output}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>What the workers printed, for a failed test's message.</summary>
    public string Outputs() => string.Join('\n', _workers.Select((w, i) => $"--- worker {i} ---\n{Locked(w.Output)}"));

    private static string Locked(StringBuilder output)
    {
        lock (output) return output.ToString();
    }

    public void Dispose()
    {
        foreach (var (process, _, _) in _workers)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
    }
}
