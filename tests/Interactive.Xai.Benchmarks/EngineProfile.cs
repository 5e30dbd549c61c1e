// Issue 15: where the engine's own time goes in permutation importance and PDP (issue 15's two cases: 5,000 diabetes
// rows, 30 repeats; one feature x 20 grid points), with models that cost (almost) nothing:
//  - "nothing": every output 1 (the floor benchmark's engine-only model);
//  - "linear": a dot product per row (a few ns a row), whose outputs vary as a real model's do, so exact sums carry
//    realistic partials.
// Each figure is the median of --rounds calls (default 15) after 3 warm-up calls: wall time and this process's CPU
// time (user + system, all threads), which a crowded machine disturbs less than wall time. Then single-threaded
// sections of the same work: drawing the 300 permutations, summing the 1.5 M metric terms exactly (one by one into
// ExactSum, and through the engine's Metrics.Sum), summing the 100,000 PDP outputs exactly (one by one into ExactSum).
// Run: dotnet tests/Interactive.Xai.Benchmarks/bin/Release/net10.0/Interactive.Xai.Benchmarks.dll --engine-profile [--rounds 15]
// With --loop pi|pdp|ale [linear] it runs that one case for 10 s instead, for a sampling profiler:
//   dotnet-trace collect --format speedscope -o pi.nettrace -- dotnet .../Interactive.Xai.Benchmarks.dll --engine-profile --loop pi
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Interactive.Xai;
using Interactive.Xai.Numerics;

