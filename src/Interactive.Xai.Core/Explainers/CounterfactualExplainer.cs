using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai.Engine;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>The direction a feature may move in a counterfactual.</summary>
public enum MonotoneDirection
{
    /// <summary>Either way.</summary>
    Any,

    /// <summary>Only up (or unchanged).</summary>
    IncreaseOnly,

    /// <summary>Only down (or unchanged).</summary>
    DecreaseOnly,
}

/// <summary>How a counterfactual may change one feature. Leaving a feature unchanged is always allowed.</summary>
public sealed record FeatureConstraint
{
    /// <summary>The feature's name.</summary>
    public required string Feature { get; init; }

    /// <summary>The feature may not change.</summary>
    public bool Immutable { get; init; }

    /// <summary>The smallest value a changed feature may take (default: the training minimum).</summary>
    public double? Min { get; init; }

    /// <summary>The largest value a changed feature may take (default: the training maximum).</summary>
    public double? Max { get; init; }

    /// <summary>A changed feature takes whole numbers only.</summary>
    public bool Integer { get; init; }

    /// <summary>The direction the feature may move.</summary>
    public MonotoneDirection Direction { get; init; }
}

/// <summary>How <see cref="CounterfactualExplainer"/> searches.</summary>
public enum CounterfactualSearch
{
    /// <summary>Model-agnostic: a genetic search over batched populations (in the spirit of DiCE's genetic method).</summary>
    Genetic,

    /// <summary>
    /// For <see cref="IDifferentiableModel"/>: Wachter-style loss (λ x hinge on the goal + scaled L1 to the row, λ doubled
    /// every 25 steps while the goal is not met with a margin) minimised with Adam on the input, projected onto the
    /// constraints after each step. Outputs in [0, 1] are treated as probabilities and the hinge is on their logarithms.
    /// </summary>
    Gradient,
}

/// <summary>Options for <see cref="CounterfactualExplainer"/>.</summary>
public sealed record CounterfactualOptions : ExplainerOptions
{
    /// <summary>K: counterfactuals per row.</summary>
    public int Count { get; init; } = 4;

    /// <summary>The search method.</summary>
    public CounterfactualSearch Search { get; init; } = CounterfactualSearch.Genetic;

    /// <summary>Per-feature constraints; features not listed may move anywhere in their training range.</summary>
    public IReadOnlyList<FeatureConstraint>? Constraints { get; init; }

    /// <summary>Candidates per row and generation (genetic search).</summary>
    public int Population { get; init; } = 200;

    /// <summary>Generations (genetic search).</summary>
    public int Generations { get; init; } = 40;

    /// <summary>The weight of the fraction of features changed in a valid candidate's cost (the scaled L1 distance has weight 1).</summary>
    public double SparsityWeight { get; init; } = 0.5;

    /// <summary>How strongly the final K are spread apart (weight of the distance to the ones already chosen).</summary>
    public double DiversityWeight { get; init; } = 1;

    /// <summary>After the search, revert changed features to the row's values one at a time while the result stays valid (DiCE's post-hoc sparsity).</summary>
    public bool PostHocSparsity { get; init; } = true;

    /// <summary>Adam steps (gradient search).</summary>
    public int GradientSteps { get; init; } = 300;

    /// <summary>Adam's step size in units of each feature's scale (gradient search).</summary>
    public double LearningRate { get; init; } = 0.05;
}

/// <summary>
/// Counterfactual explanations (Wachter et al. 2017; Mothilal et al. 2020, DiCE): for each row, K diverse inputs
/// close to it that reach a <see cref="CounterfactualGoal"/>, respecting immutable features, ranges, integer features
/// and monotone directions. Every result is verified through the model.
/// <para>
/// Distance is L1 scaled per feature by the training data's median absolute deviation (MAD, as DiCE); a feature with
/// MAD 0 uses its standard deviation, and 1 when that is 0 too. The genetic search keeps, per row, a population of
/// candidates seeded from training values and Gaussian steps, and breeds it by uniform crossover and mutation
/// (revert to the row, a training value, a step); every generation of every row goes to the model in one batched
/// call. Valid candidates cost scaled L1 / M + SparsityWeight x changed / M; invalid ones 1000 + their shortfall. The K
/// returned are picked greedily from all valid candidates seen by cost minus DiversityWeight x the distance to those
/// already picked, then made sparser by reverting features while they stay valid.
/// </para>
/// </summary>
public sealed class CounterfactualExplainer
{
    private readonly IModel _model;
    private readonly CounterfactualOptions _options;
    private readonly float[][] _columns;
    private readonly double[] _scale;
    private readonly double[] _low;
    private readonly double[] _high;
    private readonly bool[] _immutable;
    private readonly bool[] _integer;
    private readonly MonotoneDirection[] _direction;
    private readonly int[] _mutable;

