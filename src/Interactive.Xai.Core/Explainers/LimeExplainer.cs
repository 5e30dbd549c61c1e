using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai.Engine;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>Where LIME draws its perturbed samples.</summary>
public enum LimeSampling
{
    /// <summary>
    /// From the training data's statistics, as the lime package does by default: with discretisation each feature
    /// independently from its training values (its empirical marginal); without, mean + std x N(0, 1).
    /// </summary>
    TrainingDistribution,

    /// <summary>Around the explained row: x + std x N(0, 1) per feature (lime's sample_around_instance).</summary>
    AroundRow,
}

/// <summary>How LIME picks the K features its surrogate uses.</summary>
public enum LimeFeatureSelection
{
    /// <summary>Forward selection when K is at most 6, highest weights otherwise (the lime package's 'auto').</summary>
    Auto,

    /// <summary>
    /// Greedy forward selection by the weighted R² of an unpenalised least-squares fit (as the lime package, whose
    /// forward_selection fits Ridge(alpha=0)); the final surrogate on the chosen features then uses <see cref="LimeOptions.Ridge"/>.
    /// </summary>
    ForwardSelection,

    /// <summary>The features still non-zero at the last step of a Lasso path where at most K are.</summary>
    LassoPath,

    /// <summary>
    /// The K largest |coefficient x the row's own representation value| from a ridge fit (penalty 0.01) on all features,
    /// as the lime package's highest_weights (|coef x data[0]|); with discretisation the row's value is 1, so this is |coefficient|.
    /// </summary>
    HighestWeights,

    /// <summary>Every feature (K is ignored).</summary>
    None,
}

/// <summary>Options for <see cref="LimeExplainer"/>.</summary>
public sealed record LimeOptions : ExplainerOptions
{
    /// <summary>Perturbed samples per row and run, the row itself included (lime's num_samples).</summary>
    public int Samples { get; init; } = 5000;

    /// <summary>Whether to discretise features into quantile bins (lime's discretize_continuous).</summary>
    public bool Discretize { get; init; } = true;

    /// <summary>Quantile bins per feature when discretising: 4 = quartiles (lime's default), 10 = deciles.</summary>
    public int Bins { get; init; } = 4;

    /// <summary>Where samples come from.</summary>
    public LimeSampling Sampling { get; init; } = LimeSampling.TrainingDistribution;

    /// <summary>The exponential kernel's width; null means 0.75 x sqrt(features), as the lime package.</summary>
    public double? KernelWidth { get; init; }

    /// <summary>How the K features are chosen.</summary>
    public LimeFeatureSelection FeatureSelection { get; init; } = LimeFeatureSelection.Auto;

    /// <summary>K: the most features a surrogate uses (lime's num_features).</summary>
    public int FeatureCount { get; init; } = 10;

    /// <summary>The ridge penalty of the surrogate fit (the intercept is not penalised); lime's Ridge uses 1.</summary>
    public double Ridge { get; init; } = 1;

    /// <summary>
    /// Independent runs with derived seeds; the result is run 0's surrogate and the stability figures compare all
    /// runs. 1 turns stability off (and costs a third of the default).
    /// </summary>
    public int StabilityRuns { get; init; } = 3;

    /// <summary>
    /// Upper bound on perturbed rows held in memory at once (blocks are also kept below 2^26 input or output values, so
    /// a model with many features uses smaller blocks).
    /// </summary>
    public long MaxEvaluationsPerBlock { get; init; } = 1L << 18;
}

/// <summary>
/// LIME for tabular data (Ribeiro, Singh and Guestrin 2016; the lime package's LimeTabularExplainer): for each row,
/// perturbed samples are drawn (<see cref="LimeSampling"/>), mapped to an interpretable representation z (quantile-bin
/// indicators "same bin as the row" with discretisation, training-standardised values without), weighted by the
/// exponential kernel w = sqrt(exp(-d² / width²)) of their Euclidean distance d to the row in that representation
/// (with discretisation d² is the number of features outside the row's bin), and a weighted ridge surrogate is fitted
/// on the K features that <see cref="LimeOptions.FeatureSelection"/> picks. The surrogate's weighted R² on its samples
/// is reported as fidelity.
/// <para>
/// Stability: LIME is a sampled method and two seeds can disagree. With <see cref="LimeOptions.StabilityRuns"/> S &gt; 1
/// the whole fit is repeated with S derived seeds and the explanation reports, per row and target, the mean pairwise
/// Jaccard similarity of the selected feature sets and the standard deviation of every value over the runs.
/// </para>
/// The samples of many rows and runs go to the model together in large batches; each (row, run) draws from its own
/// seed-derived stream, so results do not depend on batching or parallelism.
/// </summary>
public sealed class LimeExplainer
{
    private readonly IModel _model;
    private readonly LimeOptions _options;
    // The training rows themselves (not a copy per column): marginal sampling draws values from them.
    private readonly FeatureTable _training;
    private readonly double[] _mean;
    private readonly double[] _scale;
    private readonly double[][] _edges;
    private readonly bool[] _constant;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "lime";

