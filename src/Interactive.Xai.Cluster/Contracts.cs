using Orleans;
using Orleans.Concurrency;

namespace Interactive.Xai.Cluster;

/// <summary>
/// What every partition of one job shares: the model file (a path every worker can read, with the size and write time
/// the client saw, so a worker that finds another file refuses it), the method and its options, and the weighted
/// background the client resolved (so every worker takes expectations over the same rows).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record JobSpec
{
    /// <summary>The job's id (partition grains are keyed by it).</summary>
    [Id(0)] public required string JobId { get; init; }

    /// <summary>The model file's full path, as every worker reads it.</summary>
    [Id(1)] public required string ModelPath { get; init; }

    /// <summary>The model file's length in bytes when the job was submitted.</summary>
    [Id(2)] public long ModelLength { get; init; }

    /// <summary>The model file's last write time (UTC ticks) when the job was submitted.</summary>
    [Id(3)] public long ModelWriteTicks { get; init; }

    /// <summary>ML.NET: the output column (null: the default).</summary>
    [Id(4)] public string? OutputColumn { get; init; }

    /// <summary>The shape of one input (TorchScript models need it), or null.</summary>
    [Id(5)] public int[]? InputShape { get; init; }

    /// <summary>The method: one of <see cref="ClusterJob.Methods"/>.</summary>
    [Id(6)] public required string Method { get; init; }

    /// <summary>The target as the request names it ("0", "all", an output name).</summary>
    [Id(7)] public required string Target { get; init; }

    /// <summary>Kernel SHAP coalitions per row (null: the default).</summary>
    [Id(8)] public int? Samples { get; init; }

    /// <summary>The job's seed.</summary>
    [Id(9)] public int Seed { get; init; }

    /// <summary>The model's feature names, in the model's input order.</summary>
    [Id(10)] public required string[] FeatureNames { get; init; }

    /// <summary>The background rows, row-major.</summary>
    [Id(11)] public required float[] BackgroundValues { get; init; }

    /// <summary>The background rows' weights (they sum to 1).</summary>
    [Id(12)] public required double[] BackgroundWeights { get; init; }
}

/// <summary>One partition: a contiguous range of the job's rows, with their values.</summary>
[GenerateSerializer, Immutable]
public sealed record PartitionWork
{
    /// <summary>The job this partition belongs to.</summary>
    [Id(0)] public required JobSpec Job { get; init; }

    /// <summary>The partition's number (0-based, in row order).</summary>
    [Id(1)] public int Index { get; init; }

    /// <summary>The job row index of the partition's first row.</summary>
    [Id(2)] public int FirstRow { get; init; }

    /// <summary>The partition's rows, row-major (RowCount x feature count).</summary>
    [Id(3)] public required float[] Values { get; init; }

    /// <summary>How many rows the partition holds.</summary>
    [Id(4)] public int RowCount { get; init; }

    /// <summary>The seed the partition's explainer runs with (see <see cref="ClusterJob.PartitionSeed"/>).</summary>
    [Id(5)] public int Seed { get; init; }
}

/// <summary>What a worker sends back for one partition: the per-row results of its rows, in row order.</summary>
[GenerateSerializer, Immutable]
public sealed record PartitionResult
{
    /// <summary>The partition's number.</summary>
    [Id(0)] public int Index { get; init; }

    /// <summary>Values, row-major: [row][feature][target].</summary>
    [Id(1)] public double[] Values { get; init; } = [];

    /// <summary>Standard errors in the layout of <see cref="Values"/>; empty when the method has none.</summary>
    [Id(2)] public double[] StandardErrors { get; init; } = [];

    /// <summary>Predictions: [row][target].</summary>
    [Id(3)] public double[] Predictions { get; init; } = [];

    /// <summary>Base values per target.</summary>
    [Id(4)] public double[] BaseValues { get; init; } = [];

    /// <summary>The largest additivity error over the partition's rows.</summary>
    [Id(5)] public double AdditivityError { get; init; }

    /// <summary>Model evaluations the worker made for this partition.</summary>
    [Id(6)] public long ModelEvaluations { get; init; }

    /// <summary>The explained outputs' names.</summary>
    [Id(7)] public string[] OutputNames { get; init; } = [];

    /// <summary>The explained outputs' indexes.</summary>
    [Id(8)] public int[] Targets { get; init; } = [];

    /// <summary>The method's details (background rows, samples, ...).</summary>
    [Id(9)] public Dictionary<string, string> Details { get; init; } = [];

    /// <summary>The worker (silo) that ran the partition.</summary>
    [Id(10)] public string Worker { get; init; } = "";

    /// <summary>Seconds the worker spent on the partition.</summary>
    [Id(11)] public double Seconds { get; init; }

    /// <summary>A one-line error the worker met for reasons of input (the same on any worker, so not retried), or null.</summary>
    [Id(12)] public string? Error { get; init; }
}

/// <summary>
/// A partition of an explanation job. One activation per (job, partition, attempt) key, placed on the silo the client
/// hints (random placement honours the hint), so the client spreads partitions over the silos and re-runs a lost one
/// elsewhere under a new key.
/// </summary>
public interface IPartitionGrain : IGrainWithStringKey
{
    /// <summary>Explains the partition's rows; cancellation reaches the worker's explainer.</summary>
    Task<PartitionResult> Explain(PartitionWork work, CancellationToken cancellationToken);
}
