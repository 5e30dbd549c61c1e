using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>One retrain-and-score job of <see cref="RecursiveFeatureElimination"/>.</summary>
public sealed record FeatureSubsetTask
{
    /// <summary>The training rows, with only the subset's columns (names kept).</summary>
    public required FeatureTable Train { get; init; }

    /// <summary>The training labels.</summary>
    public required ImmutableArray<float> TrainLabels { get; init; }

    /// <summary>The rows to score on, with the same columns (the training rows themselves without cross-validation).</summary>
    public required FeatureTable Validation { get; init; }

    /// <summary>The labels to score against.</summary>
    public required ImmutableArray<float> ValidationLabels { get; init; }

    /// <summary>The subset: indices of the original table's columns, in the order of the tables' columns.</summary>
    public required ImmutableArray<int> Features { get; init; }

    /// <summary>The cross-validation fold (-1 for a fit on all the data).</summary>
    public required int Fold { get; init; }

    /// <summary>Cancellation of the whole elimination.</summary>
    public CancellationToken CancellationToken { get; init; }
}

/// <summary>What a retrain-and-score callback returns.</summary>
/// <param name="Score">The model's score on the validation rows; higher is better (negate a loss).</param>
/// <param name="Importances">One importance per subset feature (same order); the smallest |importance| are dropped first.</param>
public sealed record FeatureSubsetScore(double Score, IReadOnlyList<double> Importances);

/// <summary>Options for <see cref="RecursiveFeatureElimination"/>.</summary>
public sealed record RecursiveFeatureEliminationOptions : ExplainerOptions
{
    /// <summary>Features dropped per step.</summary>
    public int Step { get; init; } = 1;

    /// <summary>Without cross-validation, the number of features to keep (null: half, as scikit-learn's RFE).</summary>
    public int? FeaturesToSelect { get; init; }

    /// <summary>The smallest subset evaluated.</summary>
    public int MinFeatures { get; init; } = 1;

    /// <summary>
    /// With cross-validation, the smallest subset whose mean score is within this of the best mean is selected
    /// (0: the best, the smallest among exact ties, as scikit-learn's RFECV).
    /// </summary>
    public double Tolerance { get; init; }

    /// <summary>Cross-validation folds (RFECV); null runs plain RFE, which scores each subset on the training rows.</summary>
    public int? Folds { get; init; }
}

/// <summary>The result of recursive feature elimination: the path of subsets, their scores and the selected set.</summary>
public sealed record FeatureEliminationResult : Explanation
{
    /// <summary>All feature names.</summary>
    public required ImmutableArray<string> FeatureNames { get; init; }

    /// <summary>scikit-learn's ranking_: 1 for selected features; larger numbers were eliminated earlier.</summary>
    public required ImmutableArray<int> Ranking { get; init; }

    /// <summary>Feature indices in the order the final elimination removed them.</summary>
    public required ImmutableArray<int> EliminationOrder { get; init; }

    /// <summary>The selected feature indices, ascending.</summary>
    public required ImmutableArray<int> SelectedFeatures { get; init; }

    /// <summary>The subset sizes evaluated, largest first.</summary>
    public required ImmutableArray<int> FeatureCounts { get; init; }

    /// <summary>The mean score per subset size (over folds with cross-validation).</summary>
    public required ImmutableArray<double> MeanScores { get; init; }

    /// <summary>The standard deviation of the score over folds per subset size (zero without cross-validation).</summary>
    public required ImmutableArray<double> ScoreStandardDeviations { get; init; }

    /// <summary>Scores per size and fold, flat [size][fold] (one fold without cross-validation).</summary>
    public required ImmutableArray<double> FoldScores { get; init; }

    /// <summary>Cross-validation folds, or 0 for plain RFE.</summary>
    public required int Folds { get; init; }

    /// <summary>Features dropped per step.</summary>
    public required int Step { get; init; }

    /// <summary>The selected feature names.</summary>
    public IEnumerable<string> SelectedNames => SelectedFeatures.Select(j => FeatureNames[j]);
}

