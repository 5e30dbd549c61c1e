using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.Loader;
using Interactive.Xai.Cluster;
using Interactive.Xai.Hosting;
using Interactive.Xai.Notebook;
using Microsoft.Extensions.Hosting;

namespace Interactive.Xai.Tests;

/// <summary>
/// #!xai-explain ... --cluster: its option, its one-line errors (the command line's), its progress line, and (on a
/// worker silo hosted in this process) results identical to the in-process run. The real-kernel test with worker
/// processes is tests/Interactive.Xai.Kernel.Tests/ClusterNotebookTests.cs.
/// </summary>
public class ClusterMagicCommandTests
{
    private static string Mlp10 => Fixtures.ModelPath("mlp10.onnx");

    private static Dictionary<string, object?> Diabetes() => new() { ["diabetes"] = Datasets.Diabetes(), ["model"] = DelegateModel.Linear([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f], 0f, Datasets.Diabetes().Features.FeatureNames) };

    /// <summary>A localhost port nothing listens on (taken from the system, then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a line with a live display that records every view it shows and each redraw.</summary>
    private static (MagicCommandResult Result, List<object> Shown, List<object> Live) RunLive(string line, Dictionary<string, object?> variables,
        MagicCommandDispatcher? dispatcher = null, Action<object>? onRedraw = null, CancellationToken cancellationToken = default)
    {
        var shown = new List<object>();
        var live = new List<object>();
        var (name, options) = MagicCommandLine.Parse(line);
        var result = (dispatcher ?? new MagicCommandDispatcher()).Execute(name, options, new VariableSource(variables), shown.Add, initial =>
        {
            lock (live) live.Add(initial);
            return value =>
            {
                lock (live) live.Add(value);
                onRedraw?.Invoke(value);
            };
        }, null, cancellationToken);
        return (result, shown, live);
    }

    [Fact]
    public void Explain_declares_a_cluster_option_bound_to_a_Cluster_property()
    {
        var option = Assert.Single(MagicCommands.Find("xai-explain")!.Options, o => o.Name == "cluster");
        Assert.False(option.Required);
        Assert.Contains("redis://", option.Description);
        Assert.Equal("Cluster", XaiNotebook.PropertyName(option.Name));
        // extension.dib's command type declares it (the kernel binds --cluster to it)
        string dib = File.ReadAllText(Path.Combine(PackageTests.RepositoryRoot(), "src", "Interactive.Xai", "interactive-extensions", "dotnet", "extension.dib"));
        int start = dib.IndexOf("public class XaiExplainCommand", StringComparison.Ordinal);
        Assert.Contains("public string Cluster { get; set; }", dib[start..dib.IndexOf("public class XaiImportanceCommand", StringComparison.Ordinal)]);
        // the other commands have no --cluster
        Assert.All(MagicCommands.All.Where(c => c.Name != "xai-explain"), c => Assert.DoesNotContain(c.Options, o => o.Name == "cluster"));
    }

    [Theory]
    [InlineData("nope", "--cluster: 'nope' is not host:port")]
    [InlineData("localhost:99999", "--cluster: 'localhost:99999' is not host:port")]
    [InlineData("localhost:", "--cluster: 'localhost:' is not host:port")]
    public void A_bad_address_is_one_line_naming_it(string address, string expected)
    {
        var (result, shown) = Fixtures.Run($"#!xai-explain --model {Mlp10} --data diabetes --rows 0-4 --cluster {address}", Diabetes());
        Fixtures.AssertOneLineError(result, shown, expected);
    }

    [Fact]
    public void An_unreachable_cluster_is_the_command_lines_one_line_error()
    {
        int port = ClosedPort();
        var (result, shown) = Fixtures.Run($"#!xai-explain --model {Mlp10} --data diabetes --rows 0-4 --cluster localhost:{port}", Diabetes());
        Fixtures.AssertOneLineError(result, shown, $"--cluster localhost:{port}: no worker answered (nothing listens there); start workers with xai worker");
    }

    [Theory]
    [InlineData("occlusion")]
    [InlineData("tree-shap")]
    public void A_method_the_cluster_does_not_run_fails_up_front_with_the_command_lines_error(string method)
    {
        // (the same text xai explain prints, see CliClusterTests; checked before any connection: the port is closed)
        var (result, shown) = Fixtures.Run($"#!xai-explain --model {Mlp10} --data diabetes --rows 0-4 --method {method} --cluster localhost:{ClosedPort()}", Diabetes());
        Fixtures.AssertOneLineError(result, shown, $"--cluster runs kernel-shap, exact-shap, permutation-importance, pdp, ice, ale, lime and ig; run {method} without --cluster");
        Assert.Equal($"--cluster runs {string.Join(", ", ClusterJob.Methods.SkipLast(1))} and {ClusterJob.Methods[^1]}; run {method} without --cluster", result.Error);
    }

