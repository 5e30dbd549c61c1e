using System.Collections.Immutable;

namespace Interactive.Xai;

/// <summary>
/// Permutation importance: for each feature (or group of features), how much the metric worsens when that
/// feature's values are shuffled across rows. Positive means the model relies on the feature.
/// </summary>
public sealed record PermutationImportanceExplanation : Explanation
{
    /// <summary>The names of the features or feature groups, one per importance value.</summary>
    public required ImmutableArray<string> FeatureNames { get; init; }

    /// <summary>The column indices in each feature or group.</summary>
    public required ImmutableArray<ImmutableArray<int>> FeatureColumns { get; init; }

    /// <summary>The metric.</summary>
    public required PermutationMetric Metric { get; init; }

    /// <summary>The number of shuffles per feature.</summary>
    public required int Repeats { get; init; }

    /// <summary>The metric on the unshuffled data.</summary>
    public required double BaselineScore { get; init; }

    /// <summary>The mean importance per feature.</summary>
    public required ImmutableArray<double> Mean { get; init; }

    /// <summary>The standard deviation of the importance over repeats (n - 1 denominator).</summary>
    public required ImmutableArray<double> StandardDeviation { get; init; }

    /// <summary>Every repeat's importance, [feature][repeat].</summary>
    public required ImmutableArray<ImmutableArray<double>> Values { get; init; }

    /// <summary>The number of rows scored.</summary>
    public required int RowCount { get; init; }
}

/// <summary>A metric for permutation importance. Importance is always "how much worse": loss increase or score decrease.</summary>
public enum PermutationMetric
{
    /// <summary>Mean squared error (regression).</summary>
    MeanSquaredError,
    /// <summary>Mean absolute error (regression).</summary>
    MeanAbsoluteError,
    /// <summary>Coefficient of determination (regression).</summary>
    R2,
    /// <summary>Fraction of correct class predictions (classification; argmax, or output &gt;= 0.5 for one output).</summary>
    Accuracy,
    /// <summary>Cross-entropy of predicted probabilities (classification).</summary>
    LogLoss,
}
