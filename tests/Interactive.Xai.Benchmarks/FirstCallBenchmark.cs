// Where a notebook cell's time goes, in fresh processes run the way the kernel runs code (tiered compilation on):
//  1. one #!xai-explain (Kernel SHAP, 50 diabetes rows, the ONNX MLP given as a file path; the time includes formatting
//     the result as HTML, as the kernel does) as the first thing the
//     process does, then the same command again (answered by the session's result cache), then 50 other rows on the
//     same model (the explainer cache: background summary, background predictions and coalition designs reused), then
//     the first rows again in a new session (caches cold, code already compiled): the difference to the first call is
//     start-up cost (JIT, loading assemblies and native libraries); then the same in a process where
//     XaiNotebook.WarmUp (which extension.dib starts when the package loads) has finished first;
//  2. the same work split into its steps in another fresh process (ONNX session creation, k-means background,
//     building the explainer with its background predictions, the explain itself, HTML formatting of the result), each
//     done twice: the first time pays for compiling the code it runs (JIT time measured by the runtime's JitInfo).
// Run: dotnet run -c Release --project tests/Interactive.Xai.Benchmarks -- --first-call
// (--cache runs this first, then the session-cache table of CacheBenchmark.cs.)
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai;
using Interactive.Xai.Hosting;
using Interactive.Xai.Notebook;
using Interactive.Xai.Onnx;

internal static class FirstCallBenchmark
{
    private static string ModelPath => Path.Combine(AppContext.BaseDirectory, "models", "mlp10.onnx");

    private const string Command = "#!xai-explain --model {0} --data data --rows {1} --method kernel-shap --samples 500";

    /// <summary>Runs both measurements, each in a fresh child process with tiered compilation on.</summary>
    public static void Run()
    {
        Console.WriteLine("first call in a fresh process (tiered compilation on, as in the kernel); the machine is shared, so figures are noisy");
        Console.WriteLine("without the load-time warm-up:");
        Child("--first-call-session");
        Console.WriteLine("after XaiNotebook.WarmUp() finished (extension.dib starts it when the package loads):");
        Child("--first-call-session --warm-up");
        Child("--first-call-phases");
        Child("--first-call-phases --warm-up");
    }

    private static void Child(string mode)
    {
        // Run as `dotnet Interactive.Xai.Benchmarks.dll`, the process is dotnet itself: give it the assembly again.
        string host = Environment.ProcessPath!;
        bool muxer = Path.GetFileNameWithoutExtension(host) == "dotnet";
        var start = new ProcessStartInfo(host, muxer ? $"\"{typeof(FirstCallBenchmark).Assembly.Location}\" {mode}" : mode) { RedirectStandardOutput = true, UseShellExecute = false };
        start.Environment["DOTNET_TieredCompilation"] = "1";
        using var child = Process.Start(start)!;
        Console.Write(child.StandardOutput.ReadToEnd());
        child.WaitForExit();
        if (child.ExitCode != 0) throw new InvalidOperationException($"{mode} exited with {child.ExitCode}");
    }

    /// <summary>In a fresh process: first call, repeated call, new rows, new session.</summary>
    public static void Session(bool warmUp)
    {
        if (warmUp)
        {
            var warm = Stopwatch.StartNew();
            XaiNotebook.WarmUp().Wait();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warm-up took {warm.Elapsed.TotalSeconds:F3} s (in the background while the user reads the loaded line)"));
        }
        var data = Datasets.Diabetes().Features;
        var variables = new VariableSource(new Dictionary<string, object?> { ["data"] = data });
        NotebookFormatters.Register();
        var dispatcher = new MagicCommandDispatcher();
        string first = string.Format(CultureInfo.InvariantCulture, Command, ModelPath, "0-49");
        string otherRows = string.Format(CultureInfo.InvariantCulture, Command, ModelPath, "50-99");

        var jit = System.Runtime.JitInfo.GetCompilationTime();
        double cold = Time(dispatcher, first, variables);
        var coldJit = System.Runtime.JitInfo.GetCompilationTime() - jit;
        double repeated = Enumerable.Range(0, 5).Min(_ => Time(dispatcher, first, variables));
        double newRows = Time(dispatcher, otherRows, variables);
        double newSession = Enumerable.Range(0, 3).Min(_ => Time(new MagicCommandDispatcher(), first, variables));
        Console.WriteLine("| step | s | first call / step |");
        Console.WriteLine("|---|---|---|");
        Row("first call in a fresh process", cold, cold);
        Row("same command again (result cache)", repeated, cold);
        Row("50 new rows, same model and data (explainer cache)", newRows, cold);
        Row("same command in a new session (code compiled, caches cold)", newSession, cold);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"JIT compilation during the first call: {coldJit.TotalSeconds:F3} s; start-up share (first call - new session): {cold - newSession:F3} s"));
    }

    /// <summary>In a fresh process: each step of a first explain, twice.</summary>
    public static void Phases(bool warmUp)
    {
        if (warmUp)
        {
            XaiNotebook.WarmUp().Wait();
            Console.WriteLine("after XaiNotebook.WarmUp() finished:");
        }
        var data = Datasets.Diabetes().Features;
        var rows = data.Slice(0, 50);
        Console.WriteLine("| step | first s | JIT s in it | second s |");
        Console.WriteLine("|---|---|---|---|");
        OnnxModel? model = null;
        Phase("ONNX session creation (OnnxModel.Load)", () => { model?.Dispose(); model = OnnxModel.Load(ModelPath); });
        WeightedBackground? background = null;
        Phase("k-means background summary (10 rows)", () => background = WeightedBackground.KMeans(data, 10, 42));
        KernelShapExplainer? explainer = null;
        var options = new KernelShapOptions { Samples = 500, Seed = 42 };
        Phase("explainer with background predictions", () => explainer = new KernelShapExplainer(model!, background!, options));
        Explanation? explanation = null;
        Phase("Kernel SHAP of 50 rows", () => explanation = explainer!.Explain(rows));
        NotebookFormatters.Register();
        Phase("HTML of the result (3 charts)", () => NotebookFormatters.ToHtml(explanation!));
        model?.Dispose();
    }

    private static void Phase(string name, Action step)
    {
        var jit = System.Runtime.JitInfo.GetCompilationTime();
        var stopwatch = Stopwatch.StartNew();
        step();
        double first = stopwatch.Elapsed.TotalSeconds;
        double compiled = (System.Runtime.JitInfo.GetCompilationTime() - jit).TotalSeconds;
        stopwatch.Restart();
        step();
        double second = stopwatch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {first:F4} | {compiled:F4} | {second:F4} |"));
    }

    private static void Row(string name, double seconds, double cold)
        => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {seconds:F5} | {cold / seconds:F0}x |"));

    private static double Time(MagicCommandDispatcher dispatcher, string line, IVariableSource variables)
    {
        var stopwatch = Stopwatch.StartNew();
        // what the kernel does with a displayed value: format it as HTML
        var result = dispatcher.Execute(line, variables, value => NotebookFormatters.ToHtml(value));
        stopwatch.Stop();
        if (!result.Succeeded) throw new InvalidOperationException(result.Error);
        return stopwatch.Elapsed.TotalSeconds;
    }
}
