using System.Collections.Immutable;

namespace Interactive.Xai;

/// <summary>
/// Per-row, per-feature attributions (Shapley values and other additive attributions) for one or more
/// model outputs. Values are stored flat as [row][feature][target].
/// For Shapley methods, values of a row add up to prediction - base value; <see cref="AdditivityError"/> says how closely.
/// </summary>
public sealed record AttributionExplanation : Explanation
{
    /// <summary>The feature names, one per column of <see cref="Data"/>.</summary>
    public required ImmutableArray<string> FeatureNames { get; init; }

    /// <summary>The rows explained.</summary>
    public required FeatureTable Data { get; init; }

    /// <summary>Attributions, flat [row][feature][target].</summary>
    public required ImmutableArray<double> Values { get; init; }

    /// <summary>The expected model output over the background, one per target.</summary>
    public required ImmutableArray<double> BaseValues { get; init; }

    /// <summary>The model's output for each explained row, flat [row][target].</summary>
    public required ImmutableArray<double> Predictions { get; init; }

    /// <summary>Standard errors of sampled estimates, flat [row][feature][target]; empty when the values are exact.</summary>
    public ImmutableArray<double> StandardErrors { get; init; } = ImmutableArray<double>.Empty;

    /// <summary>
    /// The shape of one input when the features are a flattened tensor (for example [1, 8, 8] for a one-channel 8x8
    /// image, row-major, channels first); empty for tabular data.
    /// </summary>
    public ImmutableArray<int> InputShape { get; init; } = ImmutableArray<int>.Empty;

    /// <summary>
    /// When each row is explained for its own predicted output (<see cref="OutputTarget.Predicted"/>), the output
    /// index explained in each row; empty otherwise. <see cref="Explanation.Targets"/> then holds one slot.
    /// </summary>
    public ImmutableArray<int> RowTargets { get; init; } = ImmutableArray<int>.Empty;

    /// <summary>
    /// Integrated Gradients' convergence delta per row and target, flat [row][target]: sum of the row's attributions
    /// - (f(x) - f(baseline)). Empty for methods without one.
    /// </summary>
    public ImmutableArray<double> ConvergenceDeltas { get; init; } = ImmutableArray<double>.Empty;

    /// <summary>The largest |sum of a row's values + base value - prediction| over rows and targets.</summary>
    public double AdditivityError { get; init; }

    /// <summary>Method-specific facts worth reporting (for example the number of coalitions sampled).</summary>
    public ImmutableDictionary<string, string> Details { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The number of rows explained.</summary>
    public int RowCount => Data.RowCount;

    /// <summary>The number of features.</summary>
    public int FeatureCount => FeatureNames.Length;

    /// <summary>The attribution of <paramref name="feature"/> in <paramref name="row"/> for target slot <paramref name="target"/>.</summary>
    public double Value(int row, int feature, int target = 0) => Values[Index(row, feature, target)];

    /// <summary>The standard error of a value, or 0 when the values are exact.</summary>
    public double StandardError(int row, int feature, int target = 0)
        => StandardErrors.IsDefaultOrEmpty ? 0 : StandardErrors[Index(row, feature, target)];

    /// <summary>The model output for a row and target slot.</summary>
    public double Prediction(int row, int target = 0) => Predictions[row * TargetCount + target];

    /// <summary>The base value for a target slot.</summary>
    public double BaseValue(int target = 0) => BaseValues[target];

    /// <summary>One row's attributions for one target, one per feature.</summary>
    public double[] RowValues(int row, int target = 0)
    {
        var result = new double[FeatureCount];
        for (int f = 0; f < FeatureCount; f++) result[f] = Value(row, f, target);
        return result;
    }

    /// <summary>Mean |value| per feature for one target: the global importance SHAP's bar plot shows.</summary>
    public double[] MeanAbsoluteValues(int target = 0)
    {
        var result = new double[FeatureCount];
        for (int r = 0; r < RowCount; r++)
            for (int f = 0; f < FeatureCount; f++) result[f] += Math.Abs(Value(r, f, target));
        for (int f = 0; f < FeatureCount; f++) result[f] /= Math.Max(RowCount, 1);
        return result;
    }

    private int Index(int row, int feature, int target)
    {
        if ((uint)row >= (uint)RowCount) throw new ArgumentOutOfRangeException(nameof(row));
        if ((uint)feature >= (uint)FeatureCount) throw new ArgumentOutOfRangeException(nameof(feature));
        if ((uint)target >= (uint)TargetCount) throw new ArgumentOutOfRangeException(nameof(target));
        return (row * FeatureCount + feature) * TargetCount + target;
    }
}
