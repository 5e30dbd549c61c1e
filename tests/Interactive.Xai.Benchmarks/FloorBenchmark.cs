// Issue 15's table: how close each explain call comes to the model-evaluation floor, from the very first call.
// For each case the floor is ONNX Runtime (or libtorch, forward + backward for IG) evaluating the same number of rows
// as the explain call sends to the model, in batches of 8,192 on 2 workers (libtorch: one caller, libtorch's own
// threads), with the inputs prepared beforehand, measured in the same run. Against it:
//  - the CLI's first call: `xai explain` as a fresh process, as a user runs it; its elapsedSeconds (the explain call
//    alone, from its JSON) and the process's wall time; wall - elapsed = process start-up, reading files, writing JSON;
//  - a warm call: the same request through ExplanationRunner in this process after one call to warm it up;
//  - engine overhead: the same warm call through a model that does nothing (the engine's own cost), as a fraction of
//    the floor;
// then scaling in rows (100 .. 100,000, warm permutation importance and PDP) and 1 vs 2 workers on 10,000 rows.
// Every figure is the median of --rounds rounds (default 5). The machine is shared: compare ratios, not seconds.
// Run: dotnet run -c Release --project tests/Interactive.Xai.Benchmarks -- --floor [--rounds 5] [--cli path/to/xai(.dll)]... [--assemblies]
// (several --cli options compare builds, e.g. a ReadyToRun publish or an installed tool (its `xai` command), row by
// row in the same run; --assemblies lists, per case and CLI, the assemblies the first call loaded with the CPU time the
// process had used by then)
// (the CLI defaults to src/Interactive.Xai.Cli/bin/Release/net10.0/xai.dll: build it first with
//  dotnet build -c Release src/Interactive.Xai.Cli).
// The notebook goal (the first magic command in a fresh kernel at most 3x its second run on new rows) is measured by
// first-magic.ipynb beside this file, in the real kernel as tests/Interactive.Xai.Kernel.Tests runs notebooks:
//   dotnet pack src/Interactive.Xai -c Release -o PKG -p:Version=0.1.0-perf.N    (a version NuGet has not cached)
//   dotnet tool restore && dotnet tool run dotnet-interactive -- jupyter install --path DIR/kernels
//   JUPYTER_PATH=DIR JUPYTER_DATA_DIR=DIR /usr/bin/python3 tests/Interactive.Xai.Kernel.Tests/run_notebook.py \
//       tests/Interactive.Xai.Benchmarks/first-magic.ipynb OUT.ipynb PKG 0.1.0-perf.N .net-csharp 900
//   /usr/bin/python3 tests/Interactive.Xai.Benchmarks/cell_times.py OUT.ipynb
// (cell_times.py measures each cell from the previous cell's idle message to its own: the start and end stamps in
// OUT.ipynb.json come from the kernel, which may stamp a short cell's messages after its work is done.)
// --floor-cpu checks whether the machine has 2 usable cores (a pure CPU loop on 1 and on 2 threads; see CpuCheck).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Interactive.Xai;
using Interactive.Xai.Hosting;
using Interactive.Xai.Onnx;
using Interactive.Xai.Torch;

internal static class FloorBenchmark
{
    private const int BatchSize = 8192, Workers = 2;

    private sealed record Case(string Name, string Model, string Data, string[] Arguments, ExplanationRequest Request,
        string? Label, string? Rows, string? Background, bool Torch);

