using System.Collections.Immutable;

namespace Interactive.Xai;

/// <summary>
/// LIME (Ribeiro et al. 2016) explanations: per row, a weighted sparse linear surrogate g(z) = intercept + Σ β_j z_j of
/// the model around the row, fitted on perturbed samples in an interpretable representation z. Arrays that are
/// [row][feature][target] are stored flat in that order; [row][target] likewise.
/// <para>
/// <see cref="Values"/> are in the model's output units: β_j z_j(x), the surrogate's term for feature j at the
/// explained row, so intercept + Σ values = the surrogate's prediction at the row (<see cref="LocalPredictions"/>).
/// With discretisation z_j is 1 when a sample's feature j falls in the row's quantile bin (so z_j(x) = 1 and the value
/// is β_j: what being in this bin adds, as the lime package lists it); without discretisation
/// z_j = (x_j - mean_j) / std_j over the training data and <see cref="Coefficients"/> are per original unit.
/// </para>
/// </summary>
public sealed record LimeExplanation : Explanation
{
    /// <summary>The feature names, one per column of <see cref="Data"/>.</summary>
    public required ImmutableArray<string> FeatureNames { get; init; }

    /// <summary>The rows explained.</summary>
    public required FeatureTable Data { get; init; }

    /// <summary>The surrogate's term per feature at the row, flat [row][feature][target]; zero for features not selected.</summary>
    public required ImmutableArray<double> Values { get; init; }

    /// <summary>
    /// The surrogate's slope per feature, flat [row][feature][target]: per original unit of the feature without
    /// discretisation (so a linear model's weights come back), per unit of the bin indicator with it.
    /// </summary>
    public required ImmutableArray<double> Coefficients { get; init; }

    /// <summary>The surrogate's intercept, flat [row][target].</summary>
    public required ImmutableArray<double> Intercepts { get; init; }

    /// <summary>The surrogate's prediction at the explained row, flat [row][target] (intercept + Σ values).</summary>
    public required ImmutableArray<double> LocalPredictions { get; init; }

    /// <summary>The model's output for each explained row, flat [row][target].</summary>
    public required ImmutableArray<double> Predictions { get; init; }

    /// <summary>The surrogate's weighted R² on its own samples (fidelity), flat [row][target].</summary>
    public required ImmutableArray<double> Fidelity { get; init; }

    /// <summary>The features the surrogate uses, per row and target (flat [row][target]), ascending indices.</summary>
    public required ImmutableArray<ImmutableArray<int>> SelectedFeatures { get; init; }

    /// <summary>A description of each feature's interpretable term per row, flat [row][feature]: the row's bin
    /// ("0.03 &lt; bmi &lt;= 0.06") with discretisation, else "bmi = 0.05".</summary>
    public required ImmutableArray<string> FeatureDescriptions { get; init; }

    /// <summary>The exponential kernel's width, in units of the distance described by <see cref="Details"/>.</summary>
    public required double KernelWidth { get; init; }

    /// <summary>Perturbed samples per row and run (the row itself included).</summary>
    public required int Samples { get; init; }

    /// <summary>Whether features were discretised into quantile bins.</summary>
    public required bool Discretized { get; init; }

    /// <summary>How many independent runs (seeds) the stability figures compare; 1 means stability was not measured.</summary>
    public required int StabilityRuns { get; init; }

    /// <summary>
    /// Per row and target (flat [row][target]), the mean Jaccard similarity |A ∩ B| / |A ∪ B| of the selected feature
    /// sets over all pairs of runs: 1 when every seed picks the same features. Empty when <see cref="StabilityRuns"/> is 1.
    /// </summary>
    public ImmutableArray<double> StabilityJaccard { get; init; } = ImmutableArray<double>.Empty;

    /// <summary>
    /// The sample standard deviation of each value over the runs, flat [row][feature][target]. Empty when
    /// <see cref="StabilityRuns"/> is 1.
    /// </summary>
    public ImmutableArray<double> ValueStandardDeviations { get; init; } = ImmutableArray<double>.Empty;

