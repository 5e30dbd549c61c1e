using Orleans;
using Orleans.Placement;
using Orleans.Runtime;

namespace Interactive.Xai.Cluster;

/// <summary>
/// Runs one partition on the silo it was placed on (random placement, which follows the client's placement hint),
/// off Orleans' scheduler so that the explainer's parallel loops use the silo's cores; deactivates when done.
/// </summary>
[RandomPlacement]
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
