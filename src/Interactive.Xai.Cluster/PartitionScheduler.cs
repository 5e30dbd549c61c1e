using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Interactive.Xai.Cluster;

/// <summary>
/// The scheduling half of a cluster job, the same for every method: row-range partitions placed on chosen workers,
/// at most <see cref="ClusterJobOptions.InFlightPerWorker"/> at a time each, with re-runs after a worker leaves,
/// a call fails or a partition stalls.
/// </summary>
/// <remarks>
/// A partition's call travels only through the gateway of the worker that runs it (one client connection per worker,
/// <see cref="WorkerConnections"/>), and the worker activates it without asking any other silo
/// (<see cref="WorkerLocalDirectory"/>), so a partition depends on its own worker alone: a worker that dies or freezes
/// holds up only its own partitions, and those are given up as soon as the cluster declares it dead (membership is
/// asked through every worker's connection, the first answer wins). Through one shared client, Orleans spreads calls
/// over all gateways by grain id: a call for a live worker that went through a gateway which then died (or froze) was
/// lost and never answered, and the client never learns of that (it only drops a gateway whose connection fails).
/// </remarks>
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
        // A client from ClusterJob.ConnectAsync keeps its worker connections from job to job; another gets them for this job.
        var shared = client.ServiceProvider.GetService<WorkerConnections>();
        var owned = shared is null ? new WorkerConnections(client.ServiceProvider.GetRequiredService<IOptions<ClusterOptions>>()) : null;
        try
        {
            return await new Run(client, shared ?? owned!, jobId, rowCount, work, options, progress, cancellationToken).ExecuteAsync().ConfigureAwait(false);
        }
        finally
        {
            owned?.Dispose();
        }
    }

    private sealed class Run(IClusterClient client, WorkerConnections connections, string jobId, int rowCount,
        Func<int, int, int, PartitionWork> work, ClusterJobOptions options, IProgress<ClusterProgress>? progress, CancellationToken cancellationToken)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Dictionary<Task<PartitionResult>, Running> _running = [];
        // A worker whose call just failed gets no new partition for a while: the cluster lists a killed worker as
        // active until it is declared dead (a few seconds), and calls to it fail at once (connection refused), which
        // would use up a partition's attempts on the same dead worker.
        private readonly Dictionary<SiloAddress, TimeSpan> _avoidUntil = [];
        // The membership asks still in flight, per client asked (a frozen worker's never end; it is not asked again).
        private readonly Dictionary<IClusterClient, Task<Dictionary<SiloAddress, IPEndPoint>>> _asking = new(ReferenceEqualityComparer.Instance);
        private Dictionary<SiloAddress, IPEndPoint> _workers = [];
        private Task<Dictionary<SiloAddress, IPEndPoint>?>? _refresh;
        private Task<HashSet<SiloAddress>>? _probe;
        private TimeSpan _lastRefresh;

        public async Task<(PartitionResult[] Results, TimeSpan Elapsed)> ExecuteAsync()
        {
            _workers = await FirstWorkers().ConfigureAwait(false);
            int n = rowCount;
            int size = options.RowsPerPartition ?? Math.Max(1, (int)Math.Ceiling(n / (double)Math.Max(1, _workers.Count * options.PartitionsPerWorker)));
            if (size < 1) throw new XaiException($"rows per partition must be at least 1, got {size}");
            int partitions = n == 0 ? 0 : (n + size - 1) / size;
            var results = new PartitionResult?[partitions];
            var attempts = new int[partitions];
            var pending = new LinkedList<int>(Enumerable.Range(0, partitions));
            int done = 0, retries = 0;
            long rowsDone = 0;
            _lastRefresh = _clock.Elapsed;
            TimeSpan? noWorkerSince = null;
            TimeSpan? slowest = null;

            try
            {
                while (done < partitions)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (_refresh is null && _clock.Elapsed - _lastRefresh >= options.PollInterval)
                    {
                        _lastRefresh = _clock.Elapsed;
                        _refresh = AskMembership();
                    }
                    if (_refresh is { IsCompleted: true } refreshed)
                    {
                        _refresh = null;
                        // null: no worker answered in time; keep the last known list (and ask again next round), less
                        // the workers whose gateways refuse connections (see ProbeGateways)
                        if (refreshed.Result is { } now)
                        {
                            Update(now);
                        }
                        else if (_probe is null)
                        {
                            _probe = ProbeGateways(_workers);
                        }
                        if (_workers.Count == 0) noWorkerSince ??= _clock.Elapsed;
                        else noWorkerSince = null;
                        if (noWorkerSince is { } since && _clock.Elapsed - since > options.NoWorkerTimeout)
                            throw new XaiException($"no worker has been active for {options.NoWorkerTimeout.TotalSeconds:F0} s; {done} of {partitions} partitions done");
                    }
                    if (_probe is { IsCompleted: true } probed)
                    {
                        _probe = null;
                        // (a probe cut short by the job's cancellation is ignored: the loop's check throws that)
                        if (probed.IsCompletedSuccessfully && probed.Result is { Count: > 0 } gone)
                            Update(_workers.Where(w => !gone.Contains(w.Key)).ToDictionary());
                    }
                    // The last resort: a partition that has not answered for far longer than any other took is given up
                    // and run again, even though its worker still counts as active (a message lost in a way membership
                    // does not see, such as a broken connection to a live worker).
                    var stall = slowest is { } longest
                        ? TimeSpan.FromTicks(Math.Max(options.MinimumStallTimeout.Ticks, (long)Math.Min(long.MaxValue / 2, longest.Ticks * options.StallFactor)))
                        : options.FirstPartitionTimeout;
                    foreach (var entry in _running.Values)
                        if (_clock.Elapsed - entry.Started > stall && !entry.Cancel.IsCancellationRequested)
                            entry.Cancel.Cancel();

                    var waits = new List<Task>();
                    foreach (var (worker, gateway) in Placeable())
                    {
                        if (pending.Count == 0) break;
                        var connecting = connections.Get(worker, gateway);
                        if (!connecting.IsCompleted)
                        {
                            waits.Add(connecting);
                            continue;
                        }
                        if (!connecting.IsCompletedSuccessfully)
                        {
                            // its gateway does not answer: a worker that died, or one that is still starting
                            connections.Drop(worker);
                            _avoidUntil[worker] = _clock.Elapsed + options.AvoidAfterFailure;
                            continue;
                        }
                        var workerClient = connecting.Result;
                        while (pending.Count > 0 && _running.Values.Count(r => r.Worker.Equals(worker)) < options.InFlightPerWorker)
                        {
                            int index = pending.First!.Value;
                            pending.RemoveFirst();
                            var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                            var grain = workerClient.GetGrain<IPartitionGrain>($"{jobId}/{index}/{attempts[index]}");
                            RequestContext.Set(IPlacementDirector.PlacementHintKey, worker);
                            Task<PartitionResult> call;
                            try
                            {
                                int first = index * size;
                                // WaitAsync: a call given up (its worker left, or it stalled) ends at once, not when
                                // Orleans' response timeout (an hour, for long partitions) expires.
                                call = grain.Explain(work(index, first, Math.Min(size, n - first)), cancel.Token).WaitAsync(cancel.Token);
                            }
                            finally
                            {
                                RequestContext.Remove(IPlacementDirector.PlacementHintKey);
                            }
                            _running.Add(call, new Running(index, worker, cancel, _clock.Elapsed));
                        }
                    }
                    waits.AddRange(_running.Keys);
                    if (_refresh is not null) waits.Add(_refresh);
                    if (_probe is not null) waits.Add(_probe);
                    waits.Add(Task.Delay(options.PollInterval, cancellationToken));
                    await Task.WhenAny(waits).ConfigureAwait(false);
                    foreach (var call in _running.Keys.Where(t => t.IsCompleted).ToList())
                    {
                        var entry = _running[call];
                        _running.Remove(call);
                        entry.Cancel.Dispose();
                        cancellationToken.ThrowIfCancellationRequested();
                        if (call.IsCompletedSuccessfully)
                        {
                            var result = call.Result;
                            if (result.Error is not null) throw new XaiException(result.Error);
                            results[entry.Index] = result;
                            var took = _clock.Elapsed - entry.Started;
                            if (slowest is null || took > slowest) slowest = took;
                            done++;
                            rowsDone += Math.Min(size, n - entry.Index * size);
                            progress?.Report(new ClusterProgress(done, partitions, rowsDone, n, _workers.Count, retries, _clock.Elapsed));
                            continue;
                        }
                        // The worker left, the connection broke or the call was given up: run the partition again elsewhere.
                        if (++attempts[entry.Index] >= options.MaxAttempts)
                        {
                            var error = call.Exception?.GetBaseException();
                            throw new XaiException($"partition {entry.Index} (rows {entry.Index * size}-{Math.Min(n, (entry.Index + 1) * size) - 1}) failed {attempts[entry.Index]} times; last: {(error is null ? "cancelled" : ClusterJob.OneLine(error.Message))}");
                        }
                        retries++;
                        pending.AddFirst(entry.Index);
                        _avoidUntil[entry.Worker] = _clock.Elapsed + options.AvoidAfterFailure;
                        // Ask the cluster again soon, so the partition does not wait on a worker that just left.
                        _lastRefresh = TimeSpan.MinValue / 2;
                    }
                }
            }
            finally
            {
                foreach (var entry in _running.Values)
                {
                    entry.Cancel.Cancel();
                    entry.Cancel.Dispose();
                }
            }
            return (results.Select(r => r!).ToArray(), _clock.Elapsed);
        }

        // Workers to place partitions on now: active ones, less those whose call failed lately (unless that leaves none).
        private List<KeyValuePair<SiloAddress, IPEndPoint>> Placeable()
        {
            var ordered = _workers.OrderBy(w => w.Key.ToString(), StringComparer.Ordinal).ToList();
            var usable = ordered.Where(w => !(_avoidUntil.TryGetValue(w.Key, out var until) && until > _clock.Elapsed)).ToList();
            return usable.Count > 0 ? usable : ordered;
        }

        // A new membership answer: the calls of workers no longer active are given up (and run again elsewhere), and
        // their connections closed.
        private void Update(Dictionary<SiloAddress, IPEndPoint> now)
        {
            foreach (var entry in _running.Values)
                if (!now.ContainsKey(entry.Worker)) entry.Cancel.Cancel();
            foreach (var gone in _workers.Keys.Where(w => !now.ContainsKey(w)))
                connections.Drop(gone);
            _workers = now;
        }

        // When no worker answers a membership question, the membership itself may be gone: with localhost clustering
        // it lives in the primary worker's memory, and the other workers cannot read or update it once the primary has
        // died (they keep serving the partitions they are sent). Membership then never declares a dead worker dead, so
        // its calls would wait for the stall timer. A worker whose gateway refuses connections has no process
        // listening: it is dead (a frozen one still accepts connections and is left to membership and the stall timer).
        private async Task<HashSet<SiloAddress>> ProbeGateways(Dictionary<SiloAddress, IPEndPoint> workers)
        {
            var refused = await Task.WhenAll(workers.Select(async w => (w.Key, Refused: await ClusterJob.Refuses(w.Value, cancellationToken).ConfigureAwait(false))))
                .ConfigureAwait(false);
            return [.. refused.Where(r => r.Refused).Select(r => r.Key)];
        }

        private async Task<Dictionary<SiloAddress, IPEndPoint>> FirstWorkers()
        {
            var start = _clock.Elapsed;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var workers = await AskMembership().ConfigureAwait(false);
                if (workers is { Count: > 0 }) return workers;
                // No answer at all (not an empty list): say why if the workers can tell (a dead primary).
                if (workers is null) await ClusterJob.ThrowIfPrimaryDied(client, cancellationToken).ConfigureAwait(false);
                if (_clock.Elapsed - start > options.NoWorkerTimeout) throw new XaiException("the cluster has no active worker");
                await Task.Delay(options.PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }

        // The active workers and their gateways, as the first of the clients asked answers (the job's own client and
        // each worker's connection): null when none answers within 5 s. A client is not asked again while its last
        // question is open (a frozen worker's stays open for 5 s).
        private async Task<Dictionary<SiloAddress, IPEndPoint>?> AskMembership()
        {
            var clients = new List<IClusterClient> { client };
            foreach (var worker in _workers.Keys)
                if (connections.TryGetConnected(worker) is { } connected) clients.Add(connected);
            var asks = new List<Task<Dictionary<SiloAddress, IPEndPoint>>>();
            foreach (var asked in clients)
            {
                if (!_asking.TryGetValue(asked, out var ask) || ask.IsCompleted)
                    _asking[asked] = ask = ActiveWorkers(asked);
                asks.Add(ask);
            }
            foreach (var stale in _asking.Keys.Where(c => !clients.Contains(c)).ToList())
                if (_asking[stale].IsCompleted) _asking.Remove(stale);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            try
            {
                while (asks.Count > 0)
                {
                    var first = await Task.WhenAny(asks).WaitAsync(timeout.Token).ConfigureAwait(false);
                    if (first.IsCompletedSuccessfully) return first.Result;
                    asks.Remove(first);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            return null;
        }

        // Each question ends within 5 s: one sent through a gateway that died as it was sent is never answered (seen:
        // through the job's own client, the first question of a job started just after a worker was killed got no
        // answer for a minute while two workers were alive), so it must be asked again, not waited on.
        private static async Task<Dictionary<SiloAddress, IPEndPoint>> ActiveWorkers(IClusterClient asked)
        {
            var hosts = await asked.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            return hosts.Where(h => h.Status == SiloStatus.Active && h.ProxyPort > 0)
                .ToDictionary(h => h.SiloAddress, h => new IPEndPoint(h.SiloAddress.Endpoint.Address, h.ProxyPort));
        }
    }


    private sealed record Running(int Index, SiloAddress Worker, CancellationTokenSource Cancel, TimeSpan Started);
}

/// <summary>
/// One client connection per worker, through that worker's gateway only, so that a partition's call and its answer
/// travel between the submitting client and the worker that runs it and nowhere else. Kept by a client from
/// <see cref="ClusterJob.ConnectAsync"/> from job to job (closed with it); a worker's connection is closed when it
/// leaves the cluster.
/// </summary>
internal sealed class WorkerConnections(IOptions<ClusterOptions> cluster) : IDisposable
{
    private readonly Dictionary<SiloAddress, (IPEndPoint Gateway, Task<IHost> Host)> _connections = [];
    private bool _disposed;

    /// <summary>The connection to <paramref name="worker"/> (started on first use; its task fails when its gateway does not answer).</summary>
    public Task<IClusterClient> Get(SiloAddress worker, IPEndPoint gateway)
    {
        lock (_connections)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_connections.TryGetValue(worker, out var connection) || !connection.Gateway.Equals(gateway))
            {
                if (connection.Host is not null) Close(connection.Host);
                connection = (gateway, Connect(gateway));
                _connections[worker] = connection;
            }
            return ClientOf(connection.Host);
        }
    }

    /// <summary>The connection to <paramref name="worker"/> if it is open, else null.</summary>
    public IClusterClient? TryGetConnected(SiloAddress worker)
    {
        lock (_connections)
            return _connections.TryGetValue(worker, out var connection) && connection.Host.IsCompletedSuccessfully
                ? connection.Host.Result.Services.GetRequiredService<IClusterClient>() : null;
    }

    /// <summary>Closes the connection to <paramref name="worker"/> (in the background); the next <see cref="Get"/> opens a new one.</summary>
    public void Drop(SiloAddress worker)
    {
        lock (_connections)
        {
            if (_connections.Remove(worker, out var connection)) Close(connection.Host);
        }
    }

    /// <summary>Closes every connection.</summary>
    public void Dispose()
    {
        List<Task<IHost>> hosts;
        lock (_connections)
        {
            if (_disposed) return;
            _disposed = true;
            hosts = _connections.Values.Select(c => c.Host).ToList();
            _connections.Clear();
        }
        Task.WhenAll(hosts.Select(CloseAsync)).Wait(TimeSpan.FromSeconds(10));
    }

    private static async Task<IClusterClient> ClientOf(Task<IHost> host) => (await host.ConfigureAwait(false)).Services.GetRequiredService<IClusterClient>();

    private async Task<IHost> Connect(IPEndPoint gateway)
    {
        var host = BuildClient(client => client.UseStaticClustering(gateway), cluster.Value.ClusterId, cluster.Value.ServiceId, connections: false);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await host.StartAsync(timeout.Token).ConfigureAwait(false);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private static void Close(Task<IHost> host) => _ = CloseAsync(host);

    private static async Task CloseAsync(Task<IHost> connecting)
    {
        try
        {
            var host = await connecting.ConfigureAwait(false);
            // Stopping breaks the calls still waiting on this connection; a dead gateway makes it give up, not hang.
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await host.StopAsync(grace.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException or SiloUnavailableException)
            {
            }
            host.Dispose();
        }
        catch (Exception)
        {
            // a connection that never opened has nothing to close
        }
    }

    /// <summary>
    /// An Orleans client host for the cluster (not started). <paramref name="connections"/>: it also keeps the worker
    /// connections its jobs use. XAI_CLUSTER_LOG=LEVEL writes its log on standard error.
    /// </summary>
    internal static IHost BuildClient(Action<IClientBuilder> clustering, string clusterId, string serviceId, bool connections) => new HostBuilder()
        .ConfigureLogging(logging =>
        {
            logging.ClearProviders();
            if (ClusterLog.Level() is { } level)
            {
                logging.SetMinimumLevel(level);
                logging.AddProvider(new ClusterLog(Console.Error, "client"));
            }
        })
        .ConfigureServices(services =>
        {
            if (connections) services.AddSingleton<WorkerConnections>();
        })
        .UseOrleansClient(client =>
        {
            clustering(client);
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = serviceId;
            });
            // A partition may run for many minutes; lost workers are detected through membership, not timeouts.
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromHours(1));
        })
        .Build();
}
