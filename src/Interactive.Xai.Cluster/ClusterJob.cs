using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Interactive.Xai.Hosting;
using Interactive.Xai.Numerics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Messaging;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Interactive.Xai.Cluster;

/// <summary>How a job is split and scheduled.</summary>
public sealed record ClusterJobOptions
{
    /// <summary>Rows per partition; null: the rows split into about <see cref="PartitionsPerWorker"/> partitions per worker.</summary>
    public int? RowsPerPartition { get; init; }

    /// <summary>Partitions per worker when <see cref="RowsPerPartition"/> is not given (more: finer re-runs after a fault).</summary>
    public int PartitionsPerWorker { get; init; } = 8;

    /// <summary>Partitions sent to one worker at a time (2 keeps a worker busy while a result travels back).</summary>
    public int InFlightPerWorker { get; init; } = 2;

    /// <summary>Attempts per partition before the job fails.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>How often the client checks which workers are alive (a partition on a worker that left is re-run).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long to wait for a worker to be active before the job fails.</summary>
    public TimeSpan NoWorkerTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The shortest time after which a partition that has not answered is given up and run again on another worker,
    /// even while the cluster still lists its worker as active (a worker that died before the cluster noticed, or a
    /// message lost with it). The limit used is the larger of this and <see cref="StallFactor"/> times the slowest
    /// partition finished so far; before any partition has finished it is <see cref="FirstPartitionTimeout"/>.
    /// </summary>
    public TimeSpan MinimumStallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>See <see cref="MinimumStallTimeout"/>.</summary>
    public double StallFactor { get; init; } = 5;

    /// <summary>See <see cref="MinimumStallTimeout"/>.</summary>
    public TimeSpan FirstPartitionTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a worker whose call failed gets no new partition (while another worker is active).</summary>
    public TimeSpan AvoidAfterFailure { get; init; } = TimeSpan.FromSeconds(15);
}

/// <summary>Progress of a cluster job.</summary>
/// <param name="PartitionsDone">Partitions finished.</param>
/// <param name="Partitions">Partitions in all.</param>
/// <param name="RowsDone">Rows finished.</param>
/// <param name="Rows">Rows in all.</param>
/// <param name="Workers">Workers now active.</param>
/// <param name="Retries">Partitions re-run so far (after a worker left or failed).</param>
/// <param name="Elapsed">Time since the job started.</param>
public sealed record ClusterProgress(int PartitionsDone, int Partitions, long RowsDone, long Rows, int Workers, int Retries, TimeSpan Elapsed)
{
    /// <summary>Rows per second so far.</summary>
    public double RowsPerSecond => Elapsed.TotalSeconds > 0 ? RowsDone / Elapsed.TotalSeconds : 0;

    /// <summary>Estimated time left at the rate so far (null before the first partition).</summary>
    public TimeSpan? Remaining => RowsDone > 0 && RowsPerSecond > 0 ? TimeSpan.FromSeconds((Rows - RowsDone) / RowsPerSecond) : null;

    /// <summary>One line: "cluster: 3 of 16 partitions on 2 workers, 1 re-run, 1,234 rows/s, about 12 s left".</summary>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"cluster: {PartitionsDone:N0} of {Partitions:N0} partitions on {Workers} worker{(Workers == 1 ? "" : "s")}"));
        if (Retries > 0) text.Append(CultureInfo.InvariantCulture, $", {Retries} re-run");
        if (RowsDone > 0) text.Append(CultureInfo.InvariantCulture, $", {RowsPerSecond:N0} rows/s");
        if (Remaining is { } left && RowsDone < Rows) text.Append(", about ").Append(Duration(left)).Append(" left");
        return text.ToString();
    }

    private static string Duration(TimeSpan time) => time.TotalSeconds < 90
        ? string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(time.TotalSeconds):F0} s")
        : time.TotalMinutes < 90
            ? string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(time.TotalMinutes):F0} min")
            : string.Create(CultureInfo.InvariantCulture, $"{time.TotalHours:F1} h");

    /// <summary>
    /// The progress of a job as explanation progress (rows done of rows, with <see cref="ToString"/> as the stage),
    /// so any display of explanation progress shows a cluster job: the command line's progress line, or a notebook
    /// cell's updating view (XaiNotebook.Progress in the notebook package, with unit "rows").
    /// </summary>
    public ExplanationProgress ToExplanationProgress() => new(ToString(), RowsDone, Rows);

    /// <summary>A sink for a cluster job's progress that forwards it to <paramref name="progress"/> (see <see cref="ToExplanationProgress"/>).</summary>
    public static IProgress<ClusterProgress> To(IProgress<ExplanationProgress> progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        return new Forward(progress);
    }

    private sealed class Forward(IProgress<ExplanationProgress> target) : IProgress<ClusterProgress>
    {
        public void Report(ClusterProgress value) => target.Report(value.ToExplanationProgress());
    }
}

