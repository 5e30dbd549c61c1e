using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai.Engine;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>A named group of features shuffled together by permutation importance.</summary>
/// <param name="Name">The group's name as reported.</param>
/// <param name="Features">The feature names in the group.</param>
public sealed record FeatureGroup(string Name, IReadOnlyList<string> Features);

/// <summary>Options for <see cref="PermutationImportanceExplainer"/>.</summary>
public sealed record PermutationImportanceOptions : ExplainerOptions
{
    /// <summary>The metric; importance is the loss increase or score decrease when a feature is shuffled.</summary>
    public PermutationMetric Metric { get; init; } = PermutationMetric.MeanSquaredError;

    /// <summary>Shuffles per feature.</summary>
    public int Repeats { get; init; } = 5;

    /// <summary>The output regression metrics read (classification metrics read all outputs).</summary>
    public int Output { get; init; }

    /// <summary>Groups of features shuffled together; null means every feature on its own.</summary>
    public IReadOnlyList<FeatureGroup>? Groups { get; init; }

    /// <summary>Upper bound on perturbed rows held in memory at once.</summary>
    public long MaxEvaluationsPerBlock { get; init; } = 1L << 22;
}

/// <summary>
/// Permutation feature importance (Breiman; scikit-learn's permutation_importance): for each feature or group,
/// the rows' values of that feature are shuffled (the same permutation for every column of a group) and the
/// metric recomputed; importance = metric(shuffled) - metric(original) for losses and the reverse for scores.
/// A model that ignores a feature gives it exactly zero. The permutation of (repeat, feature) is derived from the
/// seed alone, so results do not depend on parallelism. All shuffled copies go to the model in large batches.
/// </summary>
public sealed class PermutationImportanceExplainer
{
    private readonly IModel _model;
    private readonly PermutationImportanceOptions _options;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "permutation-importance";

    /// <summary>Creates the explainer.</summary>
    public PermutationImportanceExplainer(IModel model, PermutationImportanceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new PermutationImportanceOptions();
        _options.Validate();
        if (_options.Repeats < 1) throw new XaiException($"repeats must be at least 1, got {_options.Repeats}");
        if (_options.Output < 0 || _options.Output >= model.OutputCount())
            throw new XaiException($"output {_options.Output} does not exist; the model has {model.OutputCount()} output(s)");
        _model = model;
    }

    /// <summary>Scores the model on <paramref name="data"/> and <paramref name="labels"/> and measures each feature's importance.</summary>
    public PermutationImportanceExplanation Explain(FeatureTable data, IReadOnlyList<float> labels,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(labels);
        _model.EnsureAccepts(data, "the data");
        if (labels.Count != data.RowCount) throw new XaiException($"{labels.Count} labels for {data.RowCount} rows");
        if (data.RowCount < 2) throw new XaiException("permutation importance needs at least 2 rows");
        var labelArray = labels.ToArray();
        ValidateLabels(labelArray);
        var stopwatch = Stopwatch.StartNew();

        var (names, columns) = ResolveGroups(data);
        int m = _model.FeatureCount, k = _model.OutputCount(), n = data.RowCount;
        int groups = names.Length, repeats = _options.Repeats;
        var evaluator = new BatchEvaluator(_model, _options, MethodName, (long)n * (1 + groups * repeats), progress, cancellationToken);
        var baseline = evaluator.Evaluate(n, (first, count, dest) => data.Values.Slice((int)first * m, count * m).CopyTo(dest));
        ValidateOutputs(baseline);
        double baselineScore = Metrics.Score(_options.Metric, baseline, k, _options.Output, labelArray);
        bool higherIsBetter = Metrics.HigherIsBetter(_options.Metric);

        // One job per (group, repeat); jobs are evaluated in blocks bounded in memory.
        int jobs = groups * repeats;
        var importance = new double[jobs];
        int jobsPerBlock = (int)Math.Clamp(_options.MaxEvaluationsPerBlock / n, 1, jobs);
        // Permutations and outputs are allocated once and refilled per block (not left as large garbage per block).
        var permutations = new int[jobsPerBlock][];
        for (int i = 0; i < jobsPerBlock; i++) permutations[i] = new int[n];
        var outputs = new float[(long)jobsPerBlock * n * k];
        for (int startJob = 0; startJob < jobs; startJob += jobsPerBlock)
        {
            int blockJobs = Math.Min(jobsPerBlock, jobs - startJob);
            // Each job's permutation comes from its own seeded stream, so drawing them in parallel changes nothing.
            int start = startJob;
            Parallel.For(0, blockJobs, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism ?? -1 }, i =>
            {
                int job = start + i;
                Statistics.Permutation(permutations[i], new Random(Statistics.DeriveSeed(_options.Seed, job / repeats, job % repeats)));
            });
            evaluator.Evaluate((long)blockJobs * n, (first, count, dest) =>
            {
                var values = data.Values;
                int local = (int)(first / n), r = (int)(first % n);
                for (int i = 0; i < count; i++)
                {
                    var row = dest.Slice(i * m, m);
                    values.Slice(r * m, m).CopyTo(row);
                    var source = values.Slice(permutations[local][r] * m, m);
                    foreach (var c in columns[(startJob + local) / repeats]) row[c] = source[c];
                    if (++r == n) { r = 0; local++; }
                }
            }, outputs);
            Parallel.For(0, blockJobs, new ParallelOptions { CancellationToken = cancellationToken }, local =>
            {
                double score = Metrics.Score(_options.Metric, outputs.AsSpan(local * n * k, n * k), k, _options.Output, labelArray);
                importance[startJob + local] = higherIsBetter ? baselineScore - score : score - baselineScore;
            });
        }

