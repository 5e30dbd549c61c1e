using System.Collections.Immutable;

namespace Interactive.Xai;

/// <summary>
/// Evaluates a batch and, for each row r, the gradient of output <paramref name="outputIndices"/>[r] of that row with
/// respect to its inputs: the same contract as <see cref="IDifferentiableModel.PredictWithGradient"/>.
/// </summary>
public delegate void GradientBatchFunction(ReadOnlySpan<float> inputs, int rowCount, ReadOnlySpan<int> outputIndices,
    Span<float> outputs, Span<float> gradients);

/// <summary>Writes the gradient of output <paramref name="output"/> at <paramref name="row"/> into <paramref name="gradient"/>.</summary>
public delegate void RowGradientFunction(ReadOnlySpan<float> row, int output, Span<float> gradient);

/// <summary>
/// A differentiable model backed by C# functions: a batched forward function and a batched function that gives outputs
/// and input gradients. Gradient attribution methods (saliency, SmoothGrad, Integrated Gradients) accept it like any
/// other <see cref="IDifferentiableModel"/>, so plain C# models with known derivatives can be explained and tested.
/// </summary>
public sealed class DifferentiableDelegateModel : IDifferentiableModel
{
    private readonly DelegateModel _forward;
    private readonly GradientBatchFunction _gradient;

    /// <summary>Wraps a batched forward function and its batched gradient.</summary>
    /// <param name="featureCount">Inputs per row.</param>
    /// <param name="outputNames">One name per output.</param>
    /// <param name="predict">The batched forward function.</param>
    /// <param name="gradient">The batched forward function that also writes input gradients.</param>
    /// <param name="featureNames">Optional feature names.</param>
    /// <param name="isThreadSafe">Whether the functions may run on several threads at once.</param>
    public DifferentiableDelegateModel(int featureCount, IReadOnlyList<string> outputNames, BatchFunction predict,
        GradientBatchFunction gradient, IReadOnlyList<string>? featureNames = null, bool isThreadSafe = true)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        _forward = new DelegateModel(featureCount, outputNames, predict, featureNames, isThreadSafe);
        _gradient = gradient;
    }

    /// <summary>A model from functions of one row: its outputs, and the gradient of one output.</summary>
    public static DifferentiableDelegateModel FromRowFunctions(int featureCount, IReadOnlyList<string> outputNames,
        RowFunction predict, RowGradientFunction gradient, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(outputNames);
        ArgumentNullException.ThrowIfNull(predict);
        ArgumentNullException.ThrowIfNull(gradient);
        int k = outputNames.Count;
        return new DifferentiableDelegateModel(featureCount, outputNames,
            (inputs, rows, outputs) =>
            {
                for (int r = 0; r < rows; r++) predict(inputs.Slice(r * featureCount, featureCount), outputs.Slice(r * k, k));
            },
            (inputs, rows, indices, outputs, gradients) =>
            {
                for (int r = 0; r < rows; r++)
                {
                    var row = inputs.Slice(r * featureCount, featureCount);
                    predict(row, outputs.Slice(r * k, k));
                    gradient(row, indices[r], gradients.Slice(r * featureCount, featureCount));
                }
            }, featureNames);
    }

    /// <summary>A linear model y = w . x + b whose gradient is w everywhere (an analytic oracle for gradient methods).</summary>
    public static DifferentiableDelegateModel Linear(IReadOnlyList<float> weights, float bias = 0, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var w = weights.ToArray();
        int m = w.Length;
        return new DifferentiableDelegateModel(m, ["output"],
            (inputs, rows, outputs) =>
            {
                for (int r = 0; r < rows; r++) outputs[r] = System.Numerics.Tensors.TensorPrimitives.Dot(inputs.Slice(r * m, m), w) + bias;
            },
            (inputs, rows, _, outputs, gradients) =>
            {
                for (int r = 0; r < rows; r++)
                {
                    outputs[r] = System.Numerics.Tensors.TensorPrimitives.Dot(inputs.Slice(r * m, m), w) + bias;
                    w.CopyTo(gradients.Slice(r * m, m));
                }
            }, featureNames);
    }

    /// <inheritdoc />
    public int FeatureCount => _forward.FeatureCount;

    /// <inheritdoc />
    public IReadOnlyList<string>? FeatureNames => _forward.FeatureNames;

    /// <inheritdoc />
    public IReadOnlyList<string> OutputNames => _forward.OutputNames;

    /// <inheritdoc />
    public bool IsThreadSafe => _forward.IsThreadSafe;

    /// <inheritdoc />
    public void Predict(ReadOnlySpan<float> inputs, int rowCount, Span<float> outputs) => _forward.Predict(inputs, rowCount, outputs);

    /// <inheritdoc />
    public void PredictWithGradient(ReadOnlySpan<float> inputs, int rowCount, ReadOnlySpan<int> outputIndices,
        Span<float> outputs, Span<float> gradients)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        if (inputs.Length < rowCount * FeatureCount) throw new ArgumentException("input buffer too small", nameof(inputs));
        if (outputs.Length < rowCount * OutputNames.Count) throw new ArgumentException("output buffer too small", nameof(outputs));
        if (outputIndices.Length < rowCount) throw new ArgumentException("one output index per row is needed", nameof(outputIndices));
        if (gradients.Length < rowCount * FeatureCount) throw new ArgumentException("gradient buffer too small", nameof(gradients));
        foreach (var index in outputIndices[..rowCount])
            if ((uint)index >= (uint)OutputNames.Count) throw new ArgumentOutOfRangeException(nameof(outputIndices), $"output index {index} does not exist");
        _gradient(inputs[..(rowCount * FeatureCount)], rowCount, outputIndices[..rowCount],
            outputs[..(rowCount * OutputNames.Count)], gradients[..(rowCount * FeatureCount)]);
    }
}