/// <summary>
/// Recursive feature elimination (Guyon et al. 2002; scikit-learn's RFE and RFECV) driven by any retrain-and-score
/// callback (an ML.NET trainer, a closed-form fit, a remote job). Starting from all features, the callback trains on
/// the subset and returns a score and one importance per feature; the <see cref="RecursiveFeatureEliminationOptions.Step"/>
/// features of smallest |importance| are dropped, until <see cref="RecursiveFeatureEliminationOptions.MinFeatures"/>
/// remain. With k folds, the path is run on each fold's training part and scored on its held-out part; the size with the
/// best mean score (the smallest size among ties, or within <see cref="RecursiveFeatureEliminationOptions.Tolerance"/>) is selected and the final path on all rows picks that many features.
/// </summary>
public sealed class RecursiveFeatureElimination
{
    private readonly Func<FeatureSubsetTask, FeatureSubsetScore> _retrainAndScore;
    private readonly RecursiveFeatureEliminationOptions _options;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "rfe";

    /// <summary>Creates the elimination with its callback.</summary>
    public RecursiveFeatureElimination(Func<FeatureSubsetTask, FeatureSubsetScore> retrainAndScore, RecursiveFeatureEliminationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(retrainAndScore);
        _options = options ?? new RecursiveFeatureEliminationOptions();
        _options.Validate();
        if (_options.Step < 1) throw new XaiException($"the elimination step must be at least 1, got {_options.Step}");
        if (_options.MinFeatures < 1) throw new XaiException($"the minimum feature count must be at least 1, got {_options.MinFeatures}");
        if (_options.Folds is < 2) throw new XaiException($"cross-validation needs at least 2 folds, got {_options.Folds}");
        if (!(_options.Tolerance >= 0)) throw new XaiException($"the tolerance must be non-negative, got {_options.Tolerance.ToString(CultureInfo.InvariantCulture)}");
        if (_options.FeaturesToSelect is < 1) throw new XaiException($"features to select must be at least 1, got {_options.FeaturesToSelect}");
        _retrainAndScore = retrainAndScore;
    }

    /// <summary>Runs the elimination on <paramref name="data"/> and <paramref name="labels"/>.</summary>
    public FeatureEliminationResult Explain(FeatureTable data, IReadOnlyList<float> labels,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != data.RowCount) throw new XaiException($"{labels.Count} labels for {data.RowCount} rows");
        int m = data.ColumnCount, n = data.RowCount;
        if (m < 1) throw new XaiException("feature elimination needs at least 1 feature");
        int folds = _options.Folds ?? 0;
        if (folds > n) throw new XaiException($"{folds} folds need at least {folds} rows, got {n}");
        int floor = Math.Min(_options.MinFeatures, m);
        int target = _options.FeaturesToSelect ?? Math.Max(m / 2, 1);
        if (folds == 0 && target > m) throw new XaiException($"cannot select {target} features out of {m}");
        var stopwatch = Stopwatch.StartNew();
        var sizes = Sizes(m, floor);
        var labelArray = labels.ToImmutableArray();
        long fits = (long)sizes.Length * Math.Max(folds, 1) + sizes.Length, done = 0;
        void Report() => progress?.Report(new ExplanationProgress(MethodName, Interlocked.Increment(ref done), fits));

        double[] foldScores;
        int foldCount = Math.Max(folds, 1);
        int selectedSize;
        ImmutableArray<int> order;
        int[] rankOfFeature;
        if (folds > 0)
        {
            var permutation = Statistics.Permutation(n, new Random(Statistics.DeriveSeed(_options.Seed, 0)));
            foldScores = new double[sizes.Length * folds];
            for (int f = 0; f < folds; f++)
            {
                var test = permutation.Where((_, i) => i % folds == f).Order().ToArray();
                var train = permutation.Where((_, i) => i % folds != f).Order().ToArray();
                var path = Path(data.SelectRows(train), train.Select(i => labelArray[i]).ToImmutableArray(),
                    data.SelectRows(test), test.Select(i => labelArray[i]).ToImmutableArray(), sizes, f, Report, cancellationToken);
                for (int s = 0; s < sizes.Length; s++) foldScores[s * folds + f] = path.Scores[s];
            }
            var means = Enumerable.Range(0, sizes.Length).Select(s => foldScores.AsSpan(s * folds, folds).ToArray().Average()).ToArray();
            double best = means.Max();
            selectedSize = sizes.Where((_, s) => means[s] >= best - _options.Tolerance).Min();
            var final = Path(data, labelArray, data, labelArray, sizes, -1, Report, cancellationToken);
            (order, rankOfFeature) = (final.Order, final.Rank);
        }
        else
        {
            var final = Path(data, labelArray, data, labelArray, sizes, -1, Report, cancellationToken);
            foldScores = final.Scores;
            selectedSize = target;
            (order, rankOfFeature) = (final.Order, final.Rank);
        }