    [Fact]
    public void A_model_object_is_refused_because_workers_load_the_model_from_a_file()
    {
        var (result, shown) = Fixtures.Run($"#!xai-explain --model model --data diabetes --rows 0-4 --cluster localhost:{ClosedPort()}", Diabetes());
        Fixtures.AssertOneLineError(result, shown, "--model model: --cluster needs a model file every worker can read");
    }

    [Fact]
    public void Bad_local_input_fails_as_without_cluster()
    {
        var (result, shown) = Fixtures.Run($"#!xai-explain --model {Mlp10} --data diabetes --rows 0-999 --cluster localhost:{ClosedPort()}", Diabetes());
        Fixtures.AssertOneLineError(result, shown, "--rows 0-999: row 442 is outside the 442 rows of the data");
    }

    [Fact]
    public void The_progress_line_shows_at_once_and_is_left_saying_the_job_failed()
    {
        int port = ClosedPort();
        var (result, shown, live) = RunLive($"#!xai-explain --model {Mlp10} --data diabetes --rows 0-4 --cluster localhost:{port}", Diabetes());

        Assert.False(result.Succeeded);
        Assert.IsType<MagicCommandError>(Assert.Single(shown));
        var first = Assert.IsType<ProgressView>(live[0]);
        Assert.Equal($"cluster localhost:{port}: submitting 5 rows: 0% (0 of 5 rows)", first.ToString());
        var last = Assert.IsType<ProgressView>(live[^1]);
        Assert.Equal($"cluster localhost:{port}: submitting 5 rows (failed)", last.Stage);
        Assert.Equal(2, live.Count);
    }

    [Fact]
    public void Cluster_progress_reads_as_partitions_rows_per_second_and_time_left_in_rows()
    {
        var views = new List<ProgressView>();
        var sink = ClusterProgress.To(XaiNotebook.Progress(views.Add, "rows"));
        sink.Report(new ClusterProgress(3, 8, 300, 800, 2, 0, TimeSpan.FromSeconds(0.3)));
        sink.Report(new ClusterProgress(8, 8, 800, 800, 2, 1, TimeSpan.FromSeconds(0.8)));

        // the first report is shown; the second is shown too although it follows within 200 ms: it is the last
        Assert.Equal(2, views.Count);
        Assert.Equal("cluster: 3 of 8 partitions on 2 workers, 1,000 rows/s, about 1 s left: 38% (300 of 800 rows)", views[0].ToString());
        Assert.Equal("cluster: 8 of 8 partitions on 2 workers, 1 re-run, 1,000 rows/s: 100% (800 of 800 rows)", views[1].ToString());
    }

