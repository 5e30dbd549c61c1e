namespace Interactive.Xai;

/// <summary>
/// A batched model: it reads N inputs of <see cref="FeatureCount"/> floats each, stored contiguously
/// in row-major order, and writes N x OutputCount outputs (one per entry of <see cref="OutputNames"/>), also row-major.
/// Explainers always call it with large batches, never row by row.
/// </summary>
public interface IModel
{
    /// <summary>The number of input features per row.</summary>
    int FeatureCount { get; }

    /// <summary>The feature names the model knows, or null when it does not know them.</summary>
    IReadOnlyList<string>? FeatureNames { get; }

    /// <summary>One name per output (for example "Score", or the class labels).</summary>
    IReadOnlyList<string> OutputNames { get; }

    /// <summary>True when <see cref="Predict"/> may be called from several threads at once.</summary>
    bool IsThreadSafe { get; }

    /// <summary>
    /// Evaluates <paramref name="rowCount"/> rows. <paramref name="inputs"/> holds
    /// rowCount x FeatureCount values; <paramref name="outputs"/> receives rowCount x OutputCount values.
    /// </summary>
    void Predict(ReadOnlySpan<float> inputs, int rowCount, Span<float> outputs);
}

/// <summary>Convenience members for every <see cref="IModel"/>.</summary>
public static class ModelExtensions
{
    /// <summary>The number of outputs per row.</summary>
    public static int OutputCount(this IModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.OutputNames.Count;
    }

    /// <summary>Evaluates every row of <paramref name="table"/>; returns RowCount x OutputCount values, row-major.</summary>
    public static float[] Predict(this IModel model, FeatureTable table)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(table);
        model.EnsureAccepts(table, "the data");
        var outputs = new float[table.RowCount * model.OutputCount()];
        if (table.RowCount > 0) model.Predict(table.Values, table.RowCount, outputs);
        return outputs;
    }

    /// <summary>Throws an <see cref="XaiException"/> when the table's column count does not match the model.</summary>
    public static void EnsureAccepts(this IModel model, FeatureTable table, string what)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(table);
        if (table.ColumnCount != model.FeatureCount)
            throw new XaiException($"{what} has {table.ColumnCount} columns but the model takes {model.FeatureCount} features");
    }
}
