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
