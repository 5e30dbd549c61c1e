using System.Collections.Concurrent;
using System.Diagnostics;
using Interactive.Xai.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Xunit.Abstractions;

namespace Interactive.Xai.Cluster.Tests;

/// <summary>Jobs on real worker processes: results equal the in-process run bit for bit, also after a worker dies.</summary>
public class ClusterJobTests(ITestOutputHelper log)
{
    private static string ModelPath(string name) => Path.Combine(AppContext.BaseDirectory, "models", name);

    internal static FeatureTable DiabetesLikeRows(int count, int seed) => ClusterJobTestsData.DiabetesLikeRows(count, seed);

    internal static void AssertIdentical(AttributionExplanation expected, AttributionExplanation actual)
    {
        Assert.Equal(expected.Method, actual.Method);
        // (ImmutableArray compares by reference: compare contents)
        Assert.Equal(expected.FeatureNames.ToArray(), actual.FeatureNames.ToArray());
        Assert.Equal(expected.OutputNames.ToArray(), actual.OutputNames.ToArray());
        Assert.Equal(expected.Targets.ToArray(), actual.Targets.ToArray());
        Assert.Equal(expected.RowCount, actual.RowCount);
        Bits(expected.Values, actual.Values, "values");
        Bits(expected.StandardErrors, actual.StandardErrors, "standard errors");
        Bits(expected.Predictions, actual.Predictions, "predictions");
        Bits(expected.BaseValues, actual.BaseValues, "base values");
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.AdditivityError), BitConverter.DoubleToInt64Bits(actual.AdditivityError));
        Assert.Equal(expected.Details, actual.Details);
    }

    private static void Bits(IReadOnlyList<double> expected, IReadOnlyList<double> actual, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} values, expected {expected.Count}");
        for (int i = 0; i < expected.Count; i++)
            if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R} (bit for bit)");
    }

    /// <summary>
    /// The test: three workers as separate processes, a Kernel SHAP job over 20,000 rows, one worker killed
    /// halfway; the job completes on the other two with values identical to the in-process run.
    /// </summary>
    [Fact]
    public async Task KernelShap_20000Rows_ThreeWorkers_OneKilledHalfway_IdenticalToInProcess()
    {
        const int Rows = 20_000;
        var data = DiabetesLikeRows(Rows, seed: 7);
        var request = new ExplanationRequest { Method = "kernel-shap", Seed = 42 };
        using var loaded = ModelFiles.Load(ModelPath("mlp10.onnx"));

        using var workers = Workers.Start(3);
        var job = ClusterJob.Prepare(ModelPath("mlp10.onnx"), loaded.Model, data, request);
        using var client = await ClusterJob.ConnectAsync(workers.Address);
        var victim = workers.All[2];
        var reports = new ConcurrentQueue<ClusterProgress>();
        int killed = 0;
        var progress = new Callback(p =>
        {
            reports.Enqueue(p);
            if (p.RowsDone >= Rows / 2 && Interlocked.Exchange(ref killed, 1) == 0)
            {
                log.WriteLine($"killing worker on port {victim.SiloPort} at {p.PartitionsDone} of {p.Partitions} partitions, {p.Elapsed.TotalSeconds:F1} s");
                victim.Process.Kill(entireProcessTree: true);
            }
        });
        var clock = Stopwatch.StartNew();
        // A job that never finishes fails the test instead of hanging the run. The stall timer is off: the killed
        // worker's partitions must be re-run because the cluster declares it dead.
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        AttributionExplanation clustered;
        try
        {
            clustered = await ClusterJob.RunAsync(client.Services.GetRequiredService<IClusterClient>(), job, data,
                ClusterFaultTests.NoStallTimer with { PartitionsPerWorker = 8 }, progress, limit.Token);
        }
        catch
        {
            log.WriteLine(workers.Outputs());
            throw;
        }
        double clusterSeconds = clock.Elapsed.TotalSeconds;
        Assert.Equal(1, killed);
        Assert.True(victim.Process.HasExited);
        var last = reports.MaxBy(r => r.PartitionsDone)!;
        log.WriteLine($"cluster: {clusterSeconds:F1} s, {last.Partitions} partitions, {last.Retries} re-run, {last.Workers} workers at the end");
        Assert.True(last.Retries > 0, "the killed worker had partitions in flight; they must have been re-run");
        Assert.Equal(2, last.Workers);

        clock.Restart();
        var inProcess = (AttributionExplanation)new ExplanationRunner().Run(loaded.Model, data, request);
        log.WriteLine($"in process: {clock.Elapsed.TotalSeconds:F1} s");
        AssertIdentical(inProcess, clustered);
        Assert.True(clustered.Values.Any(v => v != 0));
    }

    [Fact]
    public async Task ExactShap_PartitionCountDoesNotChangeTheResult()
    {
        var data = DiabetesLikeRows(301, seed: 3);
        var request = new ExplanationRequest { Method = "exact-shap", Target = "all", Seed = 5, BackgroundSize = 7 };
        using var loaded = ModelFiles.Load(ModelPath("mlp10.onnx"));
        var inProcess = (AttributionExplanation)new ExplanationRunner().Run(loaded.Model, data, request);
        using var workers = Workers.Start(2);
        using var client = await ClusterJob.ConnectAsync(workers.Address);
        foreach (int rows in new[] { 1, 37, 300, 1000 })
        {
            var job = ClusterJob.Prepare(ModelPath("mlp10.onnx"), loaded.Model, data, request);
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var clustered = await ClusterJob.RunAsync(client.Services.GetRequiredService<IClusterClient>(), job, data,
                new ClusterJobOptions { RowsPerPartition = rows }, null, limit.Token);
            AssertIdentical(inProcess, clustered);
        }
    }

    [Fact]
    public async Task Cancel_StopsTheJobPromptly()
    {
        var data = DiabetesLikeRows(20_000, seed: 9);
        var request = new ExplanationRequest { Method = "kernel-shap", Samples = 4096 };
        using var loaded = ModelFiles.Load(ModelPath("mlp10.onnx"));
        using var workers = Workers.Start(1);
        var job = ClusterJob.Prepare(ModelPath("mlp10.onnx"), loaded.Model, data, request);
        using var client = await ClusterJob.ConnectAsync(workers.Address);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ClusterJob.RunAsync(
            client.Services.GetRequiredService<IClusterClient>(), job, data, new ClusterJobOptions { RowsPerPartition = 5000 }, null, cancel.Token));
        log.WriteLine($"cancelled after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the job took {clock.Elapsed.TotalSeconds:F1} s to stop");
        Assert.False(workers.All[0].Process.HasExited);
    }

    private sealed class Callback(Action<ClusterProgress> action) : IProgress<ClusterProgress>
    {
        public void Report(ClusterProgress value) => action(value);
    }
}
