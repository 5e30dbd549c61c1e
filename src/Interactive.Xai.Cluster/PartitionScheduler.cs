using System.Diagnostics;
using Orleans;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Interactive.Xai.Cluster;

/// <summary>
/// The scheduling half of a cluster job, the same for every method: row-range partitions placed on chosen workers,
/// at most <see cref="ClusterJobOptions.InFlightPerWorker"/> at a time each, with re-runs after a worker leaves,
/// a call fails or a partition stalls.
/// </summary>
internal static class PartitionScheduler
{
    /// <summary>
    /// Splits <paramref name="rowCount"/> rows into contiguous partitions, runs each on an active worker (keeping every
    /// worker busy, re-running the partitions of a worker that leaves, fails or stalls), and returns the partitions'
    /// results in partition order with the time the job took. <paramref name="work"/> builds partition (index, first
    /// row, row count)'s message.
    /// </summary>
    public static async Task<(PartitionResult[] Results, TimeSpan Elapsed)> RunAsync(IClusterClient client, string jobId, int rowCount,
        Func<int, int, int, PartitionWork> work, ClusterJobOptions options, IProgress<ClusterProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var management = client.GetGrain<IManagementGrain>(0);
        var workers = await ActiveWorkers(management, options, clock, cancellationToken).ConfigureAwait(false);

        int n = rowCount;
        int size = options.RowsPerPartition ?? Math.Max(1, (int)Math.Ceiling(n / (double)Math.Max(1, workers.Count * options.PartitionsPerWorker)));
        if (size < 1) throw new XaiException($"rows per partition must be at least 1, got {size}");
        int partitions = n == 0 ? 0 : (n + size - 1) / size;
        var results = new PartitionResult?[partitions];
        var attempts = new int[partitions];
        var pending = new LinkedList<int>(Enumerable.Range(0, partitions));
        var running = new Dictionary<Task<PartitionResult>, Running>();
        int done = 0, retries = 0;
        long rowsDone = 0;
        var lastRefresh = clock.Elapsed;
        var noWorkerSince = workers.Count == 0 ? clock.Elapsed : (TimeSpan?)null;
        TimeSpan? slowest = null;
        // A worker whose call just failed gets no new partition for a while: the cluster may list a killed worker as
        // active for seconds, and calls to it fail at once (connection refused), which would use up a partition's
        // attempts on the same dead worker.
        var avoidUntil = new Dictionary<SiloAddress, TimeSpan>();
        List<SiloAddress> Placeable()
        {
            var usable = workers.Where(w => !(avoidUntil.TryGetValue(w, out var until) && until > clock.Elapsed)).ToList();
            return usable.Count > 0 ? usable : workers;
        }

        PartitionWork Work(int index)
        {
            int first = index * size;
            return work(index, first, Math.Min(size, n - first));
        }

        try
        {
            while (done < partitions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (clock.Elapsed - lastRefresh >= options.PollInterval)
                {
                    lastRefresh = clock.Elapsed;
                    try
                    {
                        workers = await ActiveWorkers(management, options, clock, cancellationToken, wait: false).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        // keep the last known list; the silo that answered may be the one that left
                    }
                    // Partitions on a worker that left the cluster: stop waiting for them (they are re-run below).
                    foreach (var entry in running.Values)
                        if (!workers.Contains(entry.Worker)) entry.Cancel.Cancel();
                    // A partition that has not answered for far longer than any other took is given up and run again:
                    // after a worker was killed, calls placed on live workers were seen never to answer (probably lost
                    // with the dead worker's part of the grain directory); they would wait for Orleans' response timeout.
                    var stall = slowest is { } longest
                        ? TimeSpan.FromTicks(Math.Max(options.MinimumStallTimeout.Ticks, (long)(longest.Ticks * options.StallFactor)))
                        : options.FirstPartitionTimeout;
                    foreach (var entry in running.Values)
                        if (clock.Elapsed - entry.Started > stall && !entry.Cancel.IsCancellationRequested)
                            entry.Cancel.Cancel();
                    if (workers.Count == 0) noWorkerSince ??= clock.Elapsed;
                    else noWorkerSince = null;
                    if (noWorkerSince is { } since && clock.Elapsed - since > options.NoWorkerTimeout)
                        throw new XaiException($"no worker has been active for {options.NoWorkerTimeout.TotalSeconds:F0} s; {done} of {partitions} partitions done");
                }
                foreach (var worker in Placeable())
                {
                    while (pending.Count > 0 && running.Values.Count(r => r.Worker.Equals(worker)) < options.InFlightPerWorker)
                    {
                        int index = pending.First!.Value;
                        pending.RemoveFirst();
                        var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        var grain = client.GetGrain<IPartitionGrain>($"{jobId}/{index}/{attempts[index]}");
                        RequestContext.Set(IPlacementDirector.PlacementHintKey, worker);
                        Task<PartitionResult> call;
                        try
                        {
                            // WaitAsync: a call to a worker that died ends when the client gives up on it, not when
                            // Orleans' response timeout (an hour, for long partitions) expires.
                            call = grain.Explain(Work(index), cancel.Token).WaitAsync(cancel.Token);
                        }
                        finally
                        {
                            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
                        }
                        running.Add(call, new Running(index, worker, cancel, clock.Elapsed));
                    }
                }
                var wait = Task.Delay(options.PollInterval, cancellationToken);
                await Task.WhenAny(running.Keys.Append(wait)).ConfigureAwait(false);
                foreach (var call in running.Keys.Where(t => t.IsCompleted).ToList())
                {
                    var entry = running[call];
                    running.Remove(call);
                    entry.Cancel.Dispose();
                    cancellationToken.ThrowIfCancellationRequested();
                    if (call.IsCompletedSuccessfully)
                    {
                        var result = call.Result;
                        if (result.Error is not null) throw new XaiException(result.Error);
                        results[entry.Index] = result;
                        var took = clock.Elapsed - entry.Started;
                        if (slowest is null || took > slowest) slowest = took;
                        done++;
                        rowsDone += Math.Min(size, n - entry.Index * size);
                        progress?.Report(new ClusterProgress(done, partitions, rowsDone, n, workers.Count, retries, clock.Elapsed));
                        continue;
                    }
                    // The worker left, the connection broke or the call was abandoned: run the partition again elsewhere.
                    if (++attempts[entry.Index] >= options.MaxAttempts)
                    {
                        var error = call.Exception?.GetBaseException();
                        throw new XaiException($"partition {entry.Index} (rows {entry.Index * size}-{Math.Min(n, (entry.Index + 1) * size) - 1}) failed {attempts[entry.Index]} times; last: {(error is null ? "cancelled" : OneLine(error.Message))}");
                    }
                    retries++;
                    pending.AddFirst(entry.Index);
                    // Ask the cluster again before placing it, so it does not go back to a worker that just left.
                    lastRefresh = TimeSpan.MinValue / 2;
                    avoidUntil[entry.Worker] = clock.Elapsed + options.AvoidAfterFailure;
                }
            }
        }
        finally
        {
            foreach (var entry in running.Values)
            {
                entry.Cancel.Cancel();
                entry.Cancel.Dispose();
            }
        }
        return (results.Select(r => r!).ToArray(), clock.Elapsed);
    }

    private static async Task<List<SiloAddress>> ActiveWorkers(IManagementGrain management, ClusterJobOptions options, Stopwatch clock,
        CancellationToken cancellationToken, bool wait = true)
    {
        var start = clock.Elapsed;
        while (true)
        {
            // The management grain may live on a worker that just died: give up on an answer after a few seconds
            // (the caller keeps its last list and asks again; Orleans re-activates the grain on a live worker).
            Dictionary<SiloAddress, SiloStatus> hosts;
            try
            {
                hosts = await management.GetHosts(onlyActive: true).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException) when (wait && clock.Elapsed - start <= options.NoWorkerTimeout)
            {
                continue;
            }
            var workers = hosts.Where(h => h.Value == SiloStatus.Active).Select(h => h.Key).OrderBy(s => s.ToString(), StringComparer.Ordinal).ToList();
            if (workers.Count > 0 || !wait) return workers;
            if (clock.Elapsed - start > options.NoWorkerTimeout) throw new XaiException("the cluster has no active worker");
            await Task.Delay(options.PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    private sealed record Running(int Index, SiloAddress Worker, CancellationTokenSource Cancel, TimeSpan Started);
}