    [Fact]
    public async Task On_a_worker_the_result_is_identical_to_the_in_process_run_with_a_progress_line_that_ends_done()
    {
        await using var worker = await Silo.StartAsync();
        var variables = Diabetes();
        const string Options = "--data diabetes --rows 0-39 --method exact-shap";
        var (local, localShown) = Fixtures.Run($"#!xai-explain --model {Mlp10} {Options}", variables);
        var (result, shown, live) = RunLive($"#!xai-explain --model {Mlp10} {Options} --cluster localhost:{worker.GatewayPort}", variables);

        Assert.True(local.Succeeded, local.Error);
        Assert.True(result.Succeeded, result.Error);
        var expected = Assert.IsType<AttributionExplanation>(Assert.Single(localShown));
        var actual = Assert.IsType<AttributionExplanation>(Assert.Single(shown));
        Assert.Equal(40, actual.RowCount);
        Assert.Equal(expected.Values.Select(BitConverter.DoubleToInt64Bits), actual.Values.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(expected.BaseValues.Select(BitConverter.DoubleToInt64Bits), actual.BaseValues.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(expected.Predictions.Select(BitConverter.DoubleToInt64Bits), actual.Predictions.Select(BitConverter.DoubleToInt64Bits));

        var views = live.Cast<ProgressView>().ToList();
        Assert.Equal($"cluster localhost:{worker.GatewayPort}: submitting 40 rows", views[0].Stage);
        Assert.True(views.Count >= 2, "no progress after submitting");
        Assert.All(views, v => Assert.Equal("rows", v.Unit));
        Assert.Matches(@"^cluster: (\d+) of \1 partitions on 1 worker, [\d,]+ rows/s: 100% \(40 of 40 rows\)$", views[^1].ToString());
    }

    [Fact]
    public async Task Integrated_gradients_of_a_TorchScript_file_on_a_worker_equal_the_in_process_run()
    {
        await using var worker = await Silo.StartAsync();
        var variables = Diabetes();
        string options = $"--model {Fixtures.ModelPath("diabetes_mlp.pt")} --input-shape 10 --data diabetes --rows 0-19 --method ig --steps 32";
        var (local, localShown) = Fixtures.Run("#!xai-explain " + options, variables);
        var (result, shown, _) = RunLive($"#!xai-explain {options} --cluster localhost:{worker.GatewayPort}", variables);

        Assert.True(local.Succeeded, local.Error);
        Assert.True(result.Succeeded, result.Error);
        var expected = Assert.IsType<AttributionExplanation>(Assert.Single(localShown));
        var actual = Assert.IsType<AttributionExplanation>(Assert.Single(shown));
        Assert.Equal("ig", actual.Method);
        Assert.Equal(20, actual.RowCount);
        Assert.True(expected.Details.OrderBy(d => d.Key).SequenceEqual(actual.Details.OrderBy(d => d.Key)));
        Assert.Equal(expected.Values.Select(BitConverter.DoubleToInt64Bits), actual.Values.Select(BitConverter.DoubleToInt64Bits));
        // The convergence deltas come from f(x) and f(x'), which libtorch computes (without gradients) with kernels
        // chosen by batch size: a worker's smaller batches may round differently in float32 (README, "Identical
        // results": Integrated Gradients). They agree to float32 rounding of the model's outputs.
        double scale = expected.Predictions.Max(Math.Abs);
        Assert.Equal(expected.ConvergenceDeltas.Length, actual.ConvergenceDeltas.Length);
        Assert.All(expected.ConvergenceDeltas.Zip(actual.ConvergenceDeltas), d => Assert.True(Math.Abs(d.First - d.Second) <= 1e-5 * scale, $"{d.First:R} against {d.Second:R}"));
    }

    [Fact]
    public async Task Cancelling_the_submission_cancels_the_job_and_leaves_the_line_saying_so()
    {
        await using var worker = await Silo.StartAsync();
        using var cancel = new CancellationTokenSource();
        // Kernel SHAP over every row, in 8 partitions; the first finished partition cancels (as a kernel interrupt does).
        var (result, shown, live) = RunLive($"#!xai-explain --model {Mlp10} --data diabetes --method kernel-shap --samples 2048 --cluster localhost:{worker.GatewayPort}",
            Diabetes(), onRedraw: view => { if (view is ProgressView { Completed: > 0 }) cancel.Cancel(); }, cancellationToken: cancel.Token);

        Assert.True(cancel.IsCancellationRequested, "no partition finished");
        Assert.False(result.Succeeded);
        Assert.Equal("cancelled", result.Error);
        Assert.IsType<MagicCommandError>(Assert.Single(shown));
        var last = Assert.IsType<ProgressView>(live[^1]);
        Assert.EndsWith("(cancelled)", last.Stage);
        Assert.True(last.Completed < last.Total, last.ToString());
    }

    /// <summary>
    /// The first magic command's cost (issue 15) must not grow by Orleans: Interactive.Xai is loaded into a fresh load
    /// context of its own, where an explanation without --cluster runs; the context then holds no Orleans assembly and
    /// not Interactive.Xai.Cluster either. A --cluster run in the same context does load the cluster client (so the check
    /// sees loads when they happen). (The real kernel showed Orleans.Serialization loaded at #r when Orleans' code
    /// generator had run over the package's own assembly: its generated assembly attributes name Orleans types.)
    /// </summary>
    [Fact]
    public void A_missing_Orleans_assembly_becomes_one_line_naming_the_packages_to_add()
    {
        var missing = new FileNotFoundException("Could not load file or assembly", "Orleans.Core, Version=10.4.2.0, Culture=neutral, PublicKeyToken=null");

        var error = NotebookCluster.MissingOrleans(missing);

        Assert.NotNull(error);
        Assert.Contains("(Orleans.Core is missing)", error.Message);
        Assert.Contains("#r \"nuget: Microsoft.Orleans.Client, 10.4.2\"", error.Message);
        Assert.Contains("#r \"nuget: Microsoft.Orleans.Clustering.Redis, 10.4.2\"", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Null(NotebookCluster.MissingOrleans(new FileNotFoundException("gone", "data.csv")));
        Assert.Null(NotebookCluster.MissingOrleans(new InvalidOperationException("Orleans.Core")));
    }

    [Fact]
    public void The_Orleans_version_named_to_notebooks_is_the_one_the_cluster_is_built_with()
    {
        string props = File.ReadAllText(Path.Combine(PackageRoot(), "Directory.Packages.props"));

        Assert.Contains($"<PackageVersion Include=\"Microsoft.Orleans.Client\" Version=\"{NotebookCluster.OrleansVersion}\" />", props);
    }

    private static string PackageRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Interactive.Xai.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public void An_explanation_without_cluster_loads_no_Orleans_assembly()
    {
        var context = new FolderLoadContext(AppContext.BaseDirectory);
        var package = context.LoadFromAssemblyPath(Path.Combine(AppContext.BaseDirectory, "Interactive.Xai.dll"));
        var dispatcherType = package.GetType("Interactive.Xai.Notebook.MagicCommandDispatcher", throwOnError: true)!;
        object dispatcher = Activator.CreateInstance(dispatcherType, [null, null])!;
        object variables = Activator.CreateInstance(package.GetType("Interactive.Xai.Notebook.VariableSource", throwOnError: true)!,
            [new Dictionary<string, object?>() as IReadOnlyDictionary<string, object?>])!;
        var execute = dispatcherType.GetMethods().Single(m => m.Name == "Execute" && m.GetParameters().Length == 5 && m.GetParameters()[0].ParameterType == typeof(string));
        string csv = Path.Combine(PackageTests.RepositoryRoot(), "notebooks", "data", "diabetes.csv");
        (bool Succeeded, string? Error) Run(string line)
        {
            object result = execute.Invoke(dispatcher, [line, variables, (Action<object>)(_ => { }), null, CancellationToken.None])!;
            return ((bool)result.GetType().GetProperty("Succeeded")!.GetValue(result)!, (string?)result.GetType().GetProperty("Error")!.GetValue(result));
        }
        static bool IsCluster(Assembly a) => a.GetName().Name is { } name && (name.StartsWith("Orleans", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) || name == "Interactive.Xai.Cluster");

        // what loading the package does: the extension's loaded line (which reads the package's version attribute), and
        // the kernel's look at the package's assembly attributes; then an explanation
        _ = package.GetType("Interactive.Xai.Notebook.XaiNotebook", throwOnError: true)!.GetMethod("LoadedMessage")!.Invoke(null, null);
        _ = package.GetCustomAttributes(inherit: false);
        var local = Run($"#!xai-explain --model '{Mlp10}' --data '{csv}' --label target --rows 0-4");
        Assert.True(local.Succeeded, local.Error);
        Assert.Contains(context.Assemblies, a => a.GetName().Name == "Interactive.Xai.Onnx"); // the context did load what the run needed
        Assert.DoesNotContain(context.Assemblies, IsCluster);

        var cluster = Run($"#!xai-explain --model '{Mlp10}' --data '{csv}' --label target --rows 0-4 --cluster localhost:{ClosedPort()}");
        Assert.False(cluster.Succeeded);
        Assert.Contains("no worker answered", cluster.Error);
        Assert.Contains(context.Assemblies, a => a.GetName().Name == "Interactive.Xai.Cluster");
    }

    /// <summary>Loads every assembly found in one folder into itself (the framework's come from the default context).</summary>
    private sealed class FolderLoadContext(string folder) : AssemblyLoadContext("xai-fresh-" + Guid.NewGuid().ToString("N"))
    {
        protected override Assembly? Load(AssemblyName name)
        {
            string path = Path.Combine(folder, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }

    /// <summary>An `xai worker` silo in this process, on free ports (localhost clustering, primary of its own cluster).</summary>
    private sealed class Silo : IAsyncDisposable
    {
        private readonly IHost _host;

        private Silo(IHost host, int gatewayPort)
        {
            _host = host;
            GatewayPort = gatewayPort;
        }

        public int GatewayPort { get; }

        public static async Task<Silo> StartAsync()
        {
            int gateway = ClosedPort();
            var host = WorkerHost.Build(new WorkerOptions { SiloPort = ClosedPort(), GatewayPort = gateway });
            await host.StartAsync();
            return new Silo(host, gateway);
        }

        public async ValueTask DisposeAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _host.StopAsync(timeout.Token);
            }
            finally
            {
                _host.Dispose();
            }
        }
    }
}