/// <summary>
/// Runs an explanation as a job on an Orleans cluster of `xai worker` silos: validates the request locally (the same
/// one-line errors as an in-process run), resolves the background once, splits the rows into partitions of contiguous
/// row ranges, keeps every active worker busy, re-runs the partitions of a worker that leaves (or fails) on another,
/// and gathers the per-row results in row order. The result equals the in-process result bit for bit: each row's
/// values depend only on the row, the background and the seed-determined coalition design, never on which rows share
/// a partition.
/// </summary>
public static class ClusterJob
{
    /// <summary>The cluster id workers and clients use unless told otherwise.</summary>
    public const string DefaultClusterId = "xai";

    /// <summary>The service id workers and clients use unless told otherwise.</summary>
    public const string DefaultServiceId = "xai";

    /// <summary>
    /// Methods a cluster runs, each with a result identical bit for bit to the in-process run's: per-row methods
    /// (Shapley values, LIME, Integrated Gradients) gathered in row order, and decomposable ones (permutation
    /// importance, partial dependence with ICE curves, ALE) reduced exactly (see <see cref="ExactSum"/>).
    /// </summary>
    public static IReadOnlyList<string> Methods { get; } = ["kernel-shap", "exact-shap", "permutation-importance", "pdp", "ice", "ale", "lime", "ig"];

    /// <summary>
    /// The seed a partition's explainer runs with, from the job's seed and the partition's first row. Kernel SHAP's and
    /// exact SHAP's only randomness is the coalition design (and the k-means background, resolved once by the client),
    /// which must be the same for every row for the values to match an in-process run, so the partition seed is the
    /// job seed whatever the first row: the in-process run is the one-partition case (first row 0).
    /// </summary>
    public static int PartitionSeed(int jobSeed, int firstRow) => jobSeed;

    /// <summary>Parses "host:port[,host:port...]", the gateways of the cluster's workers; <paramref name="option"/> names the source in errors.</summary>
    public static IPEndPoint[] ParseGateways(string address, string option = "--cluster")
    {
        ArgumentNullException.ThrowIfNull(address);
        var endpoints = new List<IPEndPoint>();
        foreach (var part in address.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
                throw new XaiException($"{option}: '{part}' is not host:port (for example localhost:{(option == "--primary" ? 11111 : 30000)})");
            string host = part[..colon].Trim('[', ']');
            IPAddress? ip;
            if (!IPAddress.TryParse(host, out ip))
            {
                try
                {
                    var addresses = Dns.GetHostAddresses(host);
                    ip = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault();
                }
                catch (SocketException)
                {
                    ip = null;
                }
                if (ip is null) throw new XaiException($"{option}: host '{host}' not found");
            }
            endpoints.Add(new IPEndPoint(ip, port));
        }
        if (endpoints.Count == 0) throw new XaiException($"{option}: give host:port[,host:port...]");
        return [.. endpoints];
    }

    /// <summary>
    /// Connects a client to the workers at <paramref name="address"/>: "host:port[,host:port...]" (their gateways), or
    /// "redis://CONNECTION" for workers started with a Redis membership table (xai worker --redis CONNECTION).
    /// </summary>
    public static async Task<IHost> ConnectAsync(string address, string clusterId = DefaultClusterId, string serviceId = DefaultServiceId,
        CancellationToken cancellationToken = default)
    {
        const string RedisScheme = "redis://";
        bool redis = address.StartsWith(RedisScheme, StringComparison.OrdinalIgnoreCase);
        var gateways = redis ? [] : ParseGateways(address);
        // Orleans' client keeps retrying a gateway that refuses connections for minutes; a plain TCP connect to each
        // first says at once when no worker listens at all.
        if (!redis && !await AnyListening(gateways, cancellationToken).ConfigureAwait(false))
            throw new XaiException($"--cluster {address}: no worker answered (nothing listens there); start workers with xai worker");
        // redis://CONNECTION: the workers' membership table in Redis lists the gateways; else the gateways themselves.
        // The host also keeps one connection per worker for the jobs it runs (PartitionScheduler, WorkerConnections).
        var host = WorkerConnections.BuildClient(client =>
        {
            if (redis) client.UseRedisClustering(address[RedisScheme.Length..]);
            else client.UseStaticClustering(gateways);
        }, clusterId, serviceId, connections: true);
        try
        {
            // Redis: the workers the membership table lists, read the way the client reads them, and checked to listen
            // (a worker killed with no other left to declare it dead stays listed as active): without this the client
            // waits the whole minute below for a gateway and says only that it was cancelled.
            if (redis) await CheckRedisWorkers(host, address, address[RedisScheme.Length..], cancellationToken).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(60));
            await host.StartAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (XaiException)
        {
            host.Dispose();
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            throw new XaiException($"--cluster {address}: no worker answered ({(e is OperationCanceledException ? "none within 60 s" : OneLine(e.Message))}); start workers with xai worker");
        }
        return host;
    }

