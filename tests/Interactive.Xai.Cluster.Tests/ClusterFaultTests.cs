using System.Collections.Concurrent;
using System.Diagnostics;
using Interactive.Xai.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Xunit.Abstractions;

namespace Interactive.Xai.Cluster.Tests;

/// <summary>
/// Faults other than the kill: a worker that freezes (SIGSTOP: connections stay open, nothing answers) and a
/// worker that is dead but still listed as active (calls to it fail at once). The stall timer is switched off (an hour),
/// so recovery must come from membership alone, and each job has a deadline so a hang fails the test instead of the run.
/// Results equal the in-process run bit for bit.
/// </summary>
public class ClusterFaultTests(ITestOutputHelper log)
{
    private static string ModelPath(string name) => Path.Combine(AppContext.BaseDirectory, "models", name);

    // The stall timer (the last resort for a lost message) off: these faults must be handled by membership.
    internal static readonly ClusterJobOptions NoStallTimer = new()
    {
        MinimumStallTimeout = TimeSpan.FromHours(1),
        FirstPartitionTimeout = TimeSpan.FromHours(1),
    };

    [Fact]
    public async Task KernelShap_WorkerFrozenMidJob_ItsPartitionsRunElsewhere_IdenticalToInProcess()
    {
        const int Rows = 6_000;
        var data = ClusterJobTestsData.DiabetesLikeRows(Rows, seed: 21);
        var request = new ExplanationRequest { Method = "kernel-shap", Seed = 4 };
        using var loaded = ModelFiles.Load(ModelPath("mlp10.onnx"));
        var inProcess = (AttributionExplanation)new ExplanationRunner().Run(loaded.Model, data, request);

        using var workers = Workers.Start(3);
        var victim = workers.All[2];
        try
        {
            using var client = await ClusterJob.ConnectAsync(workers.Address);
            var job = ClusterJob.Prepare(ModelPath("mlp10.onnx"), loaded.Model, data, request);
            var reports = new ConcurrentQueue<ClusterProgress>();
            int frozen = 0;
            var progress = new Callback(p =>
            {
                reports.Enqueue(p);
                if (p.RowsDone >= Rows / 3 && Interlocked.Exchange(ref frozen, 1) == 0)
                {
                    log.WriteLine($"freezing worker on port {victim.SiloPort} at {p.PartitionsDone} of {p.Partitions} partitions, {p.Elapsed.TotalSeconds:F1} s");
                    victim.Freeze();
                }
            });
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var clock = Stopwatch.StartNew();
            var clustered = await ClusterJob.RunAsync(client.Services.GetRequiredService<IClusterClient>(), job, data,
                NoStallTimer with { PartitionsPerWorker = 8 }, progress, limit.Token);
            var last = reports.MaxBy(r => r.PartitionsDone)!;
            log.WriteLine($"cluster: {clock.Elapsed.TotalSeconds:F1} s, {last.Partitions} partitions, {last.Retries} re-run, {last.Workers} workers at the end");
            Assert.Equal(1, frozen);
            Assert.True(last.Retries > 0, "the frozen worker had partitions in flight; they must have been re-run");
            Assert.Equal(2, last.Workers);
            ClusterJobTests.AssertIdentical(inProcess, clustered);
        }
        catch
        {
            log.WriteLine(workers.Outputs());
            throw;
        }
        finally
        {
            victim.Resume();
        }
    }

    [Fact]
    public async Task KernelShap_WorkerDeadButStillListed_CallsToItFailAtOnce_IdenticalToInProcess()
    {
        const int Rows = 3_000;
        var data = ClusterJobTestsData.DiabetesLikeRows(Rows, seed: 22);
        var request = new ExplanationRequest { Method = "kernel-shap", Seed = 6 };
        using var loaded = ModelFiles.Load(ModelPath("mlp10.onnx"));
        var inProcess = (AttributionExplanation)new ExplanationRunner().Run(loaded.Model, data, request);

        using var workers = Workers.Start(3);
        try
        {
            using var client = await ClusterJob.ConnectAsync(workers.Address);
            var job = ClusterJob.Prepare(ModelPath("mlp10.onnx"), loaded.Model, data, request);
            var reports = new ConcurrentQueue<ClusterProgress>();
            // Killed just before the job: the cluster lists it as active for a few more seconds, and everything sent
            // to it fails at once (connection refused). Small partitions, so many would go to it.
            workers.All[2].Process.Kill();
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var clock = Stopwatch.StartNew();
            var clustered = await ClusterJob.RunAsync(client.Services.GetRequiredService<IClusterClient>(), job, data,
                NoStallTimer with { RowsPerPartition = 100 }, new Callback(reports.Enqueue), limit.Token);
            var last = reports.MaxBy(r => r.PartitionsDone)!;
            log.WriteLine($"cluster: {clock.Elapsed.TotalSeconds:F1} s, {last.Partitions} partitions, {last.Retries} re-run, {last.Workers} workers at the end");
            ClusterJobTests.AssertIdentical(inProcess, clustered);
        }
        catch
        {
            log.WriteLine(workers.Outputs());
            throw;
        }
    }

    private sealed class Callback(Action<ClusterProgress> action) : IProgress<ClusterProgress>
    {
        public void Report(ClusterProgress value) => action(value);
    }
}