        var values = new ImmutableArray<double>[groups];
        var mean = new double[groups];
        var std = new double[groups];
        for (int g = 0; g < groups; g++)
        {
            var repeatsOfGroup = importance.AsSpan(g * repeats, repeats);
            values[g] = repeatsOfGroup.ToArray().ToImmutableArray();
            mean[g] = Statistics.Mean(repeatsOfGroup);
            std[g] = Statistics.StandardDeviation(repeatsOfGroup);
        }
        var outputIndices = _options.Metric is PermutationMetric.Accuracy or PermutationMetric.LogLoss
            ? Enumerable.Range(0, k).ToImmutableArray()
            : [_options.Output];
        return new PermutationImportanceExplanation
        {
            Method = MethodName,
            OutputNames = outputIndices.Select(o => _model.OutputNames[o]).ToImmutableArray(),
            Targets = outputIndices,
            FeatureNames = names,
            FeatureColumns = columns,
            Metric = _options.Metric,
            Repeats = repeats,
            BaselineScore = baselineScore,
            Mean = mean.ToImmutableArray(),
            StandardDeviation = std.ToImmutableArray(),
            Values = values.ToImmutableArray(),
            RowCount = n,
            Elapsed = stopwatch.Elapsed,
            ModelEvaluations = evaluator.Evaluations,
        };
    }

    private (ImmutableArray<string> Names, ImmutableArray<ImmutableArray<int>> Columns) ResolveGroups(FeatureTable data)
    {
        if (_options.Groups is null)
            return (data.FeatureNames, Enumerable.Range(0, data.ColumnCount).Select(c => ImmutableArray.Create(c)).ToImmutableArray());
        if (_options.Groups.Count == 0) throw new XaiException("feature groups were given but the list is empty");
        var names = new List<string>();
        var columns = new List<ImmutableArray<int>>();
        foreach (var group in _options.Groups)
        {
            if (group.Features.Count == 0) throw new XaiException($"feature group '{group.Name}' has no features");
            names.Add(group.Name);
            columns.Add(group.Features.Select(data.IndexOf).Distinct().ToImmutableArray());
        }
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count) throw new XaiException("feature group names must be unique");
        return (names.ToImmutableArray(), columns.ToImmutableArray());
    }

    private void ValidateLabels(float[] labels)
    {
        if (_options.Metric is not (PermutationMetric.Accuracy or PermutationMetric.LogLoss)) return;
        int classes = Math.Max(2, _model.OutputCount());
        for (int r = 0; r < labels.Length; r++)
        {
            float label = labels[r];
            if (label != MathF.Round(label) || label < 0 || label >= classes)
                throw new XaiException($"label of row {r} is {label.ToString(CultureInfo.InvariantCulture)}; {_options.Metric} needs class indices 0..{classes - 1}");
        }
    }

    private void ValidateOutputs(float[] outputs)
    {
        if (_options.Metric != PermutationMetric.LogLoss) return;
        int k = _model.OutputCount();
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i] < 0 || outputs[i] > 1)
                throw new XaiException($"log-loss needs probabilities in [0, 1], but output '{_model.OutputNames[i % k]}' is {outputs[i].ToString(CultureInfo.InvariantCulture)} for row {i / k}");
        }
    }
}
