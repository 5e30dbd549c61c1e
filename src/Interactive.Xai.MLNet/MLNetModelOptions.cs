namespace Interactive.Xai.MLNet;

/// <summary>How <see cref="MLNetModel"/> maps an ML.NET pipeline's input columns to features and which output column it returns.</summary>
public sealed record MLNetModelOptions
{
    /// <summary>The default options: features found from the pipeline, output "Probability" or "Score".</summary>
    public static MLNetModelOptions Default { get; } = new();

    /// <summary>
    /// The input columns that make up the feature vector, in order. Null (the default) takes the input columns the
    /// output column actually depends on, in input-schema order, so a label column saved in the schema is left out.
    /// </summary>
    public IReadOnlyList<string>? FeatureColumns { get; init; }

    /// <summary>
    /// Input columns never to treat as features, when <see cref="FeatureColumns"/> is null. Rarely needed: for a
    /// pipeline that is a row-to-row mapper (almost all are) the features are the columns the output depends on,
    /// so a label column is already left out; for other pipelines every numeric input column is a feature unless
    /// named here. Ignoring a column the output depends on is an error.
    /// </summary>
    public IReadOnlyList<string> IgnoredColumns { get; init; } = [];

    /// <summary>
    /// The output column to return. Null (the default) takes "Probability" when the pipeline has it (binary
    /// classification) and "Score" otherwise (regression: one output; multiclass: one output per class).
    /// </summary>
    public string? OutputColumn { get; init; }
}
