using System.Buffers;
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
        var stopwatch = Stopwatch.StartNew();
        var labelArray = Check(data, labels);
        var (_, columns) = ResolveGroups(data);
        var columnArrays = columns.Select(group => group.ToArray()).ToArray();
        int m = _model.FeatureCount, n = data.RowCount, repeats = _options.Repeats;
        int jobs = columns.Length * repeats;
        var evaluator = new BatchEvaluator(_model, _options, MethodName, (long)n * (1 + jobs), progress, cancellationToken);
        // The block's permutations, one after another (n rows each), in an array from the shared pool: refilled per
        // block and reused from call to call, not megabytes of new memory every call.
        int[] permutations = [];
        ExactSum[] sums;
        try
        {
            sums = Sums(data, labelArray, 0, columns, evaluator, (start, count) =>
            {
                if (permutations.Length < (long)count * n)
                {
                    if (permutations.Length > 0) ArrayPool<int>.Shared.Return(permutations);
                    permutations = [];
                    permutations = ArrayPool<int>.Shared.Rent(checked(count * n));
                }
                // Each job's permutation comes from its own seeded stream, so drawing them in parallel changes nothing.
                Parallel.For(0, count, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism ?? -1 },
                    i => Fill(permutations.AsSpan(i * n, n), start + i));
            }, (job, local, firstRow, rowCount, destination) =>
            {
                // Row firstRow + i takes the job's columns from row permutation[firstRow + i].
                var values = data.Values;
                var permutation = permutations.AsSpan(local * n + firstRow, rowCount);
                var group = columnArrays[job / repeats];
                if (group.Length == 1)
                {
                    int c = group[0];
                    for (int i = 0; i < permutation.Length; i++) destination[i * m + c] = values[permutation[i] * m + c];
                }
                else
                {
                    for (int i = 0; i < permutation.Length; i++)
                    {
                        int source = permutation[i] * m;
                        foreach (var c in group) destination[i * m + c] = values[source + c];
                    }
                }
            }, cancellationToken);
        }
        finally
        {
            if (permutations.Length > 0) ArrayPool<int>.Shared.Return(permutations);
        }
        return Combine(data, labelArray, sums, stopwatch.Elapsed, evaluator.Evaluations);
    }

    /// <summary>
    /// The shuffle of job <paramref name="job"/> (feature or group job / repeats, repeat job % repeats) over
    /// <paramref name="rowCount"/> rows: row i takes the shuffled columns from row permutation[i]. It depends only on
    /// the seed, the job and the row count.
    /// </summary>
    public int[] Permutation(int job, int rowCount)
    {
        var permutation = new int[rowCount];
        Fill(permutation, job);
        return permutation;
    }

    private void Fill(Span<int> permutation, int job)
        => Statistics.Permutation(permutation, new Random(Statistics.DeriveSeed(_options.Seed, job / _options.Repeats, job % _options.Repeats)));

    /// <summary>The features or groups shuffled (names, and each one's columns), in job order (job = index x repeats + repeat).</summary>
    public (ImmutableArray<string> Names, ImmutableArray<ImmutableArray<int>> Columns) Groups(FeatureTable data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return ResolveGroups(data);
    }

    /// <summary>
    /// The exact sums of the metric's per-row terms over a block of a table's rows (<paramref name="rows"/>, the
    /// table's rows <paramref name="firstRow"/> onwards): element 0 unshuffled, element 1 + job with job's shuffle.
    /// <paramref name="shuffledValues"/> holds, for every job in order, for every row of the block, the values of the
    /// job's columns (<see cref="Groups"/>) that the table's shuffle gives that row (those of row permutation[row]).
    /// The sums of the blocks of any partition of a table, merged, give the table's sums exactly; <see cref="Combine"/>
    /// turns them into the explanation.
    /// </summary>
    public ExactSum[] PartialSums(FeatureTable rows, IReadOnlyList<float> labels, int firstRow, ReadOnlyMemory<float> shuffledValues,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(labels);
        _model.EnsureAccepts(rows, "the data");
        if (labels.Count != rows.RowCount) throw new XaiException($"{labels.Count} labels for {rows.RowCount} rows");
        var labelArray = labels.ToArray();
        ValidateLabels(labelArray, firstRow);
        var (_, columns) = ResolveGroups(rows);
        int n = rows.RowCount, repeats = _options.Repeats, jobs = columns.Length * repeats;
        var offsets = new int[jobs + 1];
        for (int job = 0; job < jobs; job++) offsets[job + 1] = offsets[job] + n * columns[job / repeats].Length;
        if (shuffledValues.Length != offsets[jobs])
            throw new XaiException($"{shuffledValues.Length} shuffled values for {n} rows and {jobs} shuffles; expected {offsets[jobs]}");
        var evaluator = new BatchEvaluator(_model, _options, MethodName, (long)n * (1 + jobs), progress, cancellationToken);
        var columnArrays = columns.Select(group => group.ToArray()).ToArray();
        int m = _model.FeatureCount;
        return Sums(rows, labelArray, firstRow, columns, evaluator, null, (job, _, blockRow, rowCount, destination) =>
        {
            var group = columnArrays[job / repeats];
            var source = shuffledValues.Span.Slice(offsets[job] + blockRow * group.Length, rowCount * group.Length);
            for (int i = 0; i < rowCount; i++)
                for (int c = 0; c < group.Length; c++) destination[i * m + group[c]] = source[i * group.Length + c];
        }, cancellationToken);
    }

    /// <summary>Model evaluations <see cref="PartialSums"/> makes for a block of <paramref name="rows"/> rows with <paramref name="groups"/> features or groups.</summary>
    public long EvaluationsFor(int rows, int groups) => (long)rows * (1 + groups * _options.Repeats);

    /// <summary>
    /// The explanation from the exact sums over all of <paramref name="data"/>'s rows (<see cref="PartialSums"/> of its
    /// blocks, merged): the same, bit for bit, as <see cref="Explain"/> on the whole table.
    /// </summary>
    public PermutationImportanceExplanation Combine(FeatureTable data, IReadOnlyList<float> labels, IReadOnlyList<ExactSum> sums,
        TimeSpan elapsed, long modelEvaluations)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(sums);
        var (names, columns) = ResolveGroups(data);
        int n = data.RowCount, k = _model.OutputCount(), groups = names.Length, repeats = _options.Repeats;
        if (sums.Count != 1 + groups * repeats) throw new XaiException($"{sums.Count} sums for {groups * repeats} shuffles and the unshuffled data");
        var labelArray = labels as float[] ?? labels.ToArray();
        double totalSquares = _options.Metric == PermutationMetric.R2 ? Metrics.TotalSquares(labelArray) : 0;
        double baselineScore = Metrics.Score(_options.Metric, sums[0].Value, n, totalSquares);
        bool higherIsBetter = Metrics.HigherIsBetter(_options.Metric);
        var importance = new double[groups * repeats];
        for (int job = 0; job < importance.Length; job++)
        {
            double score = Metrics.Score(_options.Metric, sums[1 + job].Value, n, totalSquares);
            importance[job] = higherIsBetter ? baselineScore - score : score - baselineScore;
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
            Elapsed = elapsed,
            ModelEvaluations = modelEvaluations,
        };
    }

    /// <summary>
    /// Checks a whole table and its labels as <see cref="Explain"/> does (the same one-line errors), without evaluating
    /// the model on shuffles; returns the labels as an array.
    /// </summary>
    public float[] Check(FeatureTable data, IReadOnlyList<float> labels)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(labels);
        _model.EnsureAccepts(data, "the data");
        if (labels.Count != data.RowCount) throw new XaiException($"{labels.Count} labels for {data.RowCount} rows");
        if (data.RowCount < 2) throw new XaiException("permutation importance needs at least 2 rows");
        var labelArray = labels.ToArray();
        ValidateLabels(labelArray, 0);
        ResolveGroups(data);
        return labelArray;
    }

    // Writes the shuffled columns of job's rows firstRow .. firstRow + rowCount - 1 (of the block's table) into
    // destination, which holds those rows' unshuffled values, row-major.
    private delegate void ShuffleRows(int job, int localJob, int firstRow, int rowCount, Span<float> destination);

    // Unshuffled, then the jobs in blocks bounded in memory; each job's per-row terms summed exactly.
    private ExactSum[] Sums(FeatureTable data, float[] labels, int firstRow, ImmutableArray<ImmutableArray<int>> columns, BatchEvaluator evaluator,
        Action<int, int>? prepareBlock, ShuffleRows shuffle, CancellationToken cancellationToken)
    {
        int m = _model.FeatureCount, k = _model.OutputCount(), n = data.RowCount;
        int jobs = columns.Length * _options.Repeats;
        var sums = new ExactSum[1 + jobs];
        var baseline = evaluator.Evaluate(n, (first, count, dest) => data.Values.Slice((int)first * m, count * m).CopyTo(dest));
        ValidateOutputs(baseline, firstRow);
        sums[0] = Metrics.Sum(_options.Metric, baseline, k, _options.Output, labels);
        if (n == 0 || jobs == 0) return FillEmpty(sums);
        int jobsPerBlock = (int)Math.Clamp(_options.MaxEvaluationsPerBlock / n, 1, jobs);
        // From the shared pool (every value the metric reads is written by the model first): reused from call to call.
        var outputs = ArrayPool<float>.Shared.Rent(checked(jobsPerBlock * n * k));
        try
        {
            for (int startJob = 0; startJob < jobs; startJob += jobsPerBlock)
            {
                int blockJobs = Math.Min(jobsPerBlock, jobs - startJob);
                int start = startJob;
                prepareBlock?.Invoke(start, blockJobs);
                evaluator.Evaluate((long)blockJobs * n, (first, count, dest) =>
                {
                    // A batch is runs of consecutive rows of one job: each run's rows are copied in one piece, then the
                    // job's columns are overwritten with the shuffled values.
                    var values = data.Values;
                    int local = (int)(first / n), r = (int)(first % n);
                    for (int i = 0; i < count;)
                    {
                        int run = Math.Min(count - i, n - r);
                        var rows = dest.Slice(i * m, run * m);
                        values.Slice(r * m, run * m).CopyTo(rows);
                        shuffle(start + local, local, r, run, rows);
                        i += run;
                        r = 0;
                        local++;
                    }
                }, outputs);
                Parallel.For(0, blockJobs, new ParallelOptions { CancellationToken = cancellationToken }, local =>
                    sums[1 + start + local] = Metrics.Sum(_options.Metric, outputs.AsSpan(local * n * k, n * k), k, _options.Output, labels));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(outputs);
        }
        return sums;
    }

    private static ExactSum[] FillEmpty(ExactSum[] sums)
    {
        for (int i = 0; i < sums.Length; i++) sums[i] ??= new ExactSum();
        return sums;
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

    private void ValidateLabels(float[] labels, int firstRow)
    {
        if (_options.Metric is not (PermutationMetric.Accuracy or PermutationMetric.LogLoss)) return;
        int classes = Math.Max(2, _model.OutputCount());
        for (int r = 0; r < labels.Length; r++)
        {
            float label = labels[r];
            if (label != MathF.Round(label) || label < 0 || label >= classes)
                throw new XaiException($"label of row {firstRow + r} is {label.ToString(CultureInfo.InvariantCulture)}; {_options.Metric} needs class indices 0..{classes - 1}");
        }
    }

    private void ValidateOutputs(float[] outputs, int firstRow)
    {
        if (_options.Metric != PermutationMetric.LogLoss) return;
        int k = _model.OutputCount();
        for (int i = 0; i < outputs.Length; i++)
        {
            if (outputs[i] < 0 || outputs[i] > 1)
                throw new XaiException($"log-loss needs probabilities in [0, 1], but output '{_model.OutputNames[i % k]}' is {outputs[i].ToString(CultureInfo.InvariantCulture)} for row {firstRow + i / k}");
        }
    }
}
