using System.Collections.Immutable;

namespace Interactive.Xai.Notebook;

/// <summary>An explanation shown as one particular chart (for example a waterfall of row 3).</summary>
/// <param name="Explanation">The explanation.</param>
/// <param name="Chart">The chart's name: bar, beeswarm, waterfall, heatmap or dependence.</param>
/// <param name="Row">The row for a waterfall; the feature index for a dependence plot.</param>
public sealed record ExplanationView(Explanation Explanation, string Chart, int Row = 0);

/// <summary>Several attribution methods' results for the same row, shown side by side.</summary>
/// <param name="Row">The row compared.</param>
/// <param name="Explanations">One single-row explanation per method.</param>
public sealed record AttributionComparison(int Row, ImmutableArray<AttributionExplanation> Explanations);

/// <summary>A one-line error from a magic command, shown in place of its output.</summary>
/// <param name="Message">The message.</param>
public sealed record MagicCommandError(string Message);

/// <summary>A model's summary as #!xai-inspect shows it when nothing richer is known.</summary>
/// <param name="ModelType">The .NET type of the model.</param>
/// <param name="FeatureNames">The input features (or "x0".. when the model does not name them).</param>
/// <param name="OutputNames">The outputs.</param>
/// <param name="Details">Further facts (name, value).</param>
public sealed record ModelSummary(string ModelType, ImmutableArray<string> FeatureNames, ImmutableArray<string> OutputNames,
    ImmutableArray<(string Name, string Value)> Details);

/// <summary>The #!xai-help listing.</summary>
/// <param name="Commands">The commands.</param>
public sealed record MagicCommandHelp(IReadOnlyList<MagicCommand> Commands);

/// <summary>A training snapshot shown as one chart (#!xai-training --chart).</summary>
/// <param name="Snapshot">The recorded values.</param>
/// <param name="Chart">dashboard, loss, learning-rate, gradients, or a logged metric's name.</param>
public sealed record TrainingView(TrainingSnapshot Snapshot, string Chart)
{
    /// <summary>Throws a one-line <see cref="XaiException"/> when <paramref name="chart"/> is not one the snapshot can draw.</summary>
    public static void Check(TrainingSnapshot snapshot, string chart)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(chart);
        switch (chart)
        {
            case "dashboard" or "loss": return;
            case "learning-rate" when snapshot.LearningRate.Points.IsDefaultOrEmpty:
                throw new XaiException("--chart learning-rate: no learning rate was logged (TrainingMonitor.LogLearningRate)");
            case "gradients" when snapshot.GradientNorms.IsDefaultOrEmpty:
                throw new XaiException("--chart gradients: no gradient norms were logged (TrainingMonitor.LogGradientNorms)");
            case "learning-rate" or "gradients": return;
        }
        if (!snapshot.MetricNames.Contains(chart))
            throw new XaiException($"--chart {chart}: use dashboard, loss, learning-rate, gradients or a logged metric ({(snapshot.MetricNames.Count == 0 ? "none logged yet" : string.Join(", ", snapshot.MetricNames))})");
    }
}
