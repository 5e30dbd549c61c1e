using System.Collections.Concurrent;
using System.Diagnostics;
using Interactive.Xai.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Xunit.Abstractions;

namespace Interactive.Xai.Cluster.Tests;

/// <summary>
/// Localhost clustering keeps the membership table in the primary worker's memory (the first one started). When the
/// primary dies, the other workers keep serving partitions but nobody can read or change the membership any more.
/// A job running at that moment finishes on the others with identical values; a job submitted afterwards fails at
/// once with one line naming the primary.
/// </summary>
public class PrimaryDeathTests(ITestOutputHelper log)
{
    private static string ModelPath(string name) => Path.Combine(AppContext.BaseDirectory, "models", name);

    [Fact]
    public async Task LocalhostClustering_PrimaryKilledMidJob_JobFinishesIdentical_NextJobFailsWithOneLine()
    {
        const int Rows = 6_000;
        var data = ClusterJobTestsData.DiabetesLikeRows(Rows, seed: 41);
        var request = new ExplanationRequest { Method = "kernel-shap", Seed = 17 };
        using var loaded = ModelFiles.Load(ModelPath("mlp10.onnx"));
        var inProcess = (AttributionExplanation)new ExplanationRunner().Run(loaded.Model, data, request);

        using var workers = Workers.Start(3);
        var primary = workers.All[0];
        string everyGateway = workers.Address;
        var folder = Directory.CreateTempSubdirectory("xai-primary-").FullName;
        try
        {
            // 1. The primary SIGKILLed a third of the way through a job. The stall timer is off: nothing but the
            //    client's own check (the dead primary's gateway refuses connections) may end its partitions' calls.
            using (var client = await ClusterJob.ConnectAsync(everyGateway))
            {
                var job = ClusterJob.Prepare(ModelPath("mlp10.onnx"), loaded.Model, data, request);
                var reports = new ConcurrentQueue<ClusterProgress>();
                int killed = 0;
                var progress = new Callback(p =>
                {
                    reports.Enqueue(p);
                    if (p.RowsDone >= Rows / 3 && Interlocked.Exchange(ref killed, 1) == 0)
                    {
                        log.WriteLine($"killing the primary (port {primary.SiloPort}) at {p.PartitionsDone} of {p.Partitions} partitions, {p.Elapsed.TotalSeconds:F1} s");
                        primary.Process.Kill(entireProcessTree: true);
                    }
                });
                using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
                var clock = Stopwatch.StartNew();
                var clustered = await ClusterJob.RunAsync(client.Services.GetRequiredService<IClusterClient>(), job, data,
                    ClusterFaultTests.NoStallTimer with { PartitionsPerWorker = 8 }, progress, limit.Token);
                var last = reports.MaxBy(r => r.PartitionsDone)!;
                log.WriteLine($"cluster: {clock.Elapsed.TotalSeconds:F1} s, {last.Partitions} partitions, {last.Retries} re-run, {last.Workers} workers at the end");
                Assert.Equal(1, killed);
                Assert.True(primary.Process.HasExited);
                Assert.Equal(2, last.Workers);
                ClusterJobTests.AssertIdentical(inProcess, clustered);
            }

            // 2. The next job, from a fresh `xai explain` process naming every gateway (the dead one too): one line
            //    naming the primary, a non-zero exit, well within a minute, and no output file.
            var csv = Path.Combine(folder, "rows.csv");
            var table = ClusterJobTestsData.DiabetesLikeRows(200, seed: 42);
            File.WriteAllLines(csv, new[] { string.Join(',', table.FeatureNames) }.Concat(Enumerable.Range(0, table.RowCount)
                .Select(r => string.Join(',', table.Row(r).ToArray().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))))));
            var json = Path.Combine(folder, "out.json");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "xai.dll"), "explain", "--model", ModelPath("mlp10.onnx"), "--data", csv,
                         "--method", "kernel-shap", "--json", json, "--cluster", everyGateway })
                start.ArgumentList.Add(a);
            var watch = Stopwatch.StartNew();
            using var explain = Process.Start(start)!;
            var stdout = explain.StandardOutput.ReadToEndAsync();
            var stderr = explain.StandardError.ReadToEndAsync();
            bool ended = explain.WaitForExit(TimeSpan.FromSeconds(120));
            if (!ended) explain.Kill(entireProcessTree: true);
            explain.WaitForExit();
            log.WriteLine($"second job: exit {(ended ? explain.ExitCode : -1)} after {watch.Elapsed.TotalSeconds:F1} s; stderr: {stderr.Result.Trim()}");
            Assert.True(ended, "xai explain did not end within 120 s");
            Assert.Equal(1, explain.ExitCode);
            var lines = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            // A surviving worker names the primary; when none answers in time (a crowded machine), the client names the
            // gateway it found dead.
            Assert.Contains(Assert.Single(lines), new[]
            {
                $"error: the cluster's primary worker at 127.0.0.1:{primary.SiloPort} stopped; localhost clustering cannot survive it (the primary keeps the membership): restart the workers, or keep the membership in Redis (xai worker --redis)",
                $"error: the cluster's membership does not answer and the worker with gateway 127.0.0.1:{primary.GatewayPort} stopped; if one was the primary (the first worker started), localhost clustering cannot survive it: restart the workers, or keep the membership in Redis (xai worker --redis)",
            });
            Assert.DoesNotContain(" at ", stdout.Result);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed.TotalSeconds:F0} s to fail");
            Assert.Empty(Directory.GetFiles(folder, "out.json*"));
        }
        catch
        {
            log.WriteLine(workers.Outputs());
            throw;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private sealed class Callback(Action<ClusterProgress> action) : IProgress<ClusterProgress>
    {
        public void Report(ClusterProgress value) => action(value);
    }
}