    /// <summary>Most input or output values one block of perturbed samples holds (2^26 floats, 256 MB); internal so tests can shrink it.</summary>
    internal long MaxValuesPerBlock { get; set; } = 1L << 26;

    /// <summary>Creates the explainer from the training data whose statistics drive sampling and discretisation.</summary>
    public LimeExplainer(IModel model, FeatureTable training, LimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(training);
        _options = options ?? new LimeOptions();
        _options.Validate();
        if (_options.Samples < 2) throw new XaiException($"lime needs at least 2 samples per row, got {_options.Samples}");
        if (_options.FeatureCount < 1) throw new XaiException($"lime needs at least 1 feature per explanation (K), got {_options.FeatureCount}");
        if (_options.Bins < 2) throw new XaiException($"lime discretisation needs at least 2 bins, got {_options.Bins}");
        if (_options.KernelWidth is { } width && !(width > 0 && double.IsFinite(width)))
            throw new XaiException($"the kernel width must be a positive number, got {width.ToString(CultureInfo.InvariantCulture)}");
        if (_options.StabilityRuns < 1) throw new XaiException($"stability runs must be at least 1, got {_options.StabilityRuns}");
        if (!(_options.Ridge >= 0)) throw new XaiException($"the ridge penalty must be non-negative, got {_options.Ridge.ToString(CultureInfo.InvariantCulture)}");
        model.EnsureAccepts(training, "the training data");
        if (training.RowCount < 2) throw new XaiException("lime needs at least 2 training rows for its feature statistics");
        _model = model;
        int m = model.FeatureCount;
        _training = training;
        _mean = new double[m];
        _scale = new double[m];
        _edges = new double[m][];
        _constant = new bool[m];
        // One buffer for every column (in row order for the moments, then sorted for the quantiles), not a copy and
        // a sorted copy per column: at 1M training rows that was 120 MB of garbage.
        var sorted = new double[training.RowCount];
        var values = training.Values;
        for (int j = 0; j < m; j++)
        {
            for (int r = 0; r < sorted.Length; r++) sorted[r] = values[r * m + j];
            double mean = 0;
            foreach (var v in sorted) mean += v;
            mean /= sorted.Length;
            double variance = 0;
            foreach (var v in sorted) variance += (v - mean) * (v - mean);
            double std = Math.Sqrt(variance / sorted.Length);
            _mean[j] = mean;
            _scale[j] = std > 0 ? std : 1;
            _constant[j] = std == 0;
            Array.Sort(sorted);
            var edges = new List<double>(_options.Bins - 1);
            for (int b = 1; b < _options.Bins; b++)
            {
                double q = Quantiles.Linear(sorted, b / (double)_options.Bins);
                if ((edges.Count == 0 || q > edges[^1]) && q < sorted[^1]) edges.Add(q);
            }
            _edges[j] = edges.ToArray();
        }
    }

    /// <summary>The kernel width in use.</summary>
    public double KernelWidth => _options.KernelWidth ?? 0.75 * Math.Sqrt(_model.FeatureCount);

    /// <summary>The quantile bin edges of each feature (empty for a feature with one value).</summary>
    public IReadOnlyList<IReadOnlyList<double>> BinEdges => _edges;