internal static class EngineProfile
{
    public static void Run(string[] args)
    {
        int rounds = 15;
        for (int i = 0; i < args.Length - 1; i++)
            if (args[i] == "--rounds") rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        var (data, labels) = FloorBenchmark.DiabetesRows(5000);
        var weights = new float[] { 0.3f, -1.7f, 5.1f, 3.3f, -0.9f, 0.4f, -2.2f, 1.9f, 4.4f, 0.8f };
        var nothing = new DelegateModel(10, ["y"], (_, n, outputs) => outputs[..n].Fill(1f), data.FeatureNames);
        var linear = new DelegateModel(10, ["y"], (inputs, n, outputs) =>
        {
            for (int r = 0; r < n; r++)
                outputs[r] = 150f + System.Numerics.Tensors.TensorPrimitives.Dot(inputs.Slice(r * 10, 10), weights) * 100f;
        }, data.FeatureNames);
        int loop = Array.IndexOf(args, "--loop");
        if (loop >= 0)
        {
            // For a sampling profiler (dotnet-trace): one case, over and over.
            var loopModel = args.Contains("linear") ? linear : nothing;
            Func<Explanation> call = args[loop + 1] switch
            {
                "pdp" => () => new PartialDependenceExplainer(loopModel, new PartialDependenceOptions { GridPoints = 20 }).Explain(data, "bmi"),
                "ale" => () => new AccumulatedLocalEffectsExplainer(loopModel).Explain(data, "bmi"),
                _ => () => new PermutationImportanceExplainer(loopModel, new PermutationImportanceOptions { Repeats = 30 }).Explain(data, labels),
            };
            var watch = Stopwatch.StartNew();
            int calls = 0;
            while (watch.Elapsed.TotalSeconds < 10) { call(); calls++; }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{calls} calls of {args[loop + 1]} in {watch.Elapsed.TotalSeconds:F1} s; gen2 collections {GC.CollectionCount(2)}, GC pauses {GC.GetTotalPauseDuration().TotalSeconds:F3} s"));
            return;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Engine profile: 5,000 rows x 10 features; medians of {rounds} calls; {Environment.ProcessorCount} cores, load average {LoadAverage()}"));
        Console.WriteLine("| case | model | wall s | CPU s | least CPU s |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (name, model) in new[] { ("nothing", nothing), ("linear", linear) })
        {
            var pi = new PermutationImportanceExplainer(model, new PermutationImportanceOptions { Repeats = 30 });
            Measure("permutation importance x30", name, rounds, () => pi.Explain(data, labels));
            var pdp = new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 20 });
            Measure("PDP bmi x20", name, rounds, () => pdp.Explain(data, "bmi"));
            var ale = new AccumulatedLocalEffectsExplainer(model);
            Measure("ALE bmi, 20 bins", name, rounds, () => ale.Explain(data, "bmi"));
        }

        Console.WriteLine();
        Console.WriteLine("Sections, one thread (medians of the rounds; CPU = this process's):");
        var explainer = new PermutationImportanceExplainer(nothing, new PermutationImportanceOptions { Repeats = 30 });
        Section("300 permutations of 5,000 rows", rounds, () =>
        {
            for (int job = 0; job < 300; job++) explainer.Permutation(job, 5000);
        });
        var gridExplainer = new PartialDependenceExplainer(nothing, new PartialDependenceOptions { GridPoints = 20 });
        int bmi = data.IndexOf("bmi");
        Section("PDP's automatic grid of bmi (5,000 rows), 100 times", rounds, () =>
        {
            for (int i = 0; i < 100; i++) gridExplainer.GridFor(data, bmi);
        });
        var linearOutputs = new float[5000];
        linear.Predict(data.Values, 5000, linearOutputs);
        foreach (var (name, outputs) in new[] { ("outputs 1", Enumerable.Repeat(1f, 5000).ToArray()), ("linear outputs", linearOutputs) })
        {
            Section($"squared-error terms of 1.5 M rows, exact sums ({name})", rounds, () =>
            {
                for (int job = 0; job < 301; job++)
                {
                    var sum = new ExactSum();
                    for (int r = 0; r < 5000; r++)
                    {
                        double e = outputs[r] - (double)labels[r];
                        sum.Add(e * e);
                    }
                    _ = sum.Value;
                }
            });
            // The engine's own metric sum (internal), bound once through reflection.
            var engineSum = (MetricSum)Delegate.CreateDelegate(typeof(MetricSum), typeof(ExactSum).Assembly
                .GetType("Interactive.Xai.Numerics.Metrics")!.GetMethod("Sum", BindingFlags.Public | BindingFlags.Static)!);
            Section($"the same through the engine's Metrics.Sum ({name})", rounds, () =>
            {
                for (int job = 0; job < 301; job++) _ = engineSum(PermutationMetric.MeanSquaredError, outputs, 1, 0, labels).Value;
            });
            Section($"100,000 PDP outputs, 20 exact sums ({name})", rounds, () =>
            {
                var cells = new ExactSum[20];
                for (int i = 0; i < 20; i++) cells[i] = new ExactSum();
                for (int r = 0; r < 5000; r++)
                    for (int p = 0; p < 20; p++) cells[p].Add(outputs[(r + p) % 5000]);
                foreach (var cell in cells) _ = cell.Value;
            });
        }
    }

    private delegate ExactSum MetricSum(PermutationMetric metric, ReadOnlySpan<float> predictions, int outputs, int output, ReadOnlySpan<float> labels);

    private static void Measure(string name, string model, int rounds, Func<Explanation> run)
    {
        for (int i = 0; i < 3; i++) run();
        var wall = new List<double>();
        var cpu = new List<double>();
        var process = Process.GetCurrentProcess();
        for (int i = 0; i < rounds; i++)
        {
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            run();
            wall.Add(watch.Elapsed.TotalSeconds);
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - cpuBefore).TotalSeconds);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {model} | {Median(wall):F4} | {Median(cpu):F4} | {cpu.Min():F4} |"));
    }

    private static void Section(string name, int rounds, Action run)
    {
        run();
        var times = new List<double>();
        var cpu = new List<double>();
        var process = Process.GetCurrentProcess();
        for (int i = 0; i < rounds; i++)
        {
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            run();
            times.Add(watch.Elapsed.TotalSeconds);
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - cpuBefore).TotalSeconds);
        }
        // Wall time suffers most from a crowded machine; the least CPU time of the rounds suffers least.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: wall {Median(times):F4} s, CPU {Median(cpu):F4} s (least {cpu.Min():F4} s)"));
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static string LoadAverage()
        => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
