namespace Interactive.Xai;

/// <summary>
/// A batched model that also gives gradients of its outputs with respect to its inputs (TorchSharp modules and
/// TorchScript files, or any C# function with a known derivative). Gradient attribution methods need it; everything
/// else uses <see cref="IModel.Predict"/>.
/// </summary>
public interface IDifferentiableModel : IModel
{
    /// <summary>
    /// Evaluates <paramref name="rowCount"/> rows and the gradient, for each row r, of output
    /// <c>outputIndices[r]</c> of that row with respect to that row's inputs.
    /// <paramref name="inputs"/> and <paramref name="gradients"/> hold rowCount x FeatureCount values;
    /// <paramref name="outputs"/> receives rowCount x OutputCount values (all outputs, row-major).
    /// </summary>
    void PredictWithGradient(ReadOnlySpan<float> inputs, int rowCount, ReadOnlySpan<int> outputIndices,
        Span<float> outputs, Span<float> gradients);
}