    /// <summary>Explains every row of <paramref name="rows"/> for the selected outputs (default: output 0).</summary>
    public LimeExplanation Explain(FeatureTable rows, OutputTarget? target = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
        => ExplainFrom(rows, 0, target, progress, cancellationToken);

    /// <summary>
    /// Explains <paramref name="rows"/>, the rows <paramref name="firstRow"/> onwards of a larger table: row i's samples
    /// come from the stream of (seed, <paramref name="firstRow"/> + i, run), so explaining a table in blocks (a cluster
    /// job's partitions) gives each row the values it gets when the whole table is explained at once.
    /// </summary>
    public LimeExplanation ExplainFrom(FeatureTable rows, int firstRow, OutputTarget? target = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(firstRow);
        _model.EnsureAccepts(rows, "the data");
        var stopwatch = Stopwatch.StartNew();
        var targets = (target ?? OutputTarget.Output(0)).Resolve(_model);
        int m = _model.FeatureCount, k = _model.OutputCount(), t = targets.Length, n = rows.RowCount;
        int samples = _options.Samples, runs = _options.StabilityRuns;
        int features = Math.Min(_options.FeatureCount, m);
        var evaluator = new BatchEvaluator(_model, _options, MethodName, n + (long)n * runs * samples, progress, cancellationToken);
        var predictions = evaluator.Evaluate(n, (first, count, dest) => rows.Values.Slice((int)first * m, count * m).CopyTo(dest));

        // Per (row, run): values and coefficients [feature][target], intercepts, fidelity and selections [target].
        int jobs = n * runs;
        var jobValues = new double[jobs][];
        var jobCoefficients = new double[jobs][];
        var jobIntercepts = new double[jobs][];
        var jobFidelity = new double[jobs][];
        var jobSelected = new int[jobs][][];
        // Blocks are sized by values held (samples x features inputs, samples x outputs results), not only by rows:
        // a wide model would otherwise pass 2^31 values. One job's samples must fit in an array on their own.
        long valuesPerJob = (long)samples * Math.Max(m, k);
        if (valuesPerJob > Array.MaxLength)
            throw new XaiException($"LIME with {samples} samples of {m} features and {k} outputs needs {valuesPerJob} values per row, more than one array holds; use fewer samples");
        long maxJobs = Math.Min(_options.MaxEvaluationsPerBlock / samples, MaxValuesPerBlock / valuesPerJob);
        int jobsPerBlock = (int)Math.Clamp(maxJobs, 1, Math.Max(jobs, 1));
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism ?? -1 };
        // One block's samples and outputs, allocated once: every block overwrites all of what it reads.
        var inputs = new float[(long)jobsPerBlock * samples * m];
        var outputs = new float[(long)jobsPerBlock * samples * k];
        for (int startJob = 0; startJob < jobs; startJob += jobsPerBlock)
        {
            int blockJobs = Math.Min(jobsPerBlock, jobs - startJob);
            Parallel.For(0, blockJobs, parallel, local =>
            {
                int job = startJob + local;
                var random = new FastRandom(Statistics.DeriveSeed(_options.Seed, firstRow + job / runs, job % runs));
                Sample(rows.Row(job / runs), ref random, inputs.AsSpan(checked((int)((long)local * samples * m)), samples * m));
            });
            evaluator.Evaluate((long)blockJobs * samples, (first, count, dest) =>
                inputs.AsSpan(checked((int)(first * m)), count * m).CopyTo(dest), outputs);
            Parallel.For(0, blockJobs, parallel, local =>
            {
                int job = startJob + local;
                var fit = FitSurrogate(rows.Row(job / runs), inputs.AsSpan(checked((int)((long)local * samples * m)), samples * m),
                    outputs.AsSpan(checked((int)((long)local * samples * k)), samples * k), targets, features);
                jobValues[job] = fit.Values;
                jobCoefficients[job] = fit.Coefficients;
                jobIntercepts[job] = fit.Intercepts;
                jobFidelity[job] = fit.Fidelity;
                jobSelected[job] = fit.Selected;
            });
        }

        var values = new double[n * m * t];
        var coefficients = new double[n * m * t];
        var intercepts = new double[n * t];
        var local = new double[n * t];
        var fidelity = new double[n * t];
        var predicted = new double[n * t];
        var selected = new ImmutableArray<int>[n * t];
        var descriptions = new string[n * m];
        var jaccard = runs > 1 ? new double[n * t] : null;
        var spread = runs > 1 ? new double[n * m * t] : null;
        for (int r = 0; r < n; r++)
        {
            int main = r * runs;
            Array.Copy(jobValues[main], 0, values, r * m * t, m * t);
            Array.Copy(jobCoefficients[main], 0, coefficients, r * m * t, m * t);
            for (int s = 0; s < t; s++)
            {
                intercepts[r * t + s] = jobIntercepts[main][s];
                fidelity[r * t + s] = jobFidelity[main][s];
                selected[r * t + s] = jobSelected[main][s].ToImmutableArray();
                predicted[r * t + s] = predictions[r * k + targets[s]];
                double sum = jobIntercepts[main][s];
                for (int j = 0; j < m; j++) sum += jobValues[main][j * t + s];
                local[r * t + s] = sum;
                if (jaccard is not null)
                {
                    double total = 0;
                    int pairs = 0;
                    for (int a = 0; a < runs; a++)
                        for (int b = a + 1; b < runs; b++, pairs++)
                            total += Jaccard(jobSelected[main + a][s], jobSelected[main + b][s]);
                    jaccard[r * t + s] = total / pairs;
                }
            }
            if (spread is not null)
            {
                var across = new double[runs];
                for (int i = 0; i < m * t; i++)
                {
                    for (int run = 0; run < runs; run++) across[run] = jobValues[main + run][i];
                    spread[r * m * t + i] = Statistics.StandardDeviation(across);
                }
            }
            for (int j = 0; j < m; j++) descriptions[r * m + j] = Describe(j, rows[r, j], rows.FeatureNames[j]);
        }

        var selection = EffectiveSelection(features, m);
        return new LimeExplanation
        {
            Method = MethodName,
            FeatureNames = rows.FeatureNames,
            OutputNames = targets.Select(o => _model.OutputNames[o]).ToImmutableArray(),
            Targets = targets,
            Data = rows,
            Values = ImmutableArray.Create(values),
            Coefficients = ImmutableArray.Create(coefficients),
            Intercepts = ImmutableArray.Create(intercepts),
            LocalPredictions = ImmutableArray.Create(local),
            Predictions = ImmutableArray.Create(predicted),
            Fidelity = ImmutableArray.Create(fidelity),
            SelectedFeatures = selected.ToImmutableArray(),
            FeatureDescriptions = descriptions.ToImmutableArray(),
            KernelWidth = KernelWidth,
            Samples = samples,
            Discretized = _options.Discretize,
            StabilityRuns = runs,
            StabilityJaccard = jaccard is null ? ImmutableArray<double>.Empty : ImmutableArray.Create(jaccard),
            ValueStandardDeviations = spread is null ? ImmutableArray<double>.Empty : ImmutableArray.Create(spread),
            Elapsed = stopwatch.Elapsed,
            ModelEvaluations = evaluator.Evaluations,
            Details = ImmutableDictionary<string, string>.Empty
                .Add("samples", samples.ToString(CultureInfo.InvariantCulture))
                .Add("sampling", _options.Sampling == LimeSampling.AroundRow ? "around the row: x + std * N(0,1)"
                    : _options.Discretize ? "training marginals (each feature from its training values)" : "training statistics: mean + std * N(0,1)")
                .Add("representation", _options.Discretize ? $"{_options.Bins}-quantile bin indicators (1 = same bin as the row)" : "training-standardised values (x - mean) / std")
                .Add("distance", _options.Discretize ? "Euclidean on the bin indicators (sqrt of the features outside the row's bin)" : "Euclidean on standardised values")
                .Add("kernel", "sqrt(exp(-d^2 / width^2))")
                .Add("kernelWidth", KernelWidth.ToString("G6", CultureInfo.InvariantCulture))
                .Add("featureSelection", selection)
                .Add("features", features.ToString(CultureInfo.InvariantCulture))
                .Add("ridge", _options.Ridge.ToString("G6", CultureInfo.InvariantCulture))
                .Add("stabilityRuns", runs.ToString(CultureInfo.InvariantCulture)),
        };
    }

