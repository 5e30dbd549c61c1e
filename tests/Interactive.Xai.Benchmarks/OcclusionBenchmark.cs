// Occlusion on 8 x 8 digit images through a C# MLP 64-64-10 (ReLU, seeded random weights, TensorPrimitives dot
// products): for several patch settings, the wall time of the explain call, the time the same number of raw model
// evaluations take in the same run (same batch size and parallelism, inputs prepared beforehand), their ratio, and
// the engine's own cost (the same explain call through a model that does nothing). Best of --repeat after a warm-up.
// Run: dotnet run -c Release --project tests/Interactive.Xai.Benchmarks -- --occlusion [--rows 500 --repeat 3]
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Interactive.Xai;

internal static class OcclusionBenchmark
{
    private const int Features = 64, Hidden = 64, Classes = 10, BatchSize = 8192;

    public static void Run(string[] args)
    {
        int rows = 500, repeat = 3;
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--rows") rows = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--repeat") repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        }
        var digits = Datasets.Digits().Features;
        var data = digits.Slice(0, Math.Min(rows, digits.RowCount));
        var model = Mlp(seed: 3);
        var noop = new DelegateModel(Features, Enumerable.Range(0, Classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray(),
            (inputs, n, outputs) => outputs.Clear());
        int parallelism = Environment.ProcessorCount;

        (string Name, OcclusionOptions Options, OutputTarget Target)[] cases =
        [
            ("1x1 patches, predicted", new OcclusionOptions { InputShape = [1, 8, 8] }, OutputTarget.Predicted),
            ("2x2 stride 1, predicted", new OcclusionOptions { InputShape = [1, 8, 8], PatchHeight = 2, PatchWidth = 2 }, OutputTarget.Predicted),
            ("2x2 stride 1, all 10 outputs", new OcclusionOptions { InputShape = [1, 8, 8], PatchHeight = 2, PatchWidth = 2 }, OutputTarget.All),
            ("3x3 stride 2, predicted", new OcclusionOptions { InputShape = [1, 8, 8], PatchHeight = 3, PatchWidth = 3, StrideHeight = 2, StrideWidth = 2 }, OutputTarget.Predicted),
        ];
        Console.WriteLine($"Occlusion benchmark: C# MLP 64-64-10 on {data.RowCount} digit images (8 x 8), batch {BatchSize}, {parallelism} threads, best of {repeat}");
        Console.WriteLine($"{"setting",-30} {"evaluations",12} {"explain s",10} {"raw model s",12} {"ratio",6} {"engine-only s",14}");
        foreach (var (name, options, target) in cases)
        {
            var explainer = new OcclusionExplainer(model, options with { BatchSize = BatchSize });
            var empty = new OcclusionExplainer(noop, options with { BatchSize = BatchSize });
            explainer.Explain(data, target);
            empty.Explain(data, target);
            double best = double.MaxValue, bestRaw = double.MaxValue, bestEngine = double.MaxValue;
            long evaluations = 0;
            for (int k = 0; k < repeat; k++)
            {
                var result = explainer.Explain(data, target);
                evaluations = result.ModelEvaluations;
                best = Math.Min(best, result.Elapsed.TotalSeconds);
                bestRaw = Math.Min(bestRaw, RawSeconds(model, data, evaluations, parallelism));
                bestEngine = Math.Min(bestEngine, empty.Explain(data, target).Elapsed.TotalSeconds);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-30} {evaluations,12} {best,10:F4} {bestRaw,12:F4} {best / bestRaw,6:F2} {bestEngine,14:F4}"));
        }
    }

    private static DelegateModel Mlp(int seed)
    {
        var random = new Random(seed);
        float Weight(int fanIn) => (float)((random.NextDouble() * 2 - 1) / Math.Sqrt(fanIn));
        var w1 = Enumerable.Range(0, Hidden * Features).Select(_ => Weight(Features) / 16f).ToArray();
        var w2 = Enumerable.Range(0, Classes * Hidden).Select(_ => Weight(Hidden)).ToArray();
        return new DelegateModel(Features, Enumerable.Range(0, Classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray(), (inputs, n, outputs) =>
        {
            Span<float> hidden = stackalloc float[Hidden];
            for (int r = 0; r < n; r++)
            {
                var x = inputs.Slice(r * Features, Features);
                for (int h = 0; h < Hidden; h++) hidden[h] = Math.Max(0, TensorPrimitives.Dot(w1.AsSpan(h * Features, Features), x));
                for (int c = 0; c < Classes; c++) outputs[r * Classes + c] = TensorPrimitives.Dot(w2.AsSpan(c * Hidden, Hidden), hidden);
            }
        });
    }

    /// <summary>The same number of model evaluations in batches of the same size, in parallel, with inputs prepared beforehand.</summary>
    private static double RawSeconds(IModel model, FeatureTable data, long evaluations, int parallelism)
    {
        var inputs = new float[BatchSize * Features];
        for (int i = 0; i < BatchSize; i++) data.Row(i % data.RowCount).CopyTo(inputs.AsSpan(i * Features, Features));
        long batches = (evaluations + BatchSize - 1) / BatchSize;
        var stopwatch = Stopwatch.StartNew();
        long next = -1;
        var workers = Enumerable.Range(0, (int)Math.Min(parallelism, batches)).Select(_ => Task.Factory.StartNew(() =>
        {
            var outputs = new float[BatchSize * Classes];
            while (true)
            {
                long b = Interlocked.Increment(ref next);
                if (b >= batches) return;
                int n = (int)Math.Min(BatchSize, evaluations - b * BatchSize);
                model.Predict(inputs.AsSpan(0, n * Features), n, outputs.AsSpan(0, n * Classes));
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(workers);
        return stopwatch.Elapsed.TotalSeconds;
    }
}
