using Orleans;
using Interactive.Xai.Numerics;
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

    /// <summary>pdp, ice, ale: the feature's column (pdp of two features: the first).</summary>
    [Id(13)] public int Feature { get; init; } = -1;

    /// <summary>pdp of two features: the second feature's column; -1 otherwise.</summary>
    [Id(14)] public int SecondFeature { get; init; } = -1;

    /// <summary>pdp, ice: the grid the client resolved from the whole table (two features: the first feature's).</summary>
    [Id(15)] public double[] Grid { get; init; } = [];

    /// <summary>pdp of two features: the second feature's grid.</summary>
    [Id(16)] public double[] SecondGrid { get; init; } = [];

    /// <summary>ale: the bin edges the client resolved from the whole table.</summary>
    [Id(17)] public double[] Edges { get; init; } = [];

    /// <summary>permutation-importance: shuffles per feature.</summary>
    [Id(18)] public int Repeats { get; init; }

    /// <summary>permutation-importance: the metric's name (resolved: never null for that method).</summary>
    [Id(19)] public string? Metric { get; init; }

    /// <summary>permutation-importance: the output regression metrics read.</summary>
    [Id(20)] public int Output { get; init; }

    /// <summary>ig: steps along the path.</summary>
    [Id(21)] public int Steps { get; init; }

    /// <summary>ig: the integration rule's name (null: the default).</summary>
    [Id(22)] public string? Rule { get; init; }

    /// <summary>ig: "zeros", "mean" (then <see cref="BaselineValues"/> holds the means) or "rows" (one row in <see cref="BaselineValues"/>).</summary>
    [Id(23)] public string BaselineKind { get; init; } = "zeros";

    /// <summary>ig: the one baseline row the client resolved, or empty for zeros.</summary>
    [Id(24)] public float[] BaselineValues { get; init; } = [];

    /// <summary>ig: the input shape the request names (null: the model's own).</summary>
    [Id(25)] public int[]? RequestInputShape { get; init; }

    /// <summary>lime: the most features a surrogate uses (null: the default).</summary>
    [Id(26)] public int? LimeFeatures { get; init; }

    /// <summary>lime: whether features are discretised.</summary>
    [Id(27)] public bool LimeDiscretize { get; init; } = true;

    /// <summary>lime: the reference (training) rows whose statistics and values drive sampling, row-major; empty otherwise.</summary>
    [Id(28)] public float[] ReferenceValues { get; init; } = [];

    /// <summary>lime: the reference rows' count.</summary>
    [Id(29)] public int ReferenceRows { get; init; }

    /// <summary>pdp, ice: the most rows whose ICE curves are kept (null: every row's).</summary>
    [Id(30)] public int? MaxIceCurves { get; init; }
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

    /// <summary>permutation-importance: the partition's labels.</summary>
    [Id(6)] public float[] Labels { get; init; } = [];

    /// <summary>
    /// permutation-importance: for every shuffle (feature x repeats + repeat), for every row of the partition, the
    /// shuffled feature's value the whole table's shuffle gives that row.
    /// </summary>
    [Id(7)] public float[] ShuffledValues { get; init; } = [];

    /// <summary>pdp, ice: the partition's rows (indices into the partition) whose ICE curves the result keeps.</summary>
    [Id(8)] public int[] IceRows { get; init; } = [];
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

    /// <summary>Decomposable methods: exact sums (<see cref="ExactSum.Partials"/>), merged by the client in any order.</summary>
    [Id(13)] public double[][] Sums { get; init; } = [];

    /// <summary>ale: rows per bin.</summary>
    [Id(14)] public long[] Counts { get; init; } = [];

    /// <summary>Further per-row arrays by name (ICE curves, LIME's coefficients, IG's convergence deltas, ...), row-major.</summary>
    [Id(15)] public Dictionary<string, double[]> Arrays { get; init; } = [];

    /// <summary>lime: the features each (row, target) surrogate selected.</summary>
    [Id(16)] public int[][] Selected { get; init; } = [];

    /// <summary>lime: each (row, feature)'s description.</summary>
    [Id(17)] public string[] Descriptions { get; init; } = [];

    /// <summary>Attributions: the input shape of the result (images), or empty.</summary>
    [Id(18)] public int[] InputShape { get; init; } = [];
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

/// <summary>How a worker found its cluster, as it answers <see cref="IWorkerInfoGrain.Describe"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkerDescription
{
    /// <summary>The worker's own silo-to-silo endpoint (host:port).</summary>
    [Id(0)] public string Silo { get; init; } = "";

    /// <summary>True when the membership lives in Redis (xai worker --redis): no worker is special.</summary>
    [Id(1)] public bool Redis { get; init; }

    /// <summary>
    /// Localhost clustering: the primary worker's silo endpoint (host:port), which keeps the cluster's membership table
    /// in its memory (the worker's own endpoint when it is the primary); null with Redis.
    /// </summary>
    [Id(2)] public string? Primary { get; init; }
}

/// <summary>
/// Answers on the worker whose gateway the call came through (a stateless worker grain needs no directory and no
/// membership), so a client can still learn how the cluster is held together when its membership cannot be read.
/// </summary>
public interface IWorkerInfoGrain : IGrainWithIntegerKey
{
    /// <summary>How this worker found its cluster.</summary>
    Task<WorkerDescription> Describe();
}