    /// <summary>Method-specific facts (sampling, feature selection, distance, kernel).</summary>
    public ImmutableDictionary<string, string> Details { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The number of rows explained.</summary>
    public int RowCount => Data.RowCount;

    /// <summary>The number of features.</summary>
    public int FeatureCount => FeatureNames.Length;

    /// <summary>The value of <paramref name="feature"/> in <paramref name="row"/> for target slot <paramref name="target"/>.</summary>
    public double Value(int row, int feature, int target = 0) => Values[Index(row, feature, target)];

    /// <summary>The surrogate's slope of <paramref name="feature"/> in <paramref name="row"/>.</summary>
    public double Coefficient(int row, int feature, int target = 0) => Coefficients[Index(row, feature, target)];

    /// <summary>The standard deviation of a value over the stability runs (0 when not measured).</summary>
    public double ValueStandardDeviation(int row, int feature, int target = 0)
        => ValueStandardDeviations.IsDefaultOrEmpty ? 0 : ValueStandardDeviations[Index(row, feature, target)];

    /// <summary>The intercept of a row's surrogate.</summary>
    public double Intercept(int row, int target = 0) => Intercepts[RowTarget(row, target)];

    /// <summary>The weighted R² of a row's surrogate.</summary>
    public double RowFidelity(int row, int target = 0) => Fidelity[RowTarget(row, target)];

    /// <summary>The model's output for a row.</summary>
    public double Prediction(int row, int target = 0) => Predictions[RowTarget(row, target)];

    /// <summary>The surrogate's output at a row.</summary>
    public double LocalPrediction(int row, int target = 0) => LocalPredictions[RowTarget(row, target)];

    /// <summary>The features a row's surrogate uses.</summary>
    public ImmutableArray<int> Selected(int row, int target = 0) => SelectedFeatures[RowTarget(row, target)];

    /// <summary>The description of a feature's term in a row.</summary>
    public string FeatureDescription(int row, int feature) => FeatureDescriptions[row * FeatureCount + feature];

    /// <summary>The mean fidelity over rows and targets.</summary>
    public double MeanFidelity => Fidelity.IsDefaultOrEmpty ? double.NaN : Fidelity.Average();

    /// <summary>The mean Jaccard stability over rows and targets (NaN when not measured).</summary>
    public double MeanStabilityJaccard => StabilityJaccard.IsDefaultOrEmpty ? double.NaN : StabilityJaccard.Average();

    /// <summary>One row's values for one target, one per feature.</summary>
    public double[] RowValues(int row, int target = 0)
    {
        var result = new double[FeatureCount];
        for (int f = 0; f < FeatureCount; f++) result[f] = Value(row, f, target);
        return result;
    }

    /// <summary>
    /// The values as an <see cref="AttributionExplanation"/> (base value per target = the mean intercept, predictions =
    /// the surrogates' local predictions, so the additivity error is the largest distance of an intercept from that
    /// mean), so the attribution charts (beeswarm, heatmap) can show many rows' LIME values.
    /// </summary>
    public AttributionExplanation ToAttribution()
    {
        var baseValues = new double[TargetCount];
        for (int t = 0; t < TargetCount; t++)
        {
            for (int r = 0; r < RowCount; r++) baseValues[t] += Intercept(r, t);
            baseValues[t] /= Math.Max(RowCount, 1);
        }
        double additivity = 0;
        for (int r = 0; r < RowCount; r++)
            for (int t = 0; t < TargetCount; t++) additivity = Math.Max(additivity, Math.Abs(Intercept(r, t) - baseValues[t]));
        return new AttributionExplanation
        {
            Method = Method,
            OutputNames = OutputNames,
            Targets = Targets,
            FeatureNames = FeatureNames,
            Data = Data,
            Values = Values,
            BaseValues = baseValues.ToImmutableArray(),
            Predictions = LocalPredictions,
            AdditivityError = additivity,
            Elapsed = Elapsed,
            ModelEvaluations = ModelEvaluations,
            Details = Details,
        };
    }

    private int RowTarget(int row, int target)
    {
        if ((uint)row >= (uint)RowCount) throw new ArgumentOutOfRangeException(nameof(row));
        if ((uint)target >= (uint)TargetCount) throw new ArgumentOutOfRangeException(nameof(target));
        return row * TargetCount + target;
    }

    private int Index(int row, int feature, int target)
    {
        if ((uint)feature >= (uint)FeatureCount) throw new ArgumentOutOfRangeException(nameof(feature));
        return (RowTarget(row, target) / TargetCount * FeatureCount + feature) * TargetCount + target;
    }
}
