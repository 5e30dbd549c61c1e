using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Runtime.InteropServices;
using Interactive.Xai.Hosting;

namespace Interactive.Xai.Cluster;

/// <summary>
/// What one worker (silo) keeps between partitions: each model file loaded once (by path, length and write time) and
/// an <see cref="ExplainerCache"/>, so the background predictions and Kernel SHAP designs are computed once per silo
/// and reused by every partition of a job. Safe for concurrent partitions.
/// </summary>
public sealed class WorkerState : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<LoadedModel>> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, WeightedBackground> _backgrounds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<LimeExplainer>> _limes = new(StringComparer.Ordinal);
    private readonly ExplainerCache _cache = new();
    private readonly ExplanationRunner _runner;
    private long _partitions;

    /// <summary>Creates an empty worker state.</summary>
    public WorkerState() => _runner = new ExplanationRunner(_cache);

    /// <summary>Partitions this worker has explained.</summary>
    public long Partitions => Interlocked.Read(ref _partitions);

    /// <summary>Explainer cache hits (a job's second and later partitions on this worker).</summary>
    public long CacheHits => _cache.Hits;

    /// <summary>Explains one partition with the explainers an in-process explanation uses (see <see cref="ClusterJob.Methods"/>).</summary>
    public PartitionResult Explain(PartitionWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var job = work.Job;
        var model = Model(job);
        int m = job.FeatureNames.Length;
        if (work.Values.Length != (long)work.RowCount * m)
            throw new XaiException($"partition {work.Index}: {work.Values.Length} values do not make {work.RowCount} rows of {m} features");
        var rows = FeatureTable.FromRowMajor(work.Values, work.RowCount, m, job.FeatureNames);
        PartitionResult result;
        if (job.Method is "kernel-shap" or "exact-shap")
        {
            var request = new ExplanationRequest { Method = job.Method, Target = job.Target, Samples = job.Samples, Seed = work.Seed };
            var inputs = new ExplanationInputs { WeightedBackground = Background(job) };
            var explanation = (AttributionExplanation)_runner.Run(model, rows, request, inputs, progress: null, cancellationToken);
            result = ClusterMethods.Attribution(work.Index, explanation);
        }
        else
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            result = ClusterMethods.Explain(work, model, rows, () => Lime(job, model), cancellationToken) with { Seconds = clock.Elapsed.TotalSeconds };
        }
        Interlocked.Increment(ref _partitions);
        return result;
    }

    // One LIME explainer per (model, reference rows, options): its training statistics are computed once per worker.
    private LimeExplainer Lime(JobSpec job, IModel model)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(MemoryMarshal.AsBytes(job.ReferenceValues.AsSpan()));
        foreach (var name in job.FeatureNames) hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name + "\0"));
        string key = string.Join('|', ModelKey(job), Convert.ToHexString(hash.GetHashAndReset()), ClusterMethods.LimeOptions(job));
        if (_limes.Count > 16) _limes.Clear();
        return _limes.GetOrAdd(key, _ => new Lazy<LimeExplainer>(() => new LimeExplainer(model,
            FeatureTable.FromRowMajor(job.ReferenceValues, job.ReferenceRows, job.FeatureNames.Length, job.FeatureNames), ClusterMethods.LimeOptions(job)))).Value;
    }

    private static string ModelKey(JobSpec job) => string.Join('|', job.ModelPath, job.ModelLength, job.ModelWriteTicks, job.OutputColumn ?? "",
        job.InputShape is null ? "" : string.Join(',', job.InputShape));

    private IModel Model(JobSpec job)
    {
        var info = new FileInfo(job.ModelPath);
        if (!info.Exists) throw new XaiException($"{job.ModelPath}: model file not found on worker {Environment.MachineName}");
        if (info.Length != job.ModelLength || info.LastWriteTimeUtc.Ticks != job.ModelWriteTicks)
            throw new XaiException($"{job.ModelPath}: the worker's copy differs from the submitted one (size or write time); give every worker the same file");
        string key = ModelKey(job);
        var lazy = _models.GetOrAdd(key, _ => new Lazy<LoadedModel>(() => ModelFiles.Load(job.ModelPath, job.OutputColumn, job.InputShape)));
        try
        {
            return lazy.Value.Model;
        }
        catch
        {
            _models.TryRemove(key, out _);
            throw;
        }
    }

    // One object per background content, so the explainer cache (which compares backgrounds by reference) finds the
    // explainer an earlier partition built.
    private WeightedBackground Background(JobSpec job)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(MemoryMarshal.AsBytes(job.BackgroundValues.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(job.BackgroundWeights.AsSpan()));
        foreach (var name in job.FeatureNames) hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name + "\0"));
        string key = Convert.ToHexString(hash.GetHashAndReset());
        if (_backgrounds.Count > 64) _backgrounds.Clear();
        return _backgrounds.GetOrAdd(key, _ =>
        {
            int m = job.FeatureNames.Length;
            var rows = FeatureTable.FromRowMajor(job.BackgroundValues, job.BackgroundWeights.Length, m, job.FeatureNames);
            return WeightedBackground.FromNormalizedWeights(rows, job.BackgroundWeights);
        });
    }

    /// <summary>Releases the loaded models.</summary>
    public void Dispose()
    {
        foreach (var lazy in _models.Values)
            if (lazy.IsValueCreated) lazy.Value.Dispose();
        _models.Clear();
    }
}