    private static async Task CheckRedisWorkers(IHost host, string address, string connection, CancellationToken cancellationToken)
    {
        var provider = host.Services.GetRequiredService<IGatewayListProvider>();
        IList<Uri> listed;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await provider.InitializeGatewayListProvider().WaitAsync(timeout.Token).ConfigureAwait(false);
            listed = await provider.GetGateways().WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // StackExchange.Redis' messages run on with advice about its own options: the first sentence says it.
            string message = e is OperationCanceledException ? "no answer within 30 s" : OneLine(e.GetBaseException().Message);
            int stop = message.IndexOf(". ", StringComparison.Ordinal);
            throw new XaiException($"--cluster {address}: cannot read the cluster's membership from Redis at {connection} ({(stop > 0 ? message[..stop] : message.TrimEnd('.'))})");
        }
        if (listed.Count == 0)
            throw new XaiException($"--cluster {address}: no worker is listed in Redis at {connection}; start workers with xai worker --redis {connection}");
        var gateways = listed.Select(uri => new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port)).ToArray();
        if (!await AnyListening(gateways, cancellationToken).ConfigureAwait(false))
            throw new XaiException($"--cluster {address}: none of the {gateways.Length} worker{(gateways.Length == 1 ? "" : "s")} listed in Redis at {connection} answered; start workers with xai worker --redis {connection}");
    }

    private static async Task<bool> AnyListening(IPEndPoint[] gateways, CancellationToken cancellationToken)
    {
        foreach (var gateway in gateways)
            if (await Connect(gateway, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false) == Connection.Accepted) return true;
        return false;
    }

    /// <summary>Whether a TCP connection to <paramref name="endpoint"/> is refused (nothing listens; within 2 s), as opposed to accepted or unanswered.</summary>
    internal static async Task<bool> Refuses(IPEndPoint endpoint, CancellationToken cancellationToken)
        => await Connect(endpoint, TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false) == Connection.Refused;

    private enum Connection { Accepted, Refused, Failed }

    // One TCP connection attempt: accepted; refused (nothing listens there, or no route to it); or failed otherwise
    // (another socket error, or no answer within `within`). Cancelling the caller's token still throws.
    private static async Task<Connection> Connect(IPEndPoint endpoint, TimeSpan within, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(within);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
            return Connection.Accepted;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable
                ? Connection.Refused : Connection.Failed;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Connection.Failed;
        }
    }

    /// <summary>
    /// Called when no worker answers a membership question: asks a worker (through any gateway that answers) how the
    /// cluster is held together, and when it is localhost clustering and nothing listens at the primary's silo port any
    /// more, fails with one line saying so. Otherwise returns (the caller keeps waiting).
    /// </summary>
    internal static async Task ThrowIfPrimaryDied(IClusterClient client, CancellationToken cancellationToken)
    {
        // Each listening gateway is asked through a connection of its own: through the shared client, Orleans picks the
        // gateway by grain id, and a call routed to the dead primary's gateway was seen never to answer.
        var gateways = client.ServiceProvider.GetService<Microsoft.Extensions.Options.IOptions<StaticGatewayListProviderOptions>>()?.Value.Gateways ?? [];
        var cluster = client.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ClusterOptions>>().Value;
        WorkerDescription? description = null;
        var stopped = new List<IPEndPoint>();
        foreach (var uri in gateways)
        {
            if (description is not null) break;
            if (!IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip)) continue;
            var gateway = new IPEndPoint(ip, uri.Port);
            if (await Refuses(gateway, cancellationToken).ConfigureAwait(false))
            {
                stopped.Add(gateway);
                continue;
            }
            using var host = WorkerConnections.BuildClient(c => c.UseStaticClustering(gateway), cluster.ClusterId, cluster.ServiceId, connections: false);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(15));
                await host.StartAsync(timeout.Token).ConfigureAwait(false);
                description = await host.Services.GetRequiredService<IClusterClient>().GetGrain<IWorkerInfoGrain>(0).Describe()
                    .WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // this worker does not answer either: ask the next
            }
            finally
            {
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await host.StopAsync(grace.Token).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // a connection that never opened has nothing to close
                }
            }
        }
        // No worker could say (seen on a machine at load average 28): workers listen, none answers for the
        // membership, and a gateway the user named refuses connections. With localhost clustering that is the
        // primary's death; say so rather than wait out the minute.
        if (description is null && stopped.Count > 0 && stopped.Count < gateways.Count)
            throw new XaiException($"the cluster's membership does not answer and the worker{(stopped.Count == 1 ? "" : "s")} with gateway {string.Join(", ", stopped)} stopped; if one was the primary (the first worker started), localhost clustering cannot survive it: restart the workers, or keep the membership in Redis (xai worker --redis)");
        if (description is not { Redis: false, Primary: { } primary }) return;
        var endpoint = IPEndPoint.TryParse(primary, out var parsed) ? parsed : null;
        if (endpoint is not null && await Refuses(endpoint, cancellationToken).ConfigureAwait(false))
            throw new XaiException($"the cluster's primary worker at {primary} stopped; localhost clustering cannot survive it (the primary keeps the membership): restart the workers, or keep the membership in Redis (xai worker --redis)");
    }

    /// <summary>Runs the job on the cluster at <paramref name="address"/>, connecting and disconnecting around it.</summary>
    public static Explanation Run(string address, string modelPath, IModel model, FeatureTable data, ExplanationRequest request,
        ExplanationInputs? inputs = null, ModelFileOptions? modelFile = null, ClusterJobOptions? options = null,
        IProgress<ClusterProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var job = Prepare(modelPath, model, data, request, inputs, modelFile);
        return Task.Run(async () =>
        {
            using var host = await ConnectAsync(address, cancellationToken: cancellationToken).ConfigureAwait(false);
            try
            {
                return await ExplainAsync(host.Services.GetRequiredService<IClusterClient>(), job, model, data, inputs, options, progress, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Checks the request locally, as an in-process run would, and resolves what every partition shares (the model
    /// file's identity and the weighted background). Bad input fails here, once, before anything is submitted.
    /// </summary>
    public static JobSpec Prepare(string modelPath, IModel model, FeatureTable data, ExplanationRequest request,
        ExplanationInputs? inputs = null, ModelFileOptions? modelFile = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(request);
        inputs ??= new ExplanationInputs();
        if (!Methods.Contains(request.Method))
            throw new XaiException($"--cluster runs {ClusterMethods.Describe(Methods)}; run {request.Method} without --cluster");
        model.EnsureAccepts(data, "the data");
        var target = OutputTarget.Parse(request.Target, model.OutputNames);
        if (!(target.IsPredicted && request.Method == "ig")) target.Resolve(model);
        bool shapley = request.Method is "kernel-shap" or "exact-shap";
        var background = shapley ? Background(model, inputs.Reference ?? data, inputs, request) : null;
        // The explainers check their options (samples, feature limits) when built; building one is cheap.
        if (shapley)
        {
            _ = request.Method == "kernel-shap"
                ? (object)new KernelShapExplainer(model, background!, new KernelShapOptions { Samples = request.Samples, Seed = request.Seed })
                : new ExactShapleyExplainer(model, background!, new ExactShapleyOptions { Seed = request.Seed });
        }
        var file = new FileInfo(Path.GetFullPath(modelPath));
        var job = new JobSpec
        {
            JobId = Guid.NewGuid().ToString("N"),
            ModelPath = file.FullName,
            ModelLength = file.Length,
            ModelWriteTicks = file.LastWriteTimeUtc.Ticks,
            OutputColumn = modelFile?.OutputColumn,
            InputShape = modelFile?.InputShape?.ToArray(),
            Method = request.Method,
            Target = request.Target,
            Samples = request.Samples,
            Seed = request.Seed,
            FeatureNames = [.. data.FeatureNames],
            BackgroundValues = background is null ? [] : background.Rows.Values.ToArray(),
            BackgroundWeights = background is null ? [] : [.. background.Weights],
        };
        if (!shapley) job = ClusterMethods.Prepare(job, model, data, request, inputs);
        if (!file.Exists) throw new XaiException($"{modelPath}: model file not found");
        return job;
    }

    // The background an in-process ExplanationRunner resolves for the same request and inputs (its rule, repeated here:
    // a given weighted background; else a k-means summary of the reference data; else the given background rows,
    // summarised when a size is asked for).
    private static WeightedBackground Background(IModel model, FeatureTable reference, ExplanationInputs inputs, ExplanationRequest request)
    {
        if (request.BackgroundSize is < 1) throw new XaiException($"the background size must be at least 1, got {request.BackgroundSize}");
        if (inputs.WeightedBackground is { } weighted)
        {
            model.EnsureAccepts(weighted.Rows, "the background");
            return weighted;
        }
        if (inputs.Background is not { } background) return WeightedBackground.KMeans(reference, request.BackgroundSize ?? 10, request.Seed);
        model.EnsureAccepts(background, "the background");
        return request.BackgroundSize is { } k ? WeightedBackground.KMeans(background, k, request.Seed) : WeightedBackground.FromTable(background);
    }

    /// <summary>
    /// Runs a prepared per-row attribution job (kernel-shap, exact-shap; ig through <see cref="ExplainAsync"/>) on a
    /// connected cluster and gathers the result in row order.
    /// </summary>
    public static async Task<AttributionExplanation> RunAsync(IClusterClient client, JobSpec job, FeatureTable data,
        ClusterJobOptions? options = null, IProgress<ClusterProgress>? progress = null, CancellationToken cancellationToken = default)
        => (AttributionExplanation)await ExplainAsync(client, job, null, data, null, options, progress, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Runs a prepared job of any of <see cref="Methods"/> on a connected cluster and gathers or reduces the partitions'
    /// results into the explanation of the whole table, identical to the in-process run's. <paramref name="model"/> (the
    /// client's copy, used to combine the reduced sums) and <paramref name="inputs"/> (labels for permutation
    /// importance) are needed by all but the Shapley methods.
    /// </summary>
    public static async Task<Explanation> ExplainAsync(IClusterClient client, JobSpec job, IModel? model, FeatureTable data,
        ExplanationInputs? inputs = null, ClusterJobOptions? options = null, IProgress<ClusterProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(data);
        int m = data.ColumnCount;
        var extras = ClusterMethods.Extras(job, model, data, inputs);
        var (results, elapsed) = await PartitionScheduler.RunAsync(client, job.JobId, data.RowCount, (index, first, count) => extras(new PartitionWork
        {
            Job = job,
            Index = index,
            FirstRow = first,
            RowCount = count,
            Values = data.Values.Slice(first * m, count * m).ToArray(),
            Seed = PartitionSeed(job.Seed, first),
        }), options ?? new ClusterJobOptions(), progress, cancellationToken).ConfigureAwait(false);
        return ClusterMethods.IsAttribution(job.Method) ? Gather(job, data, results, elapsed) : ClusterMethods.Gather(job, model, data, inputs, results, elapsed);
    }

    // The partitions' rows, concatenated in row order, as one explanation of the whole table.
    private static AttributionExplanation Gather(JobSpec job, FeatureTable data, PartitionResult[] results, TimeSpan elapsed)
    {
        var first = results.Length > 0 ? results[0] : new PartitionResult();
        static ImmutableArray<double> Concat(IEnumerable<double[]> parts)
        {
            var builder = ImmutableArray.CreateBuilder<double>(parts.Sum(p => p.Length));
            foreach (var part in parts) builder.AddRange(part);
            return builder.MoveToImmutable();
        }
        return new AttributionExplanation
        {
            Method = job.Method,
            FeatureNames = data.FeatureNames,
            OutputNames = [.. first.OutputNames],
            Targets = [.. first.Targets],
            Data = data,
            Values = Concat(results.Select(r => r.Values)),
            StandardErrors = results.Any(r => r.StandardErrors.Length > 0) ? Concat(results.Select(r => r.StandardErrors)) : [],
            BaseValues = [.. first.BaseValues],
            Predictions = Concat(results.Select(r => r.Predictions)),
            AdditivityError = results.Length == 0 ? 0 : results.Max(r => r.AdditivityError),
            Elapsed = elapsed,
            ModelEvaluations = results.Sum(r => r.ModelEvaluations),
            Details = first.Details.ToImmutableDictionary(),
            InputShape = [.. first.InputShape],
            ConvergenceDeltas = results.Any(r => r.Arrays.ContainsKey("deltas")) ? Concat(results.Select(r => r.Arrays.GetValueOrDefault("deltas") ?? [])) : [],
        };
    }

    // A message on one line (Orleans' exceptions span several).
    internal static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
}

/// <summary>How a worker loads the model file: the options the command line passes to <see cref="ModelFiles.Load(string, string?, IReadOnlyList{int}?)"/>.</summary>
public sealed record ModelFileOptions
{
    /// <summary>ML.NET: the output column (null: the default).</summary>
    public string? OutputColumn { get; init; }

    /// <summary>The shape of one input (TorchScript needs it), or null.</summary>
    public IReadOnlyList<int>? InputShape { get; init; }
}