    private string EffectiveSelection(int features, int m) => _options.FeatureSelection switch
    {
        LimeFeatureSelection.None => "none",
        _ when features >= m && _options.FeatureSelection != LimeFeatureSelection.LassoPath => "none (K >= features)",
        LimeFeatureSelection.Auto => features <= 6 ? "forward-selection" : "highest-weights",
        LimeFeatureSelection.ForwardSelection => "forward-selection",
        LimeFeatureSelection.LassoPath => "lasso-path",
        LimeFeatureSelection.HighestWeights => "highest-weights",
        _ => throw new ArgumentOutOfRangeException(nameof(features)),
    };

    private static double Jaccard(int[] a, int[] b)
    {
        if (a.Length == 0 && b.Length == 0) return 1;
        int common = a.Intersect(b).Count();
        return common / (double)(a.Length + b.Length - common);
    }

    private void Sample(ReadOnlySpan<float> x, ref FastRandom random, Span<float> destination)
    {
        int m = x.Length, n = destination.Length / m;
        x.CopyTo(destination);
        bool around = _options.Sampling == LimeSampling.AroundRow, marginal = !around && _options.Discretize;
        var training = _training.Values;
        int trainingRows = _training.RowCount;
        for (int i = 1; i < n; i++)
        {
            var row = destination.Slice(i * m, m);
            for (int j = 0; j < m; j++)
            {
                if (marginal) row[j] = training[random.Next(trainingRows) * m + j];
                else if (_constant[j]) row[j] = around ? x[j] : (float)_mean[j];
                else row[j] = (float)((around ? x[j] : _mean[j]) + _scale[j] * random.NextGaussian());
            }
        }
    }

