// TorchSharp: the TorchModel adapter and Grad-CAM on the PyTorch digits CNN (tests/models/digits_cnn.pt, TorchScript)
// over all 1,797 digits, against the raw TorchScript module called on a ready tensor in the same run:
//   predict             TorchModel.Predict (span -> tensor copy, no_grad, eval mode, output copy) vs module.call(x) under no_grad
//   predict+gradient    TorchModel.PredictWithGradient (one output per row) vs raw forward + gather + autograd.grad
//   grad-cam            GradCamExplainer (layer conv2, target 'predicted', 256-row batches, TorchScript children run
//                       one by one) vs the raw forward + autograd.grad of the same rows
//   exact-shap          ExactShapleyExplainer on diabetes_mlp.pt (10 features, 20 rows, 10 k-means background rows)
//                       vs TorchModel.Predict on the same number of rows in 8,192-row batches
// Figures are the best of --repeat calls after a warm-up call. libtorch uses its own intra-op threads.
// Run: dotnet run -c Release --project tests/Interactive.Xai.Benchmarks -- --torch [--repeat 5]
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai;
using Interactive.Xai.Torch;
using TorchSharp;
using static TorchSharp.torch;

internal static class TorchBenchmark
{
    public static void Run(string[] args)
    {
        int repeat = 5;
        for (int i = 0; i < args.Length - 1; i++)
            if (args[i] == "--repeat") repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture);

        TorchRuntime.EnsureAvailable();
        var digits = Datasets.Digits().Features;
        int n = digits.RowCount;
        using var model = TorchModel.Load(Path.Combine(AppContext.BaseDirectory, "models", "digits_cnn.pt"), [1, 8, 8]);
        var script = (nn.IModule<Tensor, Tensor>)model.Module;
        var outputs = new float[n * 10];
        var gradients = new float[n * 64];
        var targets = new int[n];
        model.Predict(digits.Values, n, outputs);
        for (int r = 0; r < n; r++)
            for (int k = 1; k < 10; k++) if (outputs[r * 10 + k] > outputs[r * 10 + targets[r]]) targets[r] = k;
        using var x = tensor(digits.Values.ToArray()).reshape(n, 1, 8, 8);
        using var index = tensor(targets.Select(t => (long)t).ToArray()).unsqueeze(1);

        Console.WriteLine($"Interactive.Xai TorchSharp benchmark: digits_cnn.pt (TorchScript) on {n} digits, {torch.get_num_threads()} libtorch threads, best of {repeat}");
        Console.WriteLine($"{"step",-22} {"rows",6} {"xai s",10} {"raw s",10} {"ratio",6}");

        Report("predict", n,
            () => model.Predict(digits.Values, n, outputs),
            () =>
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                script.call(x);
            }, repeat);

        Report("predict+gradient", n,
            () => model.PredictWithGradient(digits.Values, n, targets, outputs, gradients),
            () =>
            {
                using var scope = NewDisposeScope();
                var input = x.detach().requires_grad_(true);
                var y = script.call(input);
                autograd.grad([y.gather(1, index).sum()], [input]);
            }, repeat);

        var gradCam = new GradCamExplainer(model, "conv2");
        Report("grad-cam conv2", n,
            () => gradCam.Explain(digits, OutputTarget.Predicted),
            () =>
            {
                using var scope = NewDisposeScope();
                var input = x.detach().requires_grad_(true);
                var y = script.call(input);
                autograd.grad([y.gather(1, index).sum()], [input]);
            }, repeat);

        var diabetes = Datasets.Diabetes().Features;
        using var mlp = TorchModel.Load(Path.Combine(AppContext.BaseDirectory, "models", "diabetes_mlp.pt"), [10]);
        var shap = new ExactShapleyExplainer(mlp, WeightedBackground.KMeans(diabetes, 10, seed: 1));
        var rows = diabetes.Slice(0, 20);
        long evaluations = shap.Explain(rows).ModelEvaluations;
        var batch = new float[8192 * 10];
        for (int i = 0; i < 8192; i++) diabetes.Row(i % diabetes.RowCount).CopyTo(batch.AsSpan(i * 10, 10));
        var batchOut = new float[8192];
        Report($"exact-shap ({evaluations} ev)", rows.RowCount,
            () => shap.Explain(rows),
            () =>
            {
                for (long done = 0; done < evaluations; done += 8192)
                {
                    int count = (int)Math.Min(8192, evaluations - done);
                    mlp.Predict(batch.AsSpan(0, count * 10), count, batchOut);
                }
            }, repeat);
    }

    private static void Report(string name, int rows, Action xai, Action raw, int repeat)
    {
        xai();
        raw();
        double best = double.MaxValue, bestRaw = double.MaxValue;
        for (int k = 0; k < repeat; k++)
        {
            best = Math.Min(best, Time(xai));
            bestRaw = Math.Min(bestRaw, Time(raw));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-22} {rows,6} {best,10:F4} {bestRaw,10:F4} {best / bestRaw,6:F2}"));
    }

    private static double Time(Action action)
    {
        var stopwatch = Stopwatch.StartNew();
        action();
        return stopwatch.Elapsed.TotalSeconds;
    }
}