    /// <summary>
    /// The gradient search's integer rounding holds at most this many variant values (candidates x 2^integers x
    /// features) at once; internal so tests can force tiny chunks.
    /// </summary>
    internal long MaxVariantValuesPerChunk { get; set; } = 1L << 24;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "counterfactual";

    /// <summary>Creates the explainer; <paramref name="training"/> gives the default ranges, the MAD scales and values to sample.</summary>
    public CounterfactualExplainer(IModel model, FeatureTable training, CounterfactualOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(training);
        _options = options ?? new CounterfactualOptions();
        _options.Validate();
        if (_options.Count < 1) throw new XaiException($"the number of counterfactuals must be at least 1, got {_options.Count}");
        if (_options.Population < 4) throw new XaiException($"the population must be at least 4, got {_options.Population}");
        if (_options.Generations < 1) throw new XaiException($"generations must be at least 1, got {_options.Generations}");
        if (_options.GradientSteps < 1) throw new XaiException($"gradient steps must be at least 1, got {_options.GradientSteps}");
        if (_options.Search == CounterfactualSearch.Gradient && model is not IDifferentiableModel)
            throw new XaiException("the gradient counterfactual search needs a differentiable model; use the genetic search");
        model.EnsureAccepts(training, "the training data");
        if (training.RowCount < 1) throw new XaiException("counterfactuals need at least 1 training row");
        _model = model;
        int m = model.FeatureCount;
        _columns = new float[m][];
        _scale = new double[m];
        _low = new double[m];
        _high = new double[m];
        _immutable = new bool[m];
        _integer = new bool[m];
        _direction = new MonotoneDirection[m];
        for (int j = 0; j < m; j++)
        {
            var column = _columns[j] = training.Column(j);
            var sorted = Quantiles.Sorted(column);
            double median = Quantiles.Linear(sorted, 0.5);
            var deviations = sorted.Select(v => Math.Abs(v - median)).Order().ToArray();
            double mad = Quantiles.Linear(deviations, 0.5);
            if (mad <= 0)
            {
                double mean = sorted.Average();
                mad = Math.Sqrt(sorted.Sum(v => (v - mean) * (v - mean)) / sorted.Length);
            }
            _scale[j] = mad > 0 ? mad : 1;
            _low[j] = sorted[0];
            _high[j] = sorted[^1];
        }
        foreach (var constraint in _options.Constraints ?? [])
        {
            int j = training.IndexOf(constraint.Feature);
            if (constraint.Min is { } min) _low[j] = min;
            if (constraint.Max is { } max) _high[j] = max;
            if (_low[j] > _high[j])
                throw new XaiException($"feature '{constraint.Feature}': the range [{_low[j].ToString(CultureInfo.InvariantCulture)}, {_high[j].ToString(CultureInfo.InvariantCulture)}] is empty");
            _immutable[j] |= constraint.Immutable;
            _integer[j] |= constraint.Integer;
            if (constraint.Direction != MonotoneDirection.Any) _direction[j] = constraint.Direction;
        }
        _mutable = Enumerable.Range(0, m).Where(j => !_immutable[j]).ToArray();
        if (_mutable.Length == 0) throw new XaiException("every feature is immutable; a counterfactual must be allowed to change at least one");
    }

    /// <summary>The scale of each feature in the L1 distance (training MAD).</summary>
    public IReadOnlyList<double> Scales => _scale;

