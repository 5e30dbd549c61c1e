using System.Collections.Immutable;
using System.Globalization;

namespace Interactive.Xai;

/// <summary>What a counterfactual must reach: a class of a classifier, or a value range of a regressor's output.</summary>
public sealed record CounterfactualGoal
{
    private CounterfactualGoal(int? desiredClass, int output, double low, double high)
    {
        DesiredClass = desiredClass;
        Output = output;
        Low = low;
        High = high;
    }

    /// <summary>The desired class, or null for a range goal.</summary>
    public int? DesiredClass { get; }

    /// <summary>The output a range goal reads.</summary>
    public int Output { get; }

    /// <summary>The lower end of a range goal (inclusive).</summary>
    public double Low { get; }

    /// <summary>The upper end of a range goal (inclusive).</summary>
    public double High { get; }

    /// <summary>
    /// A classifier's class: the arg-max output of a multi-output model must be <paramref name="desiredClass"/>; for a
    /// single-output model (a probability of class 1), class 1 means output &gt;= 0.5 and class 0 means &lt; 0.5.
    /// </summary>
    public static CounterfactualGoal Class(int desiredClass)
    {
        if (desiredClass < 0) throw new XaiException($"the desired class must be 0 or more, got {desiredClass}");
        return new CounterfactualGoal(desiredClass, 0, double.NaN, double.NaN);
    }

    /// <summary>A regressor's output <paramref name="output"/> must lie in [<paramref name="low"/>, <paramref name="high"/>].</summary>
    public static CounterfactualGoal Range(double low, double high, int output = 0)
    {
        if (double.IsNaN(low) || double.IsNaN(high) || low > high)
            throw new XaiException($"the desired range needs low <= high, got {low.ToString(CultureInfo.InvariantCulture)}, {high.ToString(CultureInfo.InvariantCulture)}");
        if (output < 0) throw new XaiException($"the output index must be 0 or more, got {output}");
        return new CounterfactualGoal(null, output, low, high);
    }

    /// <summary>Whether the outputs of one row (all of the model's outputs) meet the goal.</summary>
    public bool IsMet(ReadOnlySpan<float> outputs)
    {
        if (DesiredClass is { } c)
        {
            if (outputs.Length == 1) return c == 1 ? outputs[0] >= 0.5f : outputs[0] < 0.5f;
            int best = 0;
            for (int o = 1; o < outputs.Length; o++) if (outputs[o] > outputs[best]) best = o;
            return best == c;
        }
        return outputs[Output] >= Low && outputs[Output] <= High;
    }

    /// <summary>How far the outputs are from the goal (0 when met): a margin for classes, the distance to the range otherwise.</summary>
    public double Shortfall(ReadOnlySpan<float> outputs)
    {
        if (DesiredClass is { } c)
        {
            if (outputs.Length == 1) return c == 1 ? Math.Max(0, 0.5 - outputs[0]) : Math.Max(0, outputs[0] - 0.5 + 1e-6);
            double other = double.NegativeInfinity;
            for (int o = 0; o < outputs.Length; o++) if (o != c) other = Math.Max(other, outputs[o]);
            return IsMet(outputs) ? 0 : Math.Max(other - outputs[c], 1e-9);
        }
        double v = outputs[Output];
        return v < Low ? Low - v : v > High ? v - High : 0;
    }

    /// <inheritdoc />
    public override string ToString() => DesiredClass is { } c
        ? $"class {c}"
        : string.Create(CultureInfo.InvariantCulture, $"output {Output} in [{Low:G6}, {High:G6}]");
}

/// <summary>The counterfactuals found for one row and their quality figures.</summary>
public sealed record CounterfactualSet
{
    /// <summary>The row's index in the explained table.</summary>
    public required int Row { get; init; }

    /// <summary>The model's outputs for the original row (all outputs).</summary>
    public required ImmutableArray<double> OriginalPrediction { get; init; }

    /// <summary>The counterfactuals as full input rows (fewer than asked when the search found fewer).</summary>
    public required FeatureTable Counterfactuals { get; init; }