        // The selected set: the features still present when selectedSize remain (elimination order tail).
        var survivors = Survivors(order, m, selectedSize);
        var ranking = new int[m];
        for (int j = 0; j < m; j++) ranking[j] = survivors.Contains(j) ? 1 : 1 + rankOfFeature[j];
        // Re-base so that eliminated features rank 2, 3, ... from the last eliminated.
        var distinct = ranking.Where(v => v > 1).Distinct().Order().ToArray();
        for (int j = 0; j < m; j++) if (ranking[j] > 1) ranking[j] = 2 + Array.IndexOf(distinct, ranking[j]);
        var meanScores = new double[sizes.Length];
        var stds = new double[sizes.Length];
        for (int s = 0; s < sizes.Length; s++)
        {
            var slice = foldScores.AsSpan(s * foldCount, foldCount);
            meanScores[s] = Statistics.Mean(slice);
            stds[s] = Statistics.StandardDeviation(slice);
        }
        return new FeatureEliminationResult
        {
            Method = folds > 0 ? "rfecv" : MethodName,
            OutputNames = ImmutableArray<string>.Empty,
            Targets = ImmutableArray<int>.Empty,
            FeatureNames = data.FeatureNames,
            Ranking = ranking.ToImmutableArray(),
            EliminationOrder = order,
            SelectedFeatures = survivors.Order().ToImmutableArray(),
            FeatureCounts = sizes.ToImmutableArray(),
            MeanScores = meanScores.ToImmutableArray(),
            ScoreStandardDeviations = stds.ToImmutableArray(),
            FoldScores = foldScores.ToImmutableArray(),
            Folds = folds,
            Step = _options.Step,
            Elapsed = stopwatch.Elapsed,
        };
    }

    private int[] Sizes(int m, int floor)
    {
        var sizes = new List<int>();
        for (int size = m; size > floor; size -= _options.Step) sizes.Add(size);
        sizes.Add(floor);
        return sizes.Distinct().ToArray();
    }

    private static HashSet<int> Survivors(ImmutableArray<int> order, int m, int size)
    {
        var survivors = Enumerable.Range(0, m).ToHashSet();
        foreach (int j in order)
        {
            if (survivors.Count <= size) break;
            survivors.Remove(j);
        }
        return survivors;
    }

    private (double[] Scores, ImmutableArray<int> Order, int[] Rank) Path(FeatureTable train, ImmutableArray<float> trainLabels,
        FeatureTable validation, ImmutableArray<float> validationLabels, int[] sizes, int fold, Action report, CancellationToken cancellationToken)
    {
        int m = train.ColumnCount;
        var current = Enumerable.Range(0, m).ToList();
        var scores = new double[sizes.Length];
        var order = new List<int>();
        var rank = new int[m];
        for (int s = 0; s < sizes.Length; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var names = current.Select(j => train.FeatureNames[j]).ToArray();
            var task = new FeatureSubsetTask
            {
                Train = train.SelectColumns(names),
                TrainLabels = trainLabels,
                Validation = validation.SelectColumns(names),
                ValidationLabels = validationLabels,
                Features = current.ToImmutableArray(),
                Fold = fold,
                CancellationToken = cancellationToken,
            };
            var result = _retrainAndScore(task) ?? throw new XaiException("the retrain-and-score callback returned null");
            report();
            if (!double.IsFinite(result.Score)) throw new XaiException($"the retrain-and-score callback returned a score of {result.Score.ToString(CultureInfo.InvariantCulture)} for {current.Count} features");
            if (result.Importances is null || result.Importances.Count != current.Count)
                throw new XaiException($"the retrain-and-score callback returned {result.Importances?.Count ?? 0} importances for {current.Count} features");
            scores[s] = result.Score;
            if (s == sizes.Length - 1) break;
            int drop = current.Count - sizes[s + 1];
            var weakest = Enumerable.Range(0, current.Count)
                .OrderBy(i => double.IsNaN(result.Importances[i]) ? double.NegativeInfinity : Math.Abs(result.Importances[i]))
                .ThenBy(i => current[i]).Take(drop).Select(i => current[i]).ToArray();
            foreach (int j in weakest)
            {
                order.Add(j);
                rank[j] = sizes.Length - s;
                current.Remove(j);
            }
        }
        // The survivors of the path are "eliminated" last, in ascending order, so the order covers every feature.
        foreach (int j in current.Order()) order.Add(j);
        return (scores, order.ToImmutableArray(), rank);
    }
}
