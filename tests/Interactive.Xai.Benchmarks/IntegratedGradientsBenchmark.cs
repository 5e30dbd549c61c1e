// Integrated Gradients throughput: 256 digits images (8x8 = 64 features), 50 steps, each row's predicted class,
// through any IDifferentiableModel: a C# ReLU MLP 64-32-10 with hand-written backprop, the TorchSharp digits CNN
// trained in process (BuiltInModels.TrainDigitsCnn, 8 epochs) and the same architecture loaded from TorchScript
// (tests/models/digits_cnn.pt through TorchModel). Prints images/s and the ratio of the explain call to the raw PredictWithGradient cost
// of the same 256 x 50 rows in the same run (same batch size and parallelism, inputs prepared beforehand), plus the
// engine's own cost (the same explain call through a model that does nothing). Best of --repeat calls after a warm-up.
// Run: dotnet run -c Release --project tests/Interactive.Xai.Benchmarks -- --ig [--repeat 5 --steps 50 --rows 256]
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai;
using Interactive.Xai.Tests;
using Interactive.Xai.Torch;

internal static class IntegratedGradientsBenchmark
{
    public static void Run(string[] args)
    {
        int repeat = 5, steps = 50, rows = 256;
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--repeat") repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--steps") steps = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--rows") rows = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        }
        var digits = Datasets.Digits().Features.Slice(0, rows);
        var mlp = new ReluNetwork(inputs: 64, hidden: 32, outputs: 10, seed: 1, inputScale: 16).Model();
        Console.WriteLine($"Integrated Gradients benchmark: {rows} digits rows x {steps} steps (Gauss-Legendre, zeros baseline, target predicted), batch 8192, {Environment.ProcessorCount} threads, best of {repeat}");
        Console.WriteLine($"{"model",-34} {"evaluations",12} {"ig s",9} {"images/s",10} {"raw f+b s",10} {"ratio",6} {"engine-only s",14} {"max |delta|",12}");
        Measure("C# ReLU MLP 64-32-10", mlp, digits, steps, repeat);
        using (var cnn = BuiltInModels.TrainDigitsCnn(seed: 42, epochs: 8))
            Measure("TorchSharp DigitsCnn (BuiltInModels)", cnn.Model, digits, steps, repeat);
        using (var script = TorchModel.Load(Path.Combine(AppContext.BaseDirectory, "models", "digits_cnn.pt"), [1, 8, 8]))
            Measure("TorchScript digits_cnn.pt", script, digits, steps, repeat);
    }

    /// <summary>Measures IG on <paramref name="model"/> against its raw PredictWithGradient cost for the same rows.</summary>
    public static void Measure(string name, IDifferentiableModel model, FeatureTable rows, int steps, int repeat)
    {
        var options = new IntegratedGradientsOptions { Steps = steps, InputShape = [1, 8, 8] };
        var explainer = new IntegratedGradientsExplainer(model, options);
        int m = model.FeatureCount, k = model.OutputCount();
        var noop = new DifferentiableDelegateModel(m, model.OutputNames, (_, _, o) => o.Clear(), (_, _, _, o, g) => { o.Clear(); g.Clear(); });
        var engineOnly = new IntegratedGradientsExplainer(noop, options);

        // The raw cost: the same n x steps gradient rows (each row's predicted class) in batches of the same size.
        int total = rows.RowCount * steps, batch = Math.Min(options.BatchSize, total);
        var predictions = model.Predict(rows);
        var inputs = new float[total * m];
        var indices = new int[total];
        for (int e = 0; e < total; e++)
        {
            int r = e / steps;
            float alpha = (e % steps + 0.5f) / steps;
            var x = rows.Row(r);
            for (int j = 0; j < m; j++) inputs[e * m + j] = alpha * x[j];
            int top = 0;
            for (int o = 1; o < k; o++) if (predictions[r * k + o] > predictions[r * k + top]) top = o;
            indices[e] = top;
        }

        explainer.Explain(rows, OutputTarget.Predicted);
        engineOnly.Explain(rows, OutputTarget.Predicted);
        RawSeconds();
        double best = double.MaxValue, bestRaw = double.MaxValue, bestEngine = double.MaxValue, delta = 0;
        long evaluations = 0;
        for (int i = 0; i < repeat; i++)
        {
            var result = explainer.Explain(rows, OutputTarget.Predicted);
            best = Math.Min(best, result.Elapsed.TotalSeconds);
            evaluations = result.ModelEvaluations;
            delta = result.AdditivityError;
            bestRaw = Math.Min(bestRaw, RawSeconds());
            bestEngine = Math.Min(bestEngine, engineOnly.Explain(rows, OutputTarget.Predicted).Elapsed.TotalSeconds);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-34} {evaluations,12} {best,9:F4} {rows.RowCount / best,10:F0} {bestRaw,10:F4} {best / bestRaw,6:F2} {bestEngine,14:F4} {delta,12:E2}"));

        double RawSeconds()
        {
            long batches = (total + batch - 1) / batch;
            int parallelism = model.IsThreadSafe ? (int)Math.Min(batches, Environment.ProcessorCount) : 1;
            var stopwatch = Stopwatch.StartNew();
            long next = -1;
            if (parallelism == 1)
            {
                // As the engine does for a model that is not thread-safe (TorchSharp): one batch after another on the calling thread.
                var outputs = new float[batch * k];
                var gradients = new float[batch * m];
                for (long b = 0; b < batches; b++)
                {
                    int first = (int)(b * batch), n = Math.Min(batch, total - first);
                    model.PredictWithGradient(inputs.AsSpan(first * m, n * m), n, indices.AsSpan(first, n), outputs.AsSpan(0, n * k), gradients.AsSpan(0, n * m));
                }
                return stopwatch.Elapsed.TotalSeconds;
            }
            var workers = Enumerable.Range(0, parallelism).Select(_ => Task.Factory.StartNew(() =>
            {
                var outputs = new float[batch * k];
                var gradients = new float[batch * m];
                while (true)
                {
                    long b = Interlocked.Increment(ref next);
                    if (b >= batches) return;
                    int first = (int)(b * batch), n = Math.Min(batch, total - first);
                    model.PredictWithGradient(inputs.AsSpan(first * m, n * m), n, indices.AsSpan(first, n), outputs.AsSpan(0, n * k), gradients.AsSpan(0, n * m));
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            Task.WaitAll(workers);
            return stopwatch.Elapsed.TotalSeconds;
        }
    }
}