    /// <summary>The model's outputs for each counterfactual, flat [counterfactual][output].</summary>
    public required ImmutableArray<double> Predictions { get; init; }

    /// <summary>Whether each counterfactual meets the goal, verified through the model.</summary>
    public required ImmutableArray<bool> Valid { get; init; }

    /// <summary>The feature indices each counterfactual changes.</summary>
    public required ImmutableArray<ImmutableArray<int>> ChangedFeatures { get; init; }

    /// <summary>Each counterfactual's distance to the row: Σ_j |x'_j - x_j| / scale_j (scaled L1).</summary>
    public required ImmutableArray<double> Distances { get; init; }

    /// <summary>The fraction of the asked-for counterfactuals that were found and meet the goal.</summary>
    public required double Validity { get; init; }

    /// <summary>The mean scaled L1 distance of the counterfactuals to the row, divided by the feature count (lower is closer).</summary>
    public required double Proximity { get; init; }

    /// <summary>1 - the mean fraction of features changed (1 = nothing changed).</summary>
    public required double Sparsity { get; init; }

    /// <summary>The mean number of features changed per counterfactual.</summary>
    public required double MeanChangedFeatures { get; init; }

    /// <summary>The mean pairwise scaled L1 distance between counterfactuals, divided by the feature count (0 for fewer than two).</summary>
    public required double Diversity { get; init; }

    /// <summary>The number of counterfactuals found.</summary>
    public int Count => Counterfactuals.RowCount;

    /// <summary>The number of counterfactuals found that meet the goal.</summary>
    public int ValidCount => Valid.IsDefault ? 0 : Valid.Count(v => v);

    /// <summary>
    /// True when the row itself already meets the goal: no counterfactual is searched for, none is returned, and
    /// <see cref="Validity"/> is 1.
    /// </summary>
    public bool AlreadyMeetsGoal { get; init; }

    /// <summary>The output <paramref name="output"/> of counterfactual <paramref name="index"/>.</summary>
    public double Prediction(int index, int output = 0) => Predictions[index * OriginalPrediction.Length + output];
}

/// <summary>
/// Counterfactual explanations: for each row, up to K diverse nearby inputs that reach a goal, with validity,
/// proximity, sparsity and diversity (as DiCE reports them). Distances are L1 scaled per feature by
/// <see cref="Scales"/> (the training data's median absolute deviation).
/// </summary>
public sealed record CounterfactualExplanation : Explanation
{
    /// <summary>The feature names.</summary>
    public required ImmutableArray<string> FeatureNames { get; init; }

    /// <summary>The rows explained.</summary>
    public required FeatureTable Data { get; init; }

    /// <summary>The goal.</summary>
    public required CounterfactualGoal Goal { get; init; }

    /// <summary>The number of counterfactuals asked for per row.</summary>
    public required int RequestedCount { get; init; }

    /// <summary>The per-feature scale of the L1 distance.</summary>
    public required ImmutableArray<double> Scales { get; init; }

    /// <summary>One set per explained row.</summary>
    public required ImmutableArray<CounterfactualSet> Sets { get; init; }

    /// <summary>Search facts (method, generations, constraints).</summary>
    public ImmutableDictionary<string, string> Details { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The number of rows explained.</summary>
    public int RowCount => Data.RowCount;

    /// <summary>
    /// For each explained row, its index in the table the caller took it from (for example the command line's --row);
    /// empty when the rows are numbered from 0 as in <see cref="Data"/>.
    /// </summary>
    public ImmutableArray<int> SourceRows { get; init; } = [];

    /// <summary>The index the caller knows <paramref name="set"/>'s row by (<see cref="SourceRows"/>, else its row in <see cref="Data"/>).</summary>
    public int SourceRow(CounterfactualSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return SourceRows.IsDefaultOrEmpty ? set.Row : SourceRows[set.Row];
    }

    /// <summary>The mean validity over rows.</summary>
    public double MeanValidity => Sets.IsDefaultOrEmpty ? double.NaN : Sets.Average(s => s.Validity);
}
