// The notebook session cache: a cold #!xai-explain of 100 rows (a new session: k-means background summary,
// background predictions and, for Kernel SHAP, the coalition design all computed) against a second explain of 100
// other rows with the same model and data in the same session (all of that reused from the cache). Both go through
// the magic-command dispatcher exactly as a notebook cell does, on the ONNX MLP over the diabetes rows resampled to
// --data-rows rows (default 20,000), background a k-means summary of --background-size rows (default 10).
// Figures are the best of --repeat runs, each warm run on rows no earlier run explained.
// Run: dotnet run -c Release --project tests/Interactive.Xai.Benchmarks -- --cache [--data-rows 20000 --repeat 5]
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai;
using Interactive.Xai.Notebook;
using Interactive.Xai.Onnx;

internal static class CacheBenchmark
{
    private const int Rows = 100;

    public static void Run(string[] args)
    {
        int dataRows = 20_000, repeat = 5;
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--data-rows") dataRows = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--repeat") repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        }
        var diabetes = Datasets.Diabetes().Features;
        var random = new Random(3);
        var data = diabetes.SelectRows(Enumerable.Range(0, dataRows).Select(_ => random.Next(diabetes.RowCount)));
        using var model = OnnxModel.Load(Path.Combine(AppContext.BaseDirectory, "models", "mlp10.onnx"));
        var variables = new VariableSource(new Dictionary<string, object?> { ["model"] = model, ["data"] = data });

        Console.WriteLine($"session cache: explain {Rows} rows of {dataRows:N0} x 10 through the ONNX MLP, k-means background of 10 rows; best of {repeat}");
        Console.WriteLine("| method | cold s | second explain s | ratio cold/second |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var method in new[] { "exact-shap", "kernel-shap --samples 500", "kernel-shap --samples 2000" })
        {
            Explain(new MagicCommandDispatcher(), variables, method, 0); // JIT warm-up
            double cold = double.MaxValue, warm = double.MaxValue;
            var session = new MagicCommandDispatcher();
            Explain(session, variables, method, 0);
            for (int r = 0; r < repeat; r++)
            {
                cold = Math.Min(cold, Explain(new MagicCommandDispatcher(), variables, method, (r + 1) * Rows));
                warm = Math.Min(warm, Explain(session, variables, method, (r + 1) * Rows));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {method} | {cold:F4} | {warm:F4} | {cold / warm:F1} |"));
        }
    }

    private static double Explain(MagicCommandDispatcher dispatcher, IVariableSource variables, string method, int first)
    {
        var stopwatch = Stopwatch.StartNew();
        var result = dispatcher.Execute($"#!xai-explain --model model --data data --rows {first}-{first + Rows - 1} --method {method}", variables, _ => { });
        stopwatch.Stop();
        if (!result.Succeeded) throw new InvalidOperationException(result.Error);
        return stopwatch.Elapsed.TotalSeconds;
    }
}
