// Prints, for each explainer on the 10-feature ONNX MLP, the wall time of the explain call and its ratio to the
// time the same number of raw model evaluations take in the same run (same batch size, same parallelism), plus
// the engine's own cost (the same explain call through a model that does nothing).
// Explainers are built once and warmed up, as a notebook or service uses them; the figures are the best of
// several explain calls.
// Run: dotnet run -c Release --project tests/Interactive.Xai.Benchmarks [-- --rows 200 --repeat 5]
// With --floor it prints issue 15's table instead (FloorBenchmark.cs): each case's CLI first call, warm call and engine
// overhead as ratios to the model-evaluation floor, scaling in rows and workers.
// With --charts it prints chart serialisation figures instead (ChartBenchmark.cs); with --tree-shap, the Tree SHAP
// benchmark (TreeShapBenchmark.cs); with --ig, Integrated Gradients throughput (IntegratedGradientsBenchmark.cs); with
// --occlusion, the occlusion benchmark on digit images (OcclusionBenchmark.cs); with --torch, the TorchSharp adapter and Grad-CAM (TorchBenchmark.cs); with --cache, the
// notebook session cache (CacheBenchmark.cs), after the first-call figures (FirstCallBenchmark.cs: first call in a fresh
// process, the same command repeated, new rows on the same model; --first-call prints only those); with --memory, the
// peak resident memory of the built xai command per method at 1M rows x 10 features (MemoryBenchmark.cs); with --cluster, the Orleans cluster against the in-process run
// (ClusterBenchmark.cs).
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai;
using Interactive.Xai.Onnx;

if (args.Contains("--engine-profile"))
{
    EngineProfile.Run(args);
    return;
}
if (args.Contains("--memory"))
{
    MemoryBenchmark.Run(args);
    return;
}
if (args.Contains("--floor-torch-load"))
{
    // In a fresh process: the time to load libtorch and pass the convolution check (from the cache or run).
    var watch = System.Diagnostics.Stopwatch.StartNew();
    Interactive.Xai.Torch.TorchRuntime.EnsureAvailable();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"EnsureAvailable {watch.Elapsed.TotalSeconds:F4} s, check from cache: {Interactive.Xai.Torch.TorchRuntime.ConvolutionCheck!.FromCache}"));
    return;
}
if (args.Contains("--floor-ort-options"))
{
    FloorBenchmark.OrtOptions(args.Contains("pattern"), args.Contains("arena"));
    return;
}
if (args.Contains("--floor-session"))
{
    FloorBenchmark.SessionVariants();
    return;
}
if (args.Contains("--floor-scaling"))
{
    FloorBenchmark.ScalingOnly(args);
    return;
}
if (args.Contains("--floor-batch"))
{
    FloorBenchmark.BatchSizes();
    return;
}
if (args.Contains("--floor-cpu"))
{
    FloorBenchmark.CpuCheck();
    return;
}
if (args.Contains("--floor-onnx-phases"))
{
    FloorBenchmark.OnnxPhases();
    return;
}
if (args.Contains("--floor"))
{
    FloorBenchmark.Run(args);
    return;
}
if (args.Contains("--charts"))
{
    Interactive.Xai.Benchmarks.ChartBenchmark.Run();
    return;
}
if (args.Contains("--first-call-session"))
{
    FirstCallBenchmark.Session(args.Contains("--warm-up"));
    return;
}
if (args.Contains("--first-call-phases"))
{
    FirstCallBenchmark.Phases(args.Contains("--warm-up"));
    return;
}
if (args.Contains("--first-call"))
{
    FirstCallBenchmark.Run();
    return;
}
if (args.Contains("--cache"))
{
    FirstCallBenchmark.Run();
    CacheBenchmark.Run(args);
    return;
}
if (args.Contains("--torch"))
{
    TorchBenchmark.Run(args);
    return;
}
if (args.Contains("--occlusion"))
{
    OcclusionBenchmark.Run(args);
    return;
}
if (args.Contains("--ig"))
{
    IntegratedGradientsBenchmark.Run(args);
    return;
}
if (args.Contains("--cluster"))
{
    ClusterBenchmark.Run(args);
    return;
}
if (args.Contains("--tree-shap"))
{
    TreeShapBenchmark.Run(args);
    return;
}

