// Prints, for each explainer on the 10-feature ONNX MLP, the wall time of the explain call and its ratio to the
// time the same number of raw model evaluations take in the same run (same batch size, same parallelism).
// Run: dotnet run -c Release --project tests/Interactive.Xai.Benchmarks [-- --rows 200 --repeat 3]
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai;
using Interactive.Xai.Onnx;

int rows = 100, repeat = 3;
for (int i = 0; i < args.Length - 1; i++)
{
    if (args[i] == "--rows") rows = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
    if (args[i] == "--repeat") repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
}

using var model = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "models", "mlp10.onnx"));
var random = new Random(1);
float[,] Random(int n)
{
    var values = new float[n, 10];
    for (int r = 0; r < n; r++) for (int c = 0; c < 10; c++) values[r, c] = (float)(random.NextDouble() * 2 - 1);
    return values;
}
var data = FeatureTable.FromArray(Random(1000));
var explained = data.Slice(0, rows);
var labels = model.Predict(data).Select(v => v + (float)(random.NextDouble() - 0.5)).ToArray();
var background = WeightedBackground.KMeans(data, 10, seed: 1);
const int batchSize = 8192;
int parallelism = Environment.ProcessorCount;

var cases = new (string Name, Func<Explanation> Run)[]
{
    ("exact-shap", () => new ExactShapleyExplainer(model, background).Explain(explained)),
    ("kernel-shap (exact fallback)", () => new KernelShapExplainer(model, background).Explain(explained)),
    ("kernel-shap (500 samples)", () => new KernelShapExplainer(model, background, new KernelShapOptions { Samples = 500 }).Explain(explained)),
    ("permutation-importance", () => new PermutationImportanceExplainer(model, new PermutationImportanceOptions { Repeats = 5 }).Explain(data, labels)),
    ("pdp (1000 rows x 50)", () => new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 50 }).Explain(data, 0)),
    ("ale (1000 rows, 20 bins)", () => new AccumulatedLocalEffectsExplainer(model).Explain(data, 0)),
};

Console.WriteLine($"Interactive.Xai benchmark: ONNX MLP 10-32-32-1, {rows} rows explained, background 10 rows, batch {batchSize}, {parallelism} threads, best of {repeat}");
Console.WriteLine($"{"method",-30} {"evaluations",12} {"explain s",10} {"raw model s",12} {"ratio",7} {"evals/s",12}");
foreach (var (name, run) in cases)
{
    run(); // warm-up
    double best = double.MaxValue, bestRaw = double.MaxValue;
    long evaluations = 0;
    for (int k = 0; k < repeat; k++)
    {
        var result = run();
        best = Math.Min(best, result.Elapsed.TotalSeconds);
        evaluations = result.ModelEvaluations;
        bestRaw = Math.Min(bestRaw, RawSeconds(evaluations));
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-30} {evaluations,12} {best,10:F4} {bestRaw,12:F4} {best / bestRaw,7:F2} {evaluations / best,12:E2}"));
}

// The same number of model evaluations in batches of the same size, in parallel, with inputs prepared beforehand.
double RawSeconds(long evaluations)
{
    var inputs = new float[batchSize * 10];
    for (int i = 0; i < inputs.Length; i++) inputs[i] = (float)(random.NextDouble() * 2 - 1);
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
            model.Predict(inputs.AsSpan(0, n * 10), n, outputs.AsSpan(0, n));
        }
    }, TaskCreationOptions.LongRunning)).ToArray();
    Task.WaitAll(workers);
    return stopwatch.Elapsed.TotalSeconds;
}
