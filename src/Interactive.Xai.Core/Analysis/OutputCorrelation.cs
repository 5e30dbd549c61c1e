using System.Collections.Immutable;
using System.Diagnostics;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>The correlation of every feature with a model's output over a set of rows (<see cref="OutputCorrelationAnalysis"/>).</summary>
public sealed record OutputCorrelation
{
    /// <summary>The method name used in results and on the command line.</summary>
    public const string MethodName = "output-correlation";

    /// <summary>The feature names, in the data's order.</summary>
    public required ImmutableArray<string> FeatureNames { get; init; }

    /// <summary>The name of the output correlated with.</summary>
    public required string OutputName { get; init; }

    /// <summary>The index of that output.</summary>
    public required int Target { get; init; }

    /// <summary>Pearson's r of each feature with the output; NaN where the feature (or the output) is constant.</summary>
    public required ImmutableArray<double> Pearson { get; init; }

    /// <summary>Spearman's rank correlation (ties given their average rank) of each feature with the output; NaN where either is constant.</summary>
    public required ImmutableArray<double> Spearman { get; init; }

    /// <summary>The number of rows the coefficients were computed from.</summary>
    public required int RowCount { get; init; }

    /// <summary>The wall time of the computation, model included.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Rows sent to the model.</summary>
    public long ModelEvaluations { get; init; }

    /// <summary>The number of features.</summary>
    public int FeatureCount => FeatureNames.Length;
}

/// <summary>Correlation of each feature with the model's output (Pearson and Spearman): which inputs the output moves with, one at a time.</summary>
public static class OutputCorrelationAnalysis
{
    /// <summary>Runs the model on every row of <paramref name="data"/> and correlates each feature with output <paramref name="target"/>.</summary>
    public static OutputCorrelation Compute(IModel model, FeatureTable data, int target = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        int k = model.OutputCount();
        if ((uint)target >= (uint)k) throw new XaiException($"output {target} is outside the model's {k} outputs");
        var stopwatch = Stopwatch.StartNew();
        var outputs = model.Predict(data);
        var y = new double[data.RowCount];
        for (int r = 0; r < y.Length; r++) y[r] = outputs[r * k + target];
        return Compute(data, y, model.OutputNames[target], target, cancellationToken) with { Elapsed = stopwatch.Elapsed, ModelEvaluations = data.RowCount };
    }

    /// <summary>Correlates each column of <paramref name="data"/> with given outputs (one per row).</summary>
    public static OutputCorrelation Compute(FeatureTable data, IReadOnlyList<double> outputs, string outputName = "output", int target = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count != data.RowCount) throw new XaiException($"{outputs.Count} outputs for {data.RowCount} rows");
        if (data.RowCount < 2) throw new XaiException($"correlation needs at least two rows; the data has {data.RowCount}");
        var y = outputs.ToArray();
        for (int r = 0; r < y.Length; r++)
            if (!double.IsFinite(y[r])) throw new XaiException($"the model returned {y[r]} for row {r}; correlation needs finite outputs");
        // Ranks of the outputs in double precision: ties are ties of the double values, not of their float roundings.
        var yRanks = Ranks.Average(y);
        var pearson = new double[data.ColumnCount];
        var spearman = new double[data.ColumnCount];
        for (int f = 0; f < data.ColumnCount; f++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var column = data.Column(f);
            var x = column.Select(v => (double)v).ToArray();
            pearson[f] = Ranks.Pearson(x, y);
            spearman[f] = Ranks.Pearson(Ranks.Average(column), yRanks);
        }
        return new OutputCorrelation
        {
            FeatureNames = data.FeatureNames,
            OutputName = outputName,
            Target = target,
            Pearson = [.. pearson],
            Spearman = [.. spearman],
            RowCount = data.RowCount,
        };
    }
}