    private int Bin(int feature, double value)
    {
        var edges = _edges[feature];
        int bin = 0;
        while (bin < edges.Length && value > edges[bin]) bin++;
        return bin;
    }

    private string Describe(int feature, float value, string name)
    {
        var edges = _edges[feature];
        string Format(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        if (!_options.Discretize || edges.Length == 0) return $"{name} = {Format(value)}";
        int bin = Bin(feature, value);
        if (bin == 0) return $"{name} <= {Format(edges[0])}";
        if (bin == edges.Length) return $"{name} > {Format(edges[^1])}";
        return $"{Format(edges[bin - 1])} < {name} <= {Format(edges[bin])}";
    }

    private (double[] Values, double[] Coefficients, double[] Intercepts, double[] Fidelity, int[][] Selected) FitSurrogate(
        ReadOnlySpan<float> x, ReadOnlySpan<float> samples, ReadOnlySpan<float> outputs, ImmutableArray<int> targets, int features)
    {
        int m = x.Length, n = samples.Length / m, k = outputs.Length / n, t = targets.Length;
        // Pooled: a fresh n x m array per row would land on the large-object heap for every row.
        var zBuffer = System.Buffers.ArrayPool<double>.Shared.Rent(n * m);
        var weightBuffer = System.Buffers.ArrayPool<double>.Shared.Rent(n);
        var yBuffer = System.Buffers.ArrayPool<double>.Shared.Rent(n * t);
        try
        {
            return FitSurrogate(x, samples, outputs, targets, features, zBuffer.AsSpan(0, n * m), weightBuffer.AsSpan(0, n), yBuffer.AsSpan(0, n * t));
        }
        finally
        {
            System.Buffers.ArrayPool<double>.Shared.Return(zBuffer);
            System.Buffers.ArrayPool<double>.Shared.Return(weightBuffer);
            System.Buffers.ArrayPool<double>.Shared.Return(yBuffer);
        }
    }

    private (double[] Values, double[] Coefficients, double[] Intercepts, double[] Fidelity, int[][] Selected) FitSurrogate(
        ReadOnlySpan<float> x, ReadOnlySpan<float> samples, ReadOnlySpan<float> outputs, ImmutableArray<int> targets, int features,
        Span<double> z, Span<double> weights, Span<double> y)
    {
        int m = x.Length, n = samples.Length / m, k = outputs.Length / n, t = targets.Length;
        var zx = new double[m];
        var rowBins = new int[m];
        for (int j = 0; j < m; j++)
        {
            rowBins[j] = Bin(j, x[j]);
            zx[j] = _options.Discretize ? 1 : (x[j] - _mean[j]) / _scale[j];
        }
        double width = KernelWidth;
        for (int i = 0; i < n; i++)
        {
            double d2 = 0;
            for (int j = 0; j < m; j++)
            {
                double v = samples[i * m + j];
                double zj = _options.Discretize ? (Bin(j, v) == rowBins[j] ? 1 : 0) : (v - _mean[j]) / _scale[j];
                z[i * m + j] = zj;
                d2 += (zj - zx[j]) * (zj - zx[j]);
            }
            weights[i] = Math.Sqrt(Math.Exp(-d2 / (width * width)));
        }
        for (int i = 0; i < n; i++)
            for (int s = 0; s < t; s++) y[i * t + s] = outputs[i * k + targets[s]];
        var regression = WeightedRegression.Create(z, n, m, y, t, weights);

        var values = new double[m * t];
        var coefficients = new double[m * t];
        var intercepts = new double[t];
        var fidelity = new double[t];
        var selected = new int[t][];
        var all = Enumerable.Range(0, m).ToArray();
        for (int s = 0; s < t; s++)
        {
            int[] subset = _options.FeatureSelection switch
            {
                LimeFeatureSelection.None => all,
                LimeFeatureSelection.LassoPath => regression.LassoPath(features, s),
                _ when features >= m => all,
                LimeFeatureSelection.ForwardSelection => regression.ForwardSelection(features, s),
                LimeFeatureSelection.HighestWeights => regression.HighestWeights(features, s, zx),
                _ => features <= 6 ? regression.ForwardSelection(features, s) : regression.HighestWeights(features, s, zx),
            };
            var fit = regression.Fit(subset, s, _options.Ridge);
            selected[s] = subset;
            intercepts[s] = fit.Intercept;
            fidelity[s] = fit.RSquared;
            for (int j = 0; j < m; j++)
            {
                double beta = fit.Coefficients[j];
                values[j * t + s] = beta * zx[j];
                coefficients[j * t + s] = _options.Discretize ? beta : beta / _scale[j];
            }
        }
        return (values, coefficients, intercepts, fidelity, selected);
    }
}