    /// <summary>Finds up to K counterfactuals for every row of <paramref name="rows"/>.</summary>
    public CounterfactualExplanation Explain(FeatureTable rows, CounterfactualGoal goal,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(goal);
        _model.EnsureAccepts(rows, "the data");
        int m = _model.FeatureCount, k = _model.OutputCount(), n = rows.RowCount;
        if (goal.DesiredClass is { } c && c >= Math.Max(k, 2))
            throw new XaiException($"class {c} does not exist; the model has {Math.Max(k, 2)} classes");
        if (goal.DesiredClass is null && goal.Output >= k)
            throw new XaiException($"output {goal.Output} does not exist; the model has {k} output(s)");
        var stopwatch = Stopwatch.StartNew();
        long expected = n + (long)n * _options.Population * (_options.Generations + 1);
        var evaluator = new BatchEvaluator(_model, _options, MethodName, expected, progress, cancellationToken);
        var original = evaluator.Evaluate(n, (first, count, dest) => rows.Values.Slice((int)first * m, count * m).CopyTo(dest));
        if (goal.DesiredClass is not null && k == 1) EnsureProbabilities(original, evaluator);
        var alreadyMet = new bool[n];
        for (int r = 0; r < n; r++) alreadyMet[r] = goal.IsMet(original.AsSpan(r * k, k));

        long gradientEvaluations = 0;
        List<float[]>[] chosen = _options.Search == CounterfactualSearch.Gradient
            ? GradientSearch(rows, goal, ref gradientEvaluations, cancellationToken)
            : GeneticSearch(rows, goal, evaluator, cancellationToken);
        for (int r = 0; r < n; r++) if (alreadyMet[r]) chosen[r].Clear();
        if (_options.PostHocSparsity) MakeSparser(rows, goal, chosen, evaluator);

        // Verify everything through the model once more and measure.
        var all = chosen.SelectMany(list => list).ToArray();
        var verified = evaluator.Evaluate(all.Length, (first, count, dest) =>
        {
            for (int i = 0; i < count; i++) all[first + i].CopyTo(dest.Slice(i * m, m));
        });
        var sets = new CounterfactualSet[n];
        int offset = 0;
        for (int r = 0; r < n; r++)
        {
            var x = rows.Row(r);
            var list = chosen[r];
            var valid = new bool[list.Count];
            var changed = new ImmutableArray<int>[list.Count];
            var distances = new double[list.Count];
            for (int i = 0; i < list.Count; i++)
            {
                valid[i] = goal.IsMet(verified.AsSpan((offset + i) * k, k));
                var builder = ImmutableArray.CreateBuilder<int>();
                for (int j = 0; j < m; j++) if (list[i][j] != x[j]) builder.Add(j);
                changed[i] = builder.ToImmutable();
                distances[i] = Distance(list[i], x);
            }
            double diversity = 0;
            int pairs = 0;
            for (int a = 0; a < list.Count; a++)
                for (int b = a + 1; b < list.Count; b++, pairs++) diversity += Distance(list[a], list[b]) / m;
            sets[r] = new CounterfactualSet
            {
                Row = r,
                OriginalPrediction = original.AsSpan(r * k, k).ToArray().Select(v => (double)v).ToImmutableArray(),
                Counterfactuals = FeatureTable.FromRows(list, rows.FeatureNames),
                Predictions = verified.AsSpan(offset * k, list.Count * k).ToArray().Select(v => (double)v).ToImmutableArray(),
                Valid = valid.ToImmutableArray(),
                ChangedFeatures = changed.ToImmutableArray(),
                Distances = distances.ToImmutableArray(),
                Validity = alreadyMet[r] ? 1 : valid.Count(v => v) / (double)_options.Count,
                AlreadyMeetsGoal = alreadyMet[r],
                Proximity = list.Count == 0 ? double.NaN : distances.Average() / m,
                MeanChangedFeatures = list.Count == 0 ? double.NaN : changed.Average(ch => ch.Length),
                Sparsity = list.Count == 0 ? double.NaN : 1 - changed.Average(ch => ch.Length) / (double)m,
                Diversity = pairs == 0 ? 0 : diversity / pairs,
            };
            offset += list.Count;
        }
        var constraints = _options.Constraints ?? [];
        return new CounterfactualExplanation
        {
            Method = MethodName,
            OutputNames = _model.OutputNames.ToImmutableArray(),
            Targets = Enumerable.Range(0, k).ToImmutableArray(),
            FeatureNames = rows.FeatureNames,
            Data = rows,
            Goal = goal,
            RequestedCount = _options.Count,
            Scales = _scale.ToImmutableArray(),
            Sets = sets.ToImmutableArray(),
            Elapsed = stopwatch.Elapsed,
            ModelEvaluations = evaluator.Evaluations + gradientEvaluations,
            Details = ImmutableDictionary<string, string>.Empty
                .Add("search", _options.Search == CounterfactualSearch.Gradient ? "gradient (Adam, Wachter loss)" : "genetic")
                .Add("goal", goal.ToString())
                .Add("distance", "L1 scaled by the training median absolute deviation")
                .Add("immutable", string.Join(", ", Enumerable.Range(0, m).Where(j => _immutable[j]).Select(j => rows.FeatureNames[j])))
                .Add("integer", string.Join(", ", Enumerable.Range(0, m).Where(j => _integer[j]).Select(j => rows.FeatureNames[j])))
                .Add("constraints", constraints.Count.ToString(CultureInfo.InvariantCulture))
                .Add("postHocSparsity", _options.PostHocSparsity ? "true" : "false"),
        };
    }