    public static void Run(string[] args)
    {
        int rounds = 5;
        var clis = new List<string>();
        _listAssemblies = args.Contains("--assemblies");
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--rounds") rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--cli") clis.Add(args[i + 1]);
        }
        if (clis.Count == 0) clis.Add(DefaultCli());
        var dir = Directory.CreateTempSubdirectory("xai-floor-").FullName;
        try
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Issue 15 benchmark: floor = raw model evaluations of the same row count, batches of {BatchSize}, {Workers} workers; medians of {rounds} rounds; {Environment.ProcessorCount} cores, load average {LoadAverage()}"));
            for (int c = 0; c < clis.Count; c++) Console.WriteLine($"CLI {(char)('A' + c)}: {clis[c]}");
            RunCases(dir, clis, rounds);
            Scaling(dir, rounds);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string DefaultCli()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Interactive.Xai.sln"))) root = Path.GetDirectoryName(root.TrimEnd('/'))!;
        return Path.Combine(root, "src", "Interactive.Xai.Cli", "bin", "Release", "net10.0", "xai.dll");
    }

    private static string LoadAverage()
        => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static string Model(string name) => Path.Combine(AppContext.BaseDirectory, "models", name);

    // ---- data files -------------------------------------------------------------------------------------------------

    private static void WriteCsv(string path, FeatureTable table, string? labelName = null, IReadOnlyList<float>? labels = null)
    {
        var text = new StringBuilder();
        text.Append(string.Join(",", table.FeatureNames));
        if (labelName is not null) text.Append(',').Append(labelName);
        text.Append('\n');
        for (int r = 0; r < table.RowCount; r++)
        {
            var row = table.Row(r);
            for (int c = 0; c < row.Length; c++)
            {
                if (c > 0) text.Append(',');
                text.Append(row[c].ToString("R", CultureInfo.InvariantCulture));
            }
            if (labels is not null) text.Append(',').Append(labels[r].ToString("R", CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        File.WriteAllText(path, text.ToString());
    }

    /// <summary>The diabetes rows repeated to <paramref name="rows"/> rows, each copy after the first jittered by 1 % of a feature's std (deterministic).</summary>
    internal static (FeatureTable Features, float[] Labels) DiabetesRows(int rows)
    {
        var diabetes = Datasets.Diabetes();
        var source = diabetes.Features;
        int m = source.ColumnCount;
        var std = Enumerable.Range(0, m).Select(c =>
        {
            var column = source.Column(c);
            double mean = column.Average();
            return Math.Sqrt(column.Sum(v => (v - mean) * (v - mean)) / column.Length);
        }).ToArray();
        var random = new Random(7);
        var values = new float[rows * m];
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            int s = r % source.RowCount;
            var row = source.Row(s);
            for (int c = 0; c < m; c++)
                values[r * m + c] = r < source.RowCount ? row[c] : (float)(row[c] + 0.01 * std[c] * (random.NextDouble() * 2 - 1));
            labels[r] = diabetes.Labels[s];
        }
        return (FeatureTable.FromRowMajor(values, rows, m, source.FeatureNames), labels);
    }

    private static List<Case> Cases(string dir)
    {
        var diabetes = Datasets.Diabetes();
        string small = Path.Combine(dir, "diabetes.csv"), background = Path.Combine(dir, "background16.csv");
        string large = Path.Combine(dir, "diabetes5000.csv"), digits = Path.Combine(dir, "digits256.csv");
        WriteCsv(small, diabetes.Features);
        WriteCsv(background, diabetes.Features.Slice(0, 16));
        var (features, labels) = DiabetesRows(5000);
        WriteCsv(large, features, "target", labels);
        var digitSet = Datasets.Digits();
        WriteCsv(digits, digitSet.Features.Slice(0, 256), "digit", digitSet.Labels.Take(256).ToArray());
        string mlp = Model("mlp10.onnx"), cnn = Model("digits_cnn.pt");
        return
        [
            new("exact SHAP, MLP, 100 rows x 16 background", mlp, small,
                ["--method", "exact-shap", "--rows", "0-99", "--background", background],
                new ExplanationRequest { Method = "exact-shap" }, null, "0-99", background, false),
            new("Kernel SHAP, same, 2,048 samples", mlp, small,
                ["--method", "kernel-shap", "--samples", "2048", "--rows", "0-99", "--background", background],
                new ExplanationRequest { Method = "kernel-shap", Samples = 2048 }, null, "0-99", background, false),
            new("permutation importance, 5,000 rows x 30", mlp, large,
                ["--method", "permutation-importance", "--label", "target", "--repeats", "30"],
                new ExplanationRequest { Method = "permutation-importance", Repeats = 30 }, "target", null, null, false),
            new("PDP, one feature, 5,000 rows x 20", mlp, large,
                ["--method", "pdp", "--label", "target", "--feature", "bmi", "--grid-points", "20"],
                new ExplanationRequest { Method = "pdp", Feature = "bmi", GridPoints = 20 }, "target", null, null, false),
            new("IG, digits CNN (.pt), 256 images x 50", cnn, digits,
                ["--method", "ig", "--label", "digit", "--input-shape", "1,8,8", "--steps", "50"],
                new ExplanationRequest { Method = "ig", Steps = 50, InputShape = [1, 8, 8] }, "digit", null, null, true),
        ];
    }

    // ---- the table ------------------------------------------------------------------------------------------------

    private static void RunCases(string dir, IReadOnlyList<string> clis, int rounds)
    {
        var cases = Cases(dir);
        Console.WriteLine();
        Console.WriteLine("CLI columns: elapsedSeconds from its JSON; wall time of the process; start-up = wall - elapsed; CPU = the xai process's user+system time;");
        Console.WriteLine("JIT = methods the runtime compiled in it and the time that took (a startup hook reads them at exit). Warm and engine-only: in this process.");
        Console.WriteLine("| case | CLI | evaluations | floor s | CLI elapsed s (x floor) | CLI wall s | start-up s | CLI CPU s | JIT methods | JIT s | assemblies | warm s (x floor) | engine-only s (x floor) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        var loads = new List<string>();
        foreach (var c in cases)
        {
            var firstCalls = new List<List<CliRun>>();
            for (int k = 0; k < clis.Count; k++) firstCalls.Add([]);
            for (int r = 0; r < rounds; r++)
                for (int k = 0; k < clis.Count; k++) firstCalls[k].Add(RunCli(clis[k], c, dir));  // interleaved: load changes hit every CLI alike
            long evaluations = firstCalls[0][0].Evaluations;
            var (warm, engineOnly) = Warm(c, rounds);
            double floor = Median(Enumerable.Range(0, rounds).Select(_ => c.Torch ? TorchFloor(evaluations) : OnnxFloor(evaluations, Workers)));
            for (int k = 0; k < clis.Count; k++)
            {
                var first = firstCalls[k];
                double elapsed = Median(first.Select(f => f.Elapsed)), wall = Median(first.Select(f => f.Wall));
                double startUp = Median(first.Select(f => f.Wall - f.Elapsed));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {c.Name} | {(char)('A' + k)} | {evaluations:N0} | {floor:F4} | {elapsed:F4} ({elapsed / floor:F1}x) | {wall:F3} | {startUp:F3} | {Median(first.Select(f => f.Cpu)):F3} | {Median(first.Select(f => (double)f.JitMethods)):F0} | {Median(first.Select(f => f.JitSeconds)):F3} | {first[0].Assemblies.Count} | {warm:F4} ({warm / floor:F2}x) | {(engineOnly is { } e ? $"{e:F4} ({e / floor:F2}x)" : "-")} |"));
                loads.Add($"{c.Name}, CLI {(char)('A' + k)}: " + string.Join("; ", first[0].Assemblies));
            }
        }
        if (!_listAssemblies) return;
        Console.WriteLine();
        Console.WriteLine("Assemblies each first call loaded, in order, with the process's CPU seconds by then (first round):");
        foreach (var line in loads) Console.WriteLine("- " + line);
    }

    private sealed record CliRun(double Elapsed, double Wall, long Evaluations, long JitMethods, double JitSeconds, double Cpu,
        IReadOnlyList<string> Assemblies);

    private static bool _listAssemblies;

    private static CliRun RunCli(string cli, Case c, string dir)
    {
        string json = Path.Combine(dir, "out.json"), stats = Path.Combine(dir, "stats.txt"), assemblies = Path.Combine(dir, "assemblies.txt");
        File.Delete(stats);
        File.Delete(assemblies);
        var start = cli.EndsWith(".dll", StringComparison.Ordinal)
            ? new ProcessStartInfo("dotnet") { ArgumentList = { cli } }
            : new ProcessStartInfo(cli);
        foreach (var a in (string[])["explain", "--model", c.Model, "--data", c.Data, .. c.Arguments, "--json", json, "--quiet"])
            start.ArgumentList.Add(a);
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.Environment["DOTNET_STARTUP_HOOKS"] = typeof(FloorBenchmark).Assembly.Location;
        start.Environment["XAI_BENCH_STATS"] = stats;
        start.Environment["XAI_BENCH_ASSEMBLIES"] = assemblies;
        start.UseShellExecute = false;
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        double wall = stopwatch.Elapsed.TotalSeconds;
        if (process.ExitCode != 0) throw new InvalidOperationException($"xai exited with {process.ExitCode}: {stderr}{stdout.Result}");
        using var document = JsonDocument.Parse(File.ReadAllBytes(json));
        var counts = File.Exists(stats) ? File.ReadAllText(stats).Split(' ') : ["-1", "NaN", "NaN"];
        // Lines "<wall> s wall, <cpu> s CPU: <assembly>" (StartupHook.cs); kept as "<assembly> <cpu>".
        var loaded = File.Exists(assemblies)
            ? File.ReadAllLines(assemblies).Select(l => l.Split(' ')).Where(p => p.Length >= 7 && p[6] is not ("startup" or "exit"))
                .Select(p => $"{p[6]} {p[3]}").ToList()
            : [];
        return new CliRun(document.RootElement.GetProperty("elapsedSeconds").GetDouble(), wall, document.RootElement.GetProperty("modelEvaluations").GetInt64(),
            long.Parse(counts[0], CultureInfo.InvariantCulture), double.Parse(counts[1], CultureInfo.InvariantCulture), double.Parse(counts[2], CultureInfo.InvariantCulture),
            loaded);
    }

    private static (FeatureTable Data, ExplanationInputs Inputs) Inputs(Case c, IModel model)
    {
        var table = CsvTableReader.Read(c.Data);
        float[]? labels = null;
        if (c.Label is not null) (table, labels) = table.SplitColumn(c.Label);
        FeatureTable? reference = null;
        if (c.Rows is not null)
        {
            var range = c.Rows.Split('-').Select(int.Parse).ToArray();
            reference = table;
            table = table.Slice(range[0], range[1] - range[0] + 1);
        }
        var background = c.Background is null ? null : CsvTableReader.Read(c.Background);
        return (table, new ExplanationInputs { Reference = reference, Background = background, Labels = labels });
    }

    private static (double Warm, double? EngineOnly) Warm(Case c, int rounds)
    {
        using var loaded = c.Torch ? ModelFiles.Load(c.Model, null, [1, 8, 8]) : ModelFiles.Load(c.Model);
        var (data, inputs) = Inputs(c, loaded.Model);
        var runner = new ExplanationRunner();
        runner.Run(loaded.Model, data, c.Request, inputs);
        double warm = Median(Enumerable.Range(0, rounds).Select(_ => runner.Run(loaded.Model, data, c.Request, inputs).Elapsed.TotalSeconds));
        if (c.Torch) return (warm, null);
        var model = loaded.Model;
        var noop = new DelegateModel(model.FeatureCount, model.OutputNames, (_, n, outputs) => outputs[..n].Fill(1f), model.FeatureNames);
        runner.Run(noop, data, c.Request, inputs);
        double engine = Median(Enumerable.Range(0, rounds).Select(_ => runner.Run(noop, data, c.Request, inputs).Elapsed.TotalSeconds));
        return (warm, engine);
    }

    // ---- floors -------------------------------------------------------------------------------------------------

    private static OnnxModel? _onnx;
    private static TorchModel? _torch;

    /// <summary>ONNX Runtime evaluating <paramref name="evaluations"/> diabetes rows in batches of 8,192 on <paramref name="workers"/> workers (sessions warmed).</summary>
    internal static double OnnxFloor(long evaluations, int workers, int batchSize = BatchSize)
    {
        _onnx ??= OnnxModel.Load(Model("mlp10.onnx"));
        var data = Datasets.Diabetes().Features;
        var inputs = new float[batchSize * 10];
        for (int i = 0; i < batchSize; i++) data.Row(i % data.RowCount).CopyTo(inputs.AsSpan(i * 10, 10));
        var outputs = Enumerable.Range(0, workers).Select(_ => new float[batchSize]).ToArray();
        for (int w = 0; w < workers; w++) _onnx.Predict(inputs, batchSize, outputs[w]);
        long batches = (evaluations + batchSize - 1) / batchSize;
        long next = -1;
        var stopwatch = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, (int)Math.Min(workers, batches)).Select(w => Task.Factory.StartNew(() =>
        {
            while (true)
            {
                long b = Interlocked.Increment(ref next);
                if (b >= batches) return;
                int n = (int)Math.Min(batchSize, evaluations - b * batchSize);
                _onnx.Predict(inputs.AsSpan(0, n * 10), n, outputs[w].AsSpan(0, n));
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(tasks);
        return stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>libtorch forward + input gradient of <paramref name="evaluations"/> digit images in batches of 8,192 (libtorch's own threads).</summary>
    private static double TorchFloor(long evaluations)
    {
        _torch ??= TorchModel.Load(Model("digits_cnn.pt"), [1, 8, 8]);
        var digits = Datasets.Digits().Features;
        int m = digits.ColumnCount, k = _torch.OutputNames.Count;
        var inputs = new float[BatchSize * m];
        for (int i = 0; i < BatchSize; i++) digits.Row(i % digits.RowCount).CopyTo(inputs.AsSpan(i * m, m));
        var targets = new int[BatchSize];
        var outputs = new float[BatchSize * k];
        var gradients = new float[BatchSize * m];
        _torch.PredictWithGradient(inputs, BatchSize, targets, outputs, gradients);
        var stopwatch = Stopwatch.StartNew();
        for (long first = 0; first < evaluations; first += BatchSize)
        {
            int n = (int)Math.Min(BatchSize, evaluations - first);
            _torch.PredictWithGradient(inputs.AsSpan(0, n * m), n, targets, outputs, gradients);
        }
        return stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// --floor-cpu: does this machine have 2 usable cores? The same fixed work on 1 thread, then on 2 threads at once
    /// (each doing the whole work): speed-up = 2 x time(1 thread) / time(2 threads), 2.0 for two free cores. Three kinds:
    /// a scalar dependency chain (latency-bound), independent 512-bit FMAs (throughput-bound, like a small MLP's GEMMs;
    /// SMT siblings or a shared core show here) and summing 64 MB (memory bandwidth). Meaningful only on a quiet machine:
    /// it prints the load average before and after.
    /// </summary>
    public static void CpuCheck()
    {
        static double Scalar(long n)
        {
            double x = 1;
            for (long i = 0; i < n; i++) x = x * 1.0000001 + 1e-9;
            return x;
        }
        static float Fma(long n)
        {
            var m = System.Runtime.Intrinsics.Vector512.Create(0.9999999f);
            var c = System.Runtime.Intrinsics.Vector512.Create(1e-7f);
            System.Runtime.Intrinsics.Vector512<float> a0 = m, a1 = m, a2 = m, a3 = m, a4 = m, a5 = m, a6 = m, a7 = m;
            for (long i = 0; i < n; i++)
            {
                a0 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a0, m, c); a1 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a1, m, c);
                a2 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a2, m, c); a3 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a3, m, c);
                a4 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a4, m, c); a5 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a5, m, c);
                a6 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a6, m, c); a7 = System.Runtime.Intrinsics.Vector512.FusedMultiplyAdd(a7, m, c);
            }
            return System.Runtime.Intrinsics.Vector512.ToScalar(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
        }
        var big = new[] { new float[16 << 20], new float[16 << 20] };
        float Stream(int worker)
        {
            float sum = 0;
            for (int r = 0; r < 40; r++) sum += System.Numerics.Tensors.TensorPrimitives.Sum(big[worker]);
            return sum;
        }
        static double Time(int threads, Action<int> work)
        {
            var stopwatch = Stopwatch.StartNew();
            var running = Enumerable.Range(0, threads).Select(w => new Thread(() => work(w))).ToArray();
            foreach (var t in running) t.Start();
            foreach (var t in running) t.Join();
            return stopwatch.Elapsed.TotalSeconds;
        }
        Console.WriteLine($"{Environment.ProcessorCount} cores, load average {LoadAverage()}");
        foreach (var (name, work) in new (string, Action<int>)[] { ("scalar chain", _ => Scalar(400_000_000)), ("512-bit FMA", _ => Fma(100_000_000)), ("sum of 64 MB x 40", w => Stream(w)) })
        {
            work(0);
            double one = Median(Enumerable.Range(0, 3).Select(_ => Time(1, work)));
            double two = Median(Enumerable.Range(0, 3).Select(_ => Time(2, work)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: 1 thread {one:F3} s, 2 threads {two:F3} s, speed-up {2 * one / two:F2}x"));
        }
        Console.WriteLine($"load average at the end: {LoadAverage()}");
    }

    /// <summary>Experiment (--floor-batch): ONNX Runtime's rows per second by batch size, on 1 and 2 workers.</summary>
    public static void BatchSizes()
    {
        Console.WriteLine($"{Environment.ProcessorCount} cores, load average {LoadAverage()}; 1,000,000 evaluations of mlp10.onnx, medians of 5");
        Console.WriteLine("| batch | 1 worker s | 2 workers s | speed-up |");
        Console.WriteLine("|---|---|---|---|");
        foreach (int batch in (int[])[64, 256, 512, 1024, 2048, 4096, 8192, 16384])
        {
            OnnxFloor(100_000, 2, batch);
            double one = Median(Enumerable.Range(0, 5).Select(_ => OnnxFloor(1_000_000, 1, batch)));
            double two = Median(Enumerable.Range(0, 5).Select(_ => OnnxFloor(1_000_000, 2, batch)));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {batch} | {one:F4} | {two:F4} | {one / two:F2}x |"));
        }
        Console.WriteLine($"load average at the end: {LoadAverage()}");
    }

    /// <summary>Experiment (--floor-session): raw ONNX Runtime sessions, CPU arena on/off, one shared session or one per worker.</summary>
    public static void SessionVariants()
    {
        var data = Datasets.Diabetes().Features;
        const int max = 16384;
        var inputs = new float[max * 10];
        for (int i = 0; i < max; i++) data.Row(i % data.RowCount).CopyTo(inputs.AsSpan(i * 10, 10));
        Console.WriteLine($"{Environment.ProcessorCount} cores, load average {LoadAverage()}; 1,000,000 evaluations, medians of 5");
        Console.WriteLine("| arena | sessions | batch | 1 worker s | 2 workers s | speed-up |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (bool arena in (bool[])[true, false])
        foreach (bool perWorker in (bool[])[false, true])
        {
            var sessions = Enumerable.Range(0, perWorker ? 2 : 1).Select(_ =>
            {
                var options = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, EnableMemoryPattern = false, EnableCpuMemArena = arena,
                    GraphOptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL };
                options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
                return new Microsoft.ML.OnnxRuntime.InferenceSession(Model("mlp10.onnx"), options);
            }).ToArray();
            double Time(int workers, int batch, long evaluations)
            {
                long batches = (evaluations + batch - 1) / batch, next = -1;
                var outputs = Enumerable.Range(0, workers).Select(_ => new float[batch]).ToArray();
                var stopwatch = Stopwatch.StartNew();
                var tasks = Enumerable.Range(0, workers).Select(w => Task.Factory.StartNew(() =>
                {
                    var session = sessions[w % sessions.Length];
                    while (true)
                    {
                        long b = Interlocked.Increment(ref next);
                        if (b >= batches) return;
                        int n = (int)Math.Min(batch, evaluations - b * batch);
                        using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(inputs, [n, 10]);
                        using var output = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(outputs[w], [n, 1]);
                        using var run = new Microsoft.ML.OnnxRuntime.RunOptions();
                        session.Run(run, [session.InputNames[0]], [input], [session.OutputNames[0]], [output]);
                    }
                }, TaskCreationOptions.LongRunning)).ToArray();
                Task.WaitAll(tasks);
                return stopwatch.Elapsed.TotalSeconds;
            }
            foreach (int batch in (int[])[64, 256, 1024, 2048, 8192])
            {
                Time(2, batch, 100_000);
                double one = Median(Enumerable.Range(0, 5).Select(_ => Time(1, batch, 1_000_000)));
                double two = Median(Enumerable.Range(0, 5).Select(_ => Time(2, batch, 1_000_000)));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {arena} | {(perWorker ? "per worker" : "shared")} | {batch} | {one:F4} | {two:F4} | {one / two:F2}x |"));
            }
            foreach (var s in sessions) s.Dispose();
        }
        Console.WriteLine($"load average at the end: {LoadAverage()}");
    }

    /// <summary>In a fresh process (--floor-onnx-phases): what ONNX Runtime's first runs of a new session cost, per thread and per batch size.</summary>
    public static void OnnxPhases()
    {
        var data = Datasets.Diabetes().Features;
        var inputs = new float[BatchSize * 10];
        for (int i = 0; i < BatchSize; i++) data.Row(i % data.RowCount).CopyTo(inputs.AsSpan(i * 10, 10));
        var outputs = new float[BatchSize];
        var stopwatch = Stopwatch.StartNew();
        using var model = OnnxModel.Load(Model("mlp10.onnx"));
        double load = stopwatch.Elapsed.TotalSeconds;
        double Time(int rows)
        {
            var watch = Stopwatch.StartNew();
            model.Predict(inputs.AsSpan(0, rows * 10), rows, outputs);
            return watch.Elapsed.TotalSeconds;
        }
        double tiny = Time(1), tinyAgain = Time(1);
        double first = Time(BatchSize), second = Time(BatchSize), third = Time(BatchSize);
        double otherThread = 0;
        var thread = new Thread(() => otherThread = Time(BatchSize));
        thread.Start();
        thread.Join();
        double newSize = Time(1000), newSizeAgain = Time(1000);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ONNX Runtime in a fresh process: load {load:F4} s; Predict 1 row: first {tiny:F4} s, again {tinyAgain:F4} s; then 8,192 rows: first {first:F4} s, second {second:F4} s, third {third:F4} s, first on another thread {otherThread:F4} s; 1,000 rows first {newSize:F4} s, again {newSizeAgain:F4} s"));
    }

    /// <summary>Experiment (--floor-ort-options pattern arena): ONNX Runtime's first 8,192-row runs with memory pattern / CPU arena on or off.</summary>
    public static void OrtOptions(bool pattern, bool arena)
    {
        var data = Datasets.Diabetes().Features;
        var inputs = new float[BatchSize * 10];
        for (int i = 0; i < BatchSize; i++) data.Row(i % data.RowCount).CopyTo(inputs.AsSpan(i * 10, 10));
        var outputs = new float[BatchSize];
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, EnableMemoryPattern = pattern, EnableCpuMemArena = arena,
            GraphOptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(Model("mlp10.onnx"), options);
        var times = new List<double>();
        foreach (int rows in (int[])[1, 1, BatchSize, BatchSize, BatchSize, BatchSize, 1000, 1000])
        {
            var watch = Stopwatch.StartNew();
            using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(inputs, [rows, 10]);
            using var output = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(outputs, [rows, 1]);
            using var run = new Microsoft.ML.OnnxRuntime.RunOptions();
            session.Run(run, [session.InputNames[0]], [input], [session.OutputNames[0]], [output]);
            times.Add(watch.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"pattern {pattern} arena {arena}: 1,1,8192x4,1000x2 rows: " + string.Join(" ", times.Select(t => t.ToString("F4", CultureInfo.InvariantCulture))));
    }

    // ---- scaling --------------------------------------------------------------------------------------------------

    /// <summary>--floor-scaling [--rounds N]: only the scaling tables (rows, and 1 vs 2 workers).</summary>
    public static void ScalingOnly(string[] args)
    {
        int rounds = 5;
        for (int i = 0; i < args.Length - 1; i++)
            if (args[i] == "--rounds") rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        Console.WriteLine($"{Environment.ProcessorCount} cores, load average {LoadAverage()}; medians of {rounds} rounds");
        Scaling("", rounds);
    }

    private static void Scaling(string dir, int rounds)
    {
        using var loaded = ModelFiles.Load(Model("mlp10.onnx"));
        var model = loaded.Model;
        Console.WriteLine();
        Console.WriteLine("Scaling (warm, in process): permutation importance (5 repeats) and PDP (20 grid points) on n rows");
        Console.WriteLine("| method | rows | evaluations | s | floor s | x floor | us per row |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (int rows in (int[])[100, 1_000, 10_000, 100_000])
        {
            var (features, labels) = DiabetesRows(rows);
            foreach (var (name, run) in ((string, Func<Explanation>)[])[
                ("permutation importance", () => new PermutationImportanceExplainer(model, new PermutationImportanceOptions { Repeats = 5 }).Explain(features, labels)),
                ("PDP", () => new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 20 }).Explain(features, "bmi"))])
            {
                run();
                var results = Enumerable.Range(0, rounds).Select(_ => run()).ToArray();
                double seconds = Median(results.Select(r => r.Elapsed.TotalSeconds));
                long evaluations = results[0].ModelEvaluations;
                double floor = Median(Enumerable.Range(0, rounds).Select(_ => OnnxFloor(evaluations, Workers)));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {rows:N0} | {evaluations:N0} | {seconds:F4} | {floor:F4} | {seconds / floor:F2} | {seconds / rows * 1e6:F2} |"));
            }
        }
        Console.WriteLine();
        Console.WriteLine("Workers on 10,000 rows (warm, in process)");
        Console.WriteLine("| method | evaluations | 1 worker s | 2 workers s | speed-up | floor 1 worker s | floor 2 workers s | floor speed-up |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        var (tenThousand, tenThousandLabels) = DiabetesRows(10_000);
        foreach (var (name, make) in ((string, Func<int, Func<Explanation>>)[])[
            ("permutation importance x5", w => () => new PermutationImportanceExplainer(model, new PermutationImportanceOptions { Repeats = 5, MaxDegreeOfParallelism = w }).Explain(tenThousand, tenThousandLabels)),
            ("PDP x20", w => () => new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 20, MaxDegreeOfParallelism = w }).Explain(tenThousand, "bmi"))])
        {
            double[] seconds = new double[3], floors = new double[3];
            long evaluations = 0;
            foreach (int w in (int[])[1, 2])
            {
                var run = make(w);
                run();
                var results = Enumerable.Range(0, rounds).Select(_ => run()).ToArray();
                seconds[w] = Median(results.Select(r => r.Elapsed.TotalSeconds));
                evaluations = results[0].ModelEvaluations;
                floors[w] = Median(Enumerable.Range(0, rounds).Select(_ => OnnxFloor(evaluations, w)));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {evaluations:N0} | {seconds[1]:F4} | {seconds[2]:F4} | {seconds[1] / seconds[2]:F2}x | {floors[1]:F4} | {floors[2]:F4} | {floors[1] / floors[2]:F2}x |"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load average at the end: {LoadAverage()}"));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
