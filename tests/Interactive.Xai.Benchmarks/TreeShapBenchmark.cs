// Tree SHAP on an ML.NET FastTree model (100 trees of 20 leaves) over 5,000 rows x 10 features (the 442 diabetes rows
// resampled with replacement), against the engine's exact Shapley values on the same ML.NET model.
// Prints rows/s for path-dependent and interventional Tree SHAP (all 5,000 rows) and seconds per row for exact
// Shapley (on fewer rows, same background), and their ratio per row. Figures are the best of --repeat calls after
// a warm-up call.
// Run: dotnet run -c Release --project tests/Interactive.Xai.Benchmarks -- --tree-shap [--exact-rows 20 --repeat 3]
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai;
using Interactive.Xai.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

internal static class TreeShapBenchmark
{
    private const int Rows = 5000;

    public static void Run(string[] args)
    {
        int exactRows = 20, repeat = 3, backgroundSize = 10;
        for (int i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--exact-rows") exactRows = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            if (args[i] == "--repeat") repeat = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
        }

        var diabetes = Datasets.Diabetes();
        var random = new Random(7);
        var picks = Enumerable.Range(0, Rows).Select(_ => random.Next(diabetes.Features.RowCount)).ToArray();
        var data = diabetes.Features.SelectRows(picks);
        var labels = picks.Select(p => diabetes.Labels[p]).ToArray();

        var context = new MLContext(seed: 0);
        var training = context.Data.LoadFromEnumerable(Enumerable.Range(0, Rows).Select(r => new Row { Features = data.Row(r).ToArray(), Label = labels[r] }));
        var trainer = context.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
        {
            NumberOfTrees = 100, NumberOfLeaves = 20, MinimumExampleCountPerLeaf = 10, LearningRate = 0.1, Seed = 1,
        });
        var stopwatch = Stopwatch.StartNew();
        var transformer = trainer.Fit(training);
        double trainSeconds = stopwatch.Elapsed.TotalSeconds;
        using var model = new MLNetModel(transformer, training.Schema, null, "FastTree 100x20");
        var ensemble = model.TreeEnsemble;
        var covered = ensemble.WithCovers(data);
        var background = WeightedBackground.KMeans(data, backgroundSize, seed: 1);
        var exactData = data.Slice(0, exactRows);

        var pathDependent = new TreeShapExplainer(covered);
        var interventional = new TreeShapExplainer(ensemble, background);
        var exact = new ExactShapleyExplainer(model, background);
        var exactOnTrees = new ExactShapleyExplainer(ensemble, background);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Tree SHAP benchmark: ML.NET FastTree, {ensemble.Trees.Length} trees, {ensemble.Trees.Average(t => t.LeafCount):F1} leaves/tree, max depth {ensemble.Trees.Max(t => t.Depth)}, trained in {trainSeconds:F1} s on {Rows} rows x {data.ColumnCount} features (diabetes resampled), {Environment.ProcessorCount} threads, best of {repeat}"));
        Console.WriteLine($"{"method",-52} {"rows",6} {"seconds",9} {"rows/s",10} {"ms/row",9}");
        double path = Measure("tree-shap path-dependent (covers from the 5,000 rows)", Rows, () => pathDependent.Explain(data), repeat);
        double inter = Measure($"tree-shap interventional ({backgroundSize} k-means background rows)", Rows, () => interventional.Explain(data), repeat);
        double exactSeconds = Measure($"exact-shap on the MLNetModel (same background)", exactRows, () => exact.Explain(exactData), repeat);
        double exactTrees = Measure($"exact-shap on the extracted trees as an IModel", exactRows, () => exactOnTrees.Explain(exactData), repeat);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"per row, exact-shap on the MLNetModel / tree-shap interventional = {exactSeconds / inter:F0}x; / tree-shap path-dependent = {exactSeconds / path:F0}x; exact-shap on the extracted trees / tree-shap interventional = {exactTrees / inter:F0}x"));

        var a = interventional.Explain(exactData);
        var b = exact.Explain(exactData);
        double worst = a.Values.Zip(b.Values, (x, y) => Math.Abs(x - y)).Max();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"check: largest |tree-shap interventional - exact-shap| over {exactRows} rows = {worst:E2}; path-dependent additivity error = {pathDependent.Explain(exactData).AdditivityError:E2}"));
    }

    // Seconds per row, best of `repeat` calls after one warm-up call.
    private static double Measure(string name, int rows, Func<Explanation> run, int repeat)
    {
        run();
        double best = double.MaxValue;
        for (int k = 0; k < repeat; k++)
        {
            var stopwatch = Stopwatch.StartNew();
            run();
            best = Math.Min(best, stopwatch.Elapsed.TotalSeconds);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-52} {rows,6} {best,9:F4} {rows / best,10:F0} {1000 * best / rows,9:F4}"));
        return best / rows;
    }

    private sealed class Row
    {
        [VectorType(10)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }
}
