using System.Collections.Concurrent;
using Orleans;
using Orleans.GrainDirectory;
using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Runtime;

namespace Interactive.Xai.Cluster;

/// <summary>
/// Runs one partition on the silo it was placed on (random placement, which follows the client's placement hint),
/// off Orleans' scheduler so that the explainer's parallel loops use the silo's cores; deactivates when done. Its
/// activations are registered in the worker's own <see cref="WorkerLocalDirectory"/>, so running a partition involves no
/// silo but the one it runs on.
/// </summary>
[RandomPlacement]
[GrainDirectory(WorkerLocalDirectory.Name)]
internal sealed class PartitionGrain(WorkerState state, ILocalSiloDetails silo) : Grain, IPartitionGrain
{
    public async Task<PartitionResult> Explain(PartitionWork work, CancellationToken cancellationToken)
    {
        try
        {
            var result = await Task.Run(() => state.Explain(work, cancellationToken), cancellationToken);
            return result with { Worker = silo.SiloAddress.ToString() };
        }
        catch (XaiException e)
        {
            return new PartitionResult { Index = work.Index, Error = e.Message, Worker = silo.SiloAddress.ToString() };
        }
        finally
        {
            DeactivateOnIdle();
        }
    }
}

/// <summary>
/// A grain directory that knows only the activations of its own silo. Partition grains are keyed by (job, partition,
/// attempt), each called by one client that always names the silo to place it on, so no silo ever needs to find another
/// silo's partition: with Orleans' default directory (a hash ring over all silos) activating a partition on a live worker
/// needed a lookup and a registration on whichever worker owned the key's ring range, which fails or waits while that
/// worker is dead but not yet declared dead.
/// </summary>
internal sealed class WorkerLocalDirectory : IGrainDirectory
{
    /// <summary>The directory's name (what <see cref="GrainDirectoryAttribute"/> names).</summary>
    public const string Name = "xai-worker-local";

    private readonly ConcurrentDictionary<GrainId, GrainAddress> _entries = new();

    public Task<GrainAddress?> Register(GrainAddress address)
        => Task.FromResult<GrainAddress?>(_entries.GetOrAdd(address.GrainId, address));

    public Task Unregister(GrainAddress address)
    {
        _entries.TryRemove(new KeyValuePair<GrainId, GrainAddress>(address.GrainId, address));
        return Task.CompletedTask;
    }

    public Task<GrainAddress?> Lookup(GrainId grainId)
        => Task.FromResult(_entries.TryGetValue(grainId, out var address) ? address : null);

    public Task UnregisterSilos(List<SiloAddress> siloAddresses)
    {
        foreach (var entry in _entries)
            if (entry.Value.SiloAddress is { } silo && siloAddresses.Contains(silo))
                _entries.TryRemove(entry);
        return Task.CompletedTask;
    }
}

/// <summary>Describes the worker it runs on (see <see cref="IWorkerInfoGrain"/>).</summary>
[StatelessWorker]
internal sealed class WorkerInfoGrain(WorkerOptions options, ILocalSiloDetails silo) : Grain, IWorkerInfoGrain
{
    public Task<WorkerDescription> Describe() => Task.FromResult(new WorkerDescription
    {
        Silo = silo.SiloAddress.Endpoint.ToString(),
        Redis = options.Redis is not null,
        Primary = options.Redis is not null ? null : (options.Primary ?? silo.SiloAddress.Endpoint).ToString(),
    });
}
