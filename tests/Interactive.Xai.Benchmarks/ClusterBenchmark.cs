// `-- --cluster [--rows 20000] [--workers 1,2,3] [--in-flight 2]`: a Kernel SHAP job on the 10-feature ONNX MLP, in
// process and on 1, 2 and 3 `xai worker` processes on this same machine (the same cores), warmed up first (one small job: the
// workers load the model and build their explainers). Prints the wall time of each, the cluster's overhead against the
// in-process run, the rows per second in all and per worker, and checks the values are identical to the in-process run.
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai;
using Interactive.Xai.Cluster;
using Interactive.Xai.Cluster.Tests;
using Interactive.Xai.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans;

internal static class ClusterBenchmark
{
    public static void Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int rows = Option(args, "--rows", 20_000);
        var counts = (Value(args, "--workers") ?? "1,2,3").Split(',').Select(t => int.Parse(t, inv)).ToArray();
        // partitions in flight per worker (ClusterJobOptions.InFlightPerWorker)
        int inFlight = Option(args, "--in-flight", new ClusterJobOptions().InFlightPerWorker);
        string modelPath = Path.Combine(AppContext.BaseDirectory, "models", "mlp10.onnx");
        using var loaded = ModelFiles.Load(modelPath);
        var data = Rows(rows, 7);
        var warmData = Rows(500, 8);
        var request = new ExplanationRequest { Method = "kernel-shap", Seed = 42 };
        Console.WriteLine($"Kernel SHAP, mlp10.onnx, {rows:N0} rows, default budget and background (10 k-means rows), {Environment.ProcessorCount} cores, {inFlight} partitions in flight per worker, load average {LoadAverage()}");

        new ExplanationRunner().Run(loaded.Model, warmData, request);
        var clock = Stopwatch.StartNew();
        var local = (AttributionExplanation)new ExplanationRunner().Run(loaded.Model, data, request);
        double localSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(inv, $"{"in process",-22} {localSeconds,8:F2} s {"",8} {rows / localSeconds,10:N0} rows/s  (load {LoadAverage()})"));

        foreach (int count in counts)
        {
            using var workers = Workers.Start(count);
            using var host = ClusterJob.ConnectAsync(workers.Address).GetAwaiter().GetResult();
            var client = host.Services.GetRequiredService<IClusterClient>();
            // warm-up: every worker loads the model and JIT-compiles (small partitions reach them all)
            ClusterJob.RunAsync(client, ClusterJob.Prepare(modelPath, loaded.Model, warmData, request), warmData,
                new ClusterJobOptions { RowsPerPartition = 25 }).GetAwaiter().GetResult();
            var job = ClusterJob.Prepare(modelPath, loaded.Model, data, request);
            clock.Restart();
            var clustered = ClusterJob.RunAsync(client, job, data, new ClusterJobOptions { InFlightPerWorker = inFlight }).GetAwaiter().GetResult();
            double seconds = clock.Elapsed.TotalSeconds;
            bool same = local.Values.SequenceEqual(clustered.Values) && local.StandardErrors.SequenceEqual(clustered.StandardErrors);
            Console.WriteLine(string.Create(inv,
                $"{$"cluster, {count} worker{(count == 1 ? "" : "s")}",-22} {seconds,8:F2} s {seconds / localSeconds,7:F2}x {rows / seconds,10:N0} rows/s {rows / seconds / count,10:N0} rows/s per worker  (load {LoadAverage()}){(same ? "" : "  VALUES DIFFER")}"));
        }
        Console.WriteLine($"load average at the end: {LoadAverage()}");
        Console.WriteLine("(workers are processes on this machine's cores, so more workers share the same cores: per-worker throughput falls as they are added)");
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static FeatureTable Rows(int count, int seed) => ClusterJobTestsData.DiabetesLikeRows(count, seed);

    private static string? Value(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int Option(string[] args, string name, int fallback)
        => Value(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
}