    // A class goal on a single-output model reads that output as the probability of class 1; refuse it when the
    // outputs on the explained rows or the training data leave [0, 1] (a regressor).
    private void EnsureProbabilities(float[] original, BatchEvaluator evaluator)
    {
        int m = _model.FeatureCount, rows = _columns[0].Length;
        var training = evaluator.Evaluate(rows, (first, count, dest) =>
        {
            for (int i = 0; i < count; i++)
                for (int j = 0; j < m; j++) dest[i * m + j] = _columns[j][first + i];
        });
        double low = Math.Min(original.Min(), training.Min()), high = Math.Max(original.Max(), training.Max());
        if (!(low >= 0 && high <= 1))   // (NaN outputs are refused earlier, by the batch evaluator)
            throw new XaiException(string.Create(CultureInfo.InvariantCulture,
                $"a desired class needs a classifier, but the model's single output '{_model.OutputNames[0]}' ranges over [{low:G6}, {high:G6}] on the data, so it is not a probability; give a desired output range (--desired-range lo,hi) instead"));
    }

    private double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double d = 0;
        for (int j = 0; j < a.Length; j++) d += Math.Abs(a[j] - (double)b[j]) / _scale[j];
        return d;
    }

    /// <summary>
    /// Moves a candidate onto the constraints; a feature equal to the row's value is always allowed. Without
    /// <paramref name="round"/> integer features stay continuous but within their whole-number bounds.
    /// </summary>
    private void Project(Span<float> candidate, ReadOnlySpan<float> x, bool round = true)
    {
        for (int j = 0; j < candidate.Length; j++)
        {
            if (_immutable[j] || candidate[j] == x[j] || !float.IsFinite(candidate[j])) { candidate[j] = x[j]; continue; }
            double low = _low[j], high = _high[j];
            if (_direction[j] == MonotoneDirection.IncreaseOnly) low = Math.Max(low, x[j]);
            if (_direction[j] == MonotoneDirection.DecreaseOnly) high = Math.Min(high, x[j]);
            if (_integer[j]) { low = Math.Ceiling(low); high = Math.Floor(high); }
            if (low > high) { candidate[j] = x[j]; continue; }
            double v = Math.Clamp(candidate[j], low, high);
            if (_integer[j] && round) v = Math.Clamp(Math.Round(v), low, high);
            float f = (float)v;
            // float rounding may step just outside a bound
            if (f < low) f = MathF.BitIncrement(f);
            if (f > high) f = MathF.BitDecrement(f);
            candidate[j] = f;
        }
    }

    private double Cost(ReadOnlySpan<float> candidate, ReadOnlySpan<float> x, ReadOnlySpan<float> outputs, CounterfactualGoal goal)
    {
        int m = x.Length;
        double shortfall = goal.Shortfall(outputs);
        double distance = Distance(candidate, x) / m;
        if (shortfall > 0 || !goal.IsMet(outputs)) return 1000 + shortfall + 1e-3 * distance;
        int changed = 0;
        for (int j = 0; j < m; j++) if (candidate[j] != x[j]) changed++;
        return distance + _options.SparsityWeight * changed / m;
    }

    private static double Gaussian(Random random)
    {
        double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private List<float[]>[] GeneticSearch(FeatureTable rows, CounterfactualGoal goal, BatchEvaluator evaluator, CancellationToken cancellationToken)
    {
        int m = _model.FeatureCount, k = _model.OutputCount(), n = rows.RowCount, size = _options.Population;
        var randoms = Enumerable.Range(0, n).Select(r => new Random(Statistics.DeriveSeed(_options.Seed, r))).ToArray();
        var population = new float[(long)n * size * m];
        var costs = new double[n * size];
        var archives = Enumerable.Range(0, n).Select(_ => new Dictionary<int, (float[] Values, double Cost)>()).ToArray();
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism ?? -1 };

        Parallel.For(0, n, parallel, r =>
        {
            var x = rows.Row(r);
            var random = randoms[r];
            int training = _columns[0].Length;
            for (int i = 0; i < size; i++)
            {
                var candidate = population.AsSpan((r * size + i) * m, m);
                x.CopyTo(candidate);
                int changes = 1 + random.Next(_mutable.Length);
                int source = random.Next(training);
                double stepSize = 0.5 + 1.5 * random.NextDouble();
                for (int c = 0; c < changes; c++)
                {
                    int j = _mutable[random.Next(_mutable.Length)];
                    candidate[j] = i % 2 == 0 ? _columns[j][source] : (float)(x[j] + _scale[j] * stepSize * Gaussian(random));
                }
                Project(candidate, x);
            }
        });

        var children = new float[population.Length];
        for (int generation = 0; generation <= _options.Generations; generation++)
        {
            var outputs = evaluator.Evaluate((long)n * size, (first, count, dest) =>
                population.AsSpan((int)(first * m), count * m).CopyTo(dest));
            Parallel.For(0, n, parallel, r =>
            {
                var x = rows.Row(r);
                var archive = archives[r];
                for (int i = 0; i < size; i++)
                {
                    int index = r * size + i;
                    var candidate = population.AsSpan(index * m, m);
                    costs[index] = Cost(candidate, x, outputs.AsSpan(index * k, k), goal);
                    if (costs[index] < 1000)
                    {
                        int hash = Hash(candidate);
                        if (!archive.ContainsKey(hash)) archive[hash] = (candidate.ToArray(), costs[index]);
                    }
                }
            });
            if (generation == _options.Generations) break;
            Parallel.For(0, n, parallel, r => Breed(rows.Row(r), randoms[r], population.AsSpan(r * size * m, size * m),
                costs.AsSpan(r * size, size), children.AsSpan(r * size * m, size * m)));
            (population, children) = (children, population);
        }

        var result = new List<float[]>[n];
        for (int r = 0; r < n; r++) result[r] = SelectDiverse(rows.Row(r), archives[r].Values.ToList());
        return result;
    }

    private static int Hash(ReadOnlySpan<float> values)
    {
        var hash = new HashCode();
        foreach (var v in values) hash.Add(v);
        return hash.ToHashCode();
    }

    private void Breed(ReadOnlySpan<float> x, Random random, Span<float> population, ReadOnlySpan<double> costs, Span<float> children)
    {
        int m = x.Length, size = costs.Length;
        var costArray = costs.ToArray();
        var order = Enumerable.Range(0, size).OrderBy(i => costArray[i]).ThenBy(i => i).ToArray();
        int elite = Math.Max(1, size / 5), parents = Math.Max(2, size / 2);
        for (int i = 0; i < elite; i++) population.Slice(order[i] * m, m).CopyTo(children.Slice(i * m, m));
        int training = _columns[0].Length;
        for (int i = elite; i < size; i++)
        {
            int a = order[Math.Min(random.Next(parents), random.Next(parents))];
            int b = order[Math.Min(random.Next(parents), random.Next(parents))];
            var child = children.Slice(i * m, m);
            for (int j = 0; j < m; j++) child[j] = random.Next(2) == 0 ? population[a * m + j] : population[b * m + j];
            double rate = 1.5 / _mutable.Length;
            foreach (int j in _mutable)
            {
                if (random.NextDouble() >= rate) continue;
                double op = random.NextDouble();
                child[j] = op < 0.4 ? x[j]
                    : op < 0.7 ? _columns[j][random.Next(training)]
                    : (float)(child[j] + _scale[j] * 0.5 * Gaussian(random));
            }
            Project(child, x);
        }
    }

    private List<float[]> SelectDiverse(ReadOnlySpan<float> x, List<(float[] Values, double Cost)> pool)
    {
        int m = x.Length;
        var candidates = pool.OrderBy(p => p.Cost).ThenBy(p => Hash(p.Values)).Take(1000).ToList();
        var chosen = new List<float[]>();
        while (chosen.Count < _options.Count && candidates.Count > 0)
        {
            int best = -1;
            double bestScore = double.PositiveInfinity;
            for (int i = 0; i < candidates.Count; i++)
            {
                double nearest = double.PositiveInfinity;
                foreach (var c in chosen) nearest = Math.Min(nearest, Distance(candidates[i].Values, c) / m);
                if (nearest == 0) continue;
                double score = candidates[i].Cost - (chosen.Count == 0 ? 0 : _options.DiversityWeight * nearest);
                if (score < bestScore) { bestScore = score; best = i; }
            }
            if (best < 0) break;
            chosen.Add(candidates[best].Values);
            candidates.RemoveAt(best);
        }
        return chosen;
    }

    private void MakeSparser(FeatureTable rows, CounterfactualGoal goal, List<float[]>[] chosen, BatchEvaluator evaluator)
    {
        int m = _model.FeatureCount, k = _model.OutputCount();
        for (int round = 0; round < m; round++)
        {
            // Every single-feature revert of every counterfactual, in one batch.
            var trials = new List<(int Row, int Index, int Feature)>();
            for (int r = 0; r < chosen.Length; r++)
            {
                var x = rows.Row(r);
                for (int i = 0; i < chosen[r].Count; i++)
                    for (int j = 0; j < m; j++)
                        if (chosen[r][i][j] != x[j]) trials.Add((r, i, j));
            }
            if (trials.Count == 0) return;
            var outputs = evaluator.Evaluate(trials.Count, (first, count, dest) =>
            {
                for (int t = 0; t < count; t++)
                {
                    var (r, i, j) = trials[(int)first + t];
                    var row = dest.Slice(t * m, m);
                    chosen[r][i].CopyTo(row);
                    row[j] = rows[r, j];
                }
            });
            var best = new Dictionary<(int, int), (int Feature, double Gain)>();
            for (int t = 0; t < trials.Count; t++)
            {
                var (r, i, j) = trials[t];
                if (!goal.IsMet(outputs.AsSpan(t * k, k))) continue;
                double gain = Math.Abs(chosen[r][i][j] - (double)rows[r, j]) / _scale[j];
                if (!best.TryGetValue((r, i), out var current) || gain > current.Gain) best[(r, i)] = (j, gain);
            }
            bool any = false;
            foreach (var ((r, i), (j, _)) in best.OrderBy(p => p.Key))
            {
                var reverted = (float[])chosen[r][i].Clone();
                reverted[j] = rows[r, j];
                if (chosen[r].Where((_, other) => other != i).Any(o => o.AsSpan().SequenceEqual(reverted))) continue;
                chosen[r][i] = reverted;
                any = true;
            }
            if (!any) return;
        }
    }

    private List<float[]>[] GradientSearch(FeatureTable rows, CounterfactualGoal goal, ref long evaluations, CancellationToken cancellationToken)
    {
        var model = (IDifferentiableModel)_model;
        int m = _model.FeatureCount, k = _model.OutputCount(), n = rows.RowCount, count = _options.Count;
        int total = n * count;
        var current = new float[total * m];
        var lambda = new double[total];
        var mean = new double[total * m];
        var variance = new double[total * m];
        for (int r = 0; r < n; r++)
        {
            var random = new Random(Statistics.DeriveSeed(_options.Seed, r));
            for (int i = 0; i < count; i++)
            {
                var candidate = current.AsSpan((r * count + i) * m, m);
                rows.Row(r).CopyTo(candidate);
                foreach (int j in _mutable) candidate[j] += (float)(_scale[j] * 0.3 * Gaussian(random));
                Project(candidate, rows.Row(r), round: false);
                lambda[r * count + i] = 1;
            }
        }
        var outputs = new float[total * k];
        var gradient = new float[total * m];
        var otherGradient = new float[total * m];
        var targetIndex = new int[total];
        var otherIndex = new int[total];
        const double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
        for (int step = 1; step <= _options.GradientSteps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Predict(model, current, total, goal.DesiredClass is { } wanted ? (k == 1 ? 0 : wanted) : goal.Output, null, outputs, gradient, targetIndex);
            evaluations += total;
            bool needOther = goal.DesiredClass is not null && k > 1;
            if (needOther)
            {
                for (int c = 0; c < total; c++)
                {
                    int best = -1;
                    for (int o = 0; o < k; o++)
                        if (o != goal.DesiredClass && (best < 0 || outputs[c * k + o] > outputs[c * k + best])) best = o;
                    otherIndex[c] = best;
                }
                Predict(model, current, total, 0, otherIndex, outputs, otherGradient, targetIndex);
                evaluations += total;
            }
            bool probabilities = System.Numerics.Tensors.TensorPrimitives.Min(outputs.AsSpan()) >= 0 && System.Numerics.Tensors.TensorPrimitives.Max(outputs.AsSpan()) <= 1;
            for (int c = 0; c < total; c++)
            {
                int r = c / count;
                var x = rows.Row(r);
                var o = outputs.AsSpan(c * k, k);
                // d(shortfall)/d(output of interest): which way the model's output must move.
                // Pushed until the goal is met with a margin (0.05 of probability, 5 % of the range's width).
                double sign;
                if (goal.DesiredClass is { } cls)
                    sign = k == 1 ? (cls == 1 ? (o[0] < 0.55 ? -1 : 0) : (o[0] > 0.45 ? 1 : 0))
                        : o[cls] - o[otherIndex[c]] < 0.05 ? -1 : 0;
                else
                {
                    double margin = 0.05 * (goal.High - goal.Low);
                    sign = o[goal.Output] < goal.Low + margin ? -1 : o[goal.Output] > goal.High - margin ? 1 : 0;
                }
                if (step % 25 == 0 && sign != 0) lambda[c] *= 2;
                // Probabilities saturate (a softmax output near 0 has a vanishing gradient), so for outputs in [0, 1]
                // the loss is on log-probabilities (log-odds for one output): the gradients are divided by p (p (1 - p)).
                double targetScale = 1, otherScale = 1;
                if (probabilities)
                {
                    if (goal.DesiredClass is not null && k == 1) targetScale = 1 / Math.Max(o[0] * (1.0 - o[0]), 1e-6);
                    else if (goal.DesiredClass is { } wantedClass)
                    {
                        targetScale = 1 / Math.Max((double)o[wantedClass], 1e-6);
                        otherScale = 1 / Math.Max((double)o[otherIndex[c]], 1e-6);
                    }
                }
                for (int j = 0; j < m; j++)
                {
                    if (_immutable[j]) continue;
                    int index = c * m + j;
                    double g = lambda[c] * sign * gradient[index] * targetScale * _scale[j];
                    if (needOther && sign != 0) g += lambda[c] * otherGradient[index] * otherScale * _scale[j];
                    double delta = current[index] - (double)x[j];
                    g += (delta == 0 ? 0 : Math.Sign(delta)) / m;
                    for (int other = 0; other < count; other++)
                    {
                        int peer = r * count + other;
                        if (peer == c) continue;
                        double apart = current[index] - (double)current[peer * m + j];
                        g -= _options.DiversityWeight * (apart == 0 ? 0 : Math.Sign(apart)) / (m * count);
                    }
                    mean[index] = beta1 * mean[index] + (1 - beta1) * g;
                    variance[index] = beta2 * variance[index] + (1 - beta2) * g * g;
                    double mHat = mean[index] / (1 - Math.Pow(beta1, step)), vHat = variance[index] / (1 - Math.Pow(beta2, step));
                    current[index] = (float)(current[index] - _options.LearningRate * _scale[j] * mHat / (Math.Sqrt(vHat) + epsilon));
                }
                Project(current.AsSpan(c * m, m), x, round: false);
            }
        }
        // Integer features: every floor/ceiling combination (up to 2^10; the rest rounded to nearest) through the
        // model, keeping the closest valid one, so rounding does not undo validity.
        var integers = _mutable.Where(j => _integer[j]).Take(10).ToArray();
        int combinations = 1 << integers.Length;
        var result = new List<float[]>[n];
        for (int r = 0; r < n; r++) result[r] = new List<float[]>();
        // Candidates go in chunks whose variants (combinations x features values each) stay below a bound: all of
        // them at once could pass 2^31 values. Offsets are long; one chunk's spans are bounded.
        long valuesPerCandidate = (long)combinations * Math.Max(m, k);
        int chunk = (int)Math.Clamp(MaxVariantValuesPerChunk / valuesPerCandidate, 1, Math.Max(total, 1));
        var variants = new float[(long)Math.Min(chunk, total) * combinations * m];
        var variantOutputs = new float[(long)Math.Min(chunk, total) * combinations * k];
        for (int first = 0; first < total; first += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int candidates = Math.Min(chunk, total - first);
            for (int local = 0; local < candidates; local++)
            {
                int c = first + local;
                var x = rows.Row(c / count);
                for (int v = 0; v < combinations; v++)
                {
                    var variant = variants.AsSpan((int)(((long)local * combinations + v) * m), m);
                    current.AsSpan(c * m, m).CopyTo(variant);
                    for (int b = 0; b < integers.Length; b++)
                    {
                        int j = integers[b];
                        if (variant[j] != x[j]) variant[j] = (v & (1 << b)) != 0 ? MathF.Ceiling(variant[j]) : MathF.Floor(variant[j]);
                    }
                    Project(variant, x);
                }
            }
            long chunkVariants = (long)candidates * combinations;
            for (long start = 0; start < chunkVariants; start += _options.BatchSize)
            {
                int size = (int)Math.Min(_options.BatchSize, chunkVariants - start);
                _model.Predict(variants.AsSpan((int)(start * m), size * m), size, variantOutputs.AsSpan((int)(start * k), size * k));
            }
            evaluations += chunkVariants;
            for (int local = 0; local < candidates; local++)
            {
                int c = first + local;
                int r = c / count;
                var x = rows.Row(r);
                long best = 0;
                double bestCost = double.PositiveInfinity;
                for (int v = 0; v < combinations; v++)
                {
                    long index = (long)local * combinations + v;
                    double cost = Cost(variants.AsSpan((int)(index * m), m), x, variantOutputs.AsSpan((int)(index * k), k), goal);
                    if (cost < bestCost) { bestCost = cost; best = index; }
                }
                var candidate = variants.AsSpan((int)(best * m), m).ToArray();
                if (!result[r].Any(o => o.AsSpan().SequenceEqual(candidate))) result[r].Add(candidate);
            }
        }
        return result;
    }

    private void Predict(IDifferentiableModel model, float[] inputs, int rows, int output, int[]? perRow, float[] outputs, float[] gradients, int[] indices)
    {
        int m = model.FeatureCount, k = model.OutputCount();
        for (int i = 0; i < rows; i++) indices[i] = perRow?[i] ?? output;
        for (int start = 0; start < rows; start += _options.BatchSize)
        {
            int count = Math.Min(_options.BatchSize, rows - start);
            model.PredictWithGradient(inputs.AsSpan(start * m, count * m), count, indices.AsSpan(start, count),
                outputs.AsSpan(start * k, count * k), gradients.AsSpan(start * m, count * m));
        }
    }
}