int rows = 100, repeat = 5;
for (int i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--rows") rows = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    if (args[i] == "--repeat") repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
}

using var onnx = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "models", "mlp10.onnx"));
var noop = new DelegateModel(10, ["y"], (inputs, n, outputs) => outputs.Clear());
var diabetes = Datasets.Diabetes();
var data = diabetes.Features;
var explained = data.Slice(0, Math.Min(rows, data.RowCount));
var background = WeightedBackground.KMeans(data, 10, seed: 1);
const int batchSize = 8192;
int parallelism = Environment.ProcessorCount;
var random = new Random(1);

Func<IModel, Func<Explanation>>[] factories =
[
    m => { var e = new ExactShapleyExplainer(m, background); return () => e.Explain(explained); },
    m => { var e = new KernelShapExplainer(m, background); return () => e.Explain(explained); },
    m => { var e = new KernelShapExplainer(m, background, new KernelShapOptions { Samples = 500 }); return () => e.Explain(explained); },
    m => { var e = new PermutationImportanceExplainer(m, new PermutationImportanceOptions { Repeats = 5 }); return () => e.Explain(data, diabetes.Labels); },
    m => { var e = new PartialDependenceExplainer(m, new PartialDependenceOptions { GridPoints = 50 }); return () => e.Explain(data, "bmi"); },
    m => { var e = new AccumulatedLocalEffectsExplainer(m); return () => e.Explain(data, "bmi"); },
    m => { var e = new LimeExplainer(m, data, new LimeOptions { StabilityRuns = 1 }); return () => e.Explain(explained); },
    m => { var e = new LimeExplainer(m, data); return () => e.Explain(explained); },
];
string[] names = ["exact-shap", "kernel-shap (exact fallback)", "kernel-shap (500 samples)", "permutation-importance (442 rows)", "pdp (442 rows x 50)", "ale (442 rows, 20 bins)", "lime (5000 samples, 1 run)", "lime (5000 samples, 3 stability runs)"];

Console.WriteLine($"Interactive.Xai benchmark: ONNX MLP 10-32-32-1 on diabetes, {explained.RowCount} rows explained by the Shapley methods, background 10 k-means rows, batch {batchSize}, {parallelism} threads, best of {repeat}");
Console.WriteLine($"{"method",-34} {"evaluations",12} {"explain s",10} {"raw model s",12} {"ratio",6} {"engine-only s",14}");
for (int c = 0; c < factories.Length; c++)
{
    var run = factories[c](onnx);
    var overhead = factories[c](noop);
    run();
    overhead();
    double best = double.MaxValue, bestRaw = double.MaxValue, bestOverhead = double.MaxValue;
    long evaluations = 0;
    for (int k = 0; k < repeat; k++)
    {
        var result = run();
        best = Math.Min(best, result.Elapsed.TotalSeconds);
        evaluations = result.ModelEvaluations;
        bestRaw = Math.Min(bestRaw, RawSeconds(evaluations));
        bestOverhead = Math.Min(bestOverhead, overhead().Elapsed.TotalSeconds);
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{names[c],-34} {evaluations,12} {best,10:F4} {bestRaw,12:F4} {best / bestRaw,6:F2} {bestOverhead,14:F4}"));
}

// The same number of model evaluations in batches of the same size, in parallel, with inputs prepared beforehand.
double RawSeconds(long evaluations)
{
    var inputs = new float[batchSize * 10];
    for (int i = 0; i < batchSize; i++) data.Row(i % data.RowCount).CopyTo(inputs.AsSpan(i * 10, 10));
    long batches = (evaluations + batchSize - 1) / batchSize;
    var stopwatch = Stopwatch.StartNew();
    long next = -1;
    var workers = Enumerable.Range(0, (int)Math.Min(parallelism, batches)).Select(_ => Task.Factory.StartNew(() =>
    {
        var outputs = new float[batchSize];
        while (true)
        {
            long b = Interlocked.Increment(ref next);
            if (b >= batches) return;
            int n = (int)Math.Min(batchSize, evaluations - b * batchSize);
            onnx.Predict(inputs.AsSpan(0, n * 10), n, outputs.AsSpan(0, n));
        }
    }, TaskCreationOptions.LongRunning)).ToArray();
    Task.WaitAll(workers);
    return stopwatch.Elapsed.TotalSeconds;
}
