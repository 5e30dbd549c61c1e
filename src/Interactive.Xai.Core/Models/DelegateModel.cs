using System.Collections.Immutable;

namespace Interactive.Xai;

/// <summary>Evaluates a batch: <paramref name="inputs"/> holds rowCount rows; write rowCount x outputs into <paramref name="outputs"/>.</summary>
public delegate void BatchFunction(ReadOnlySpan<float> inputs, int rowCount, Span<float> outputs);

/// <summary>Evaluates one row into its outputs.</summary>
public delegate void RowFunction(ReadOnlySpan<float> row, Span<float> outputs);

/// <summary>A model backed by any C# function.</summary>
public sealed class DelegateModel : IModel
{
    private readonly BatchFunction _function;

    /// <summary>Wraps a batched function.</summary>
    /// <param name="featureCount">Inputs per row.</param>
    /// <param name="outputNames">One name per output.</param>
    /// <param name="function">The batched function.</param>
    /// <param name="featureNames">Optional feature names.</param>
    /// <param name="isThreadSafe">Whether the function may run on several threads at once.</param>
    public DelegateModel(int featureCount, IReadOnlyList<string> outputNames, BatchFunction function,
        IReadOnlyList<string>? featureNames = null, bool isThreadSafe = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(featureCount);
        ArgumentNullException.ThrowIfNull(outputNames);
        ArgumentNullException.ThrowIfNull(function);
        if (outputNames.Count == 0) throw new ArgumentException("a model needs at least one output", nameof(outputNames));
        if (featureNames is not null && featureNames.Count != featureCount)
            throw new ArgumentException($"{featureNames.Count} feature names for {featureCount} features", nameof(featureNames));
        FeatureCount = featureCount;
        OutputNames = outputNames.ToImmutableArray();
        FeatureNames = featureNames?.ToImmutableArray();
        IsThreadSafe = isThreadSafe;
        _function = function;
    }

    /// <summary>A single-output model from a function of one row.</summary>
    public static DelegateModel FromRowFunction(int featureCount, Func<ReadOnlySpan<float>, float> function,
        string outputName = "output", IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new DelegateModel(featureCount, [outputName], (inputs, rows, outputs) =>
        {
            for (int r = 0; r < rows; r++) outputs[r] = function(inputs.Slice(r * featureCount, featureCount));
        }, featureNames);
    }

    /// <summary>A multi-output model from a function of one row.</summary>
    public static DelegateModel FromRowFunction(int featureCount, IReadOnlyList<string> outputNames, RowFunction function,
        IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(outputNames);
        int k = outputNames.Count;
        return new DelegateModel(featureCount, outputNames, (inputs, rows, outputs) =>
        {
            for (int r = 0; r < rows; r++) function(inputs.Slice(r * featureCount, featureCount), outputs.Slice(r * k, k));
        }, featureNames);
    }

    /// <summary>A linear model y = w . x + b (handy for tests and as an analytic oracle).</summary>
    public static DelegateModel Linear(IReadOnlyList<float> weights, float bias = 0, IReadOnlyList<string>? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var w = weights.ToArray();
        return new DelegateModel(w.Length, ["output"], (inputs, rows, outputs) =>
        {
            for (int r = 0; r < rows; r++)
                outputs[r] = System.Numerics.Tensors.TensorPrimitives.Dot(inputs.Slice(r * w.Length, w.Length), w) + bias;
        }, featureNames);
    }

    /// <inheritdoc />
    public int FeatureCount { get; }

    /// <inheritdoc />
    public IReadOnlyList<string>? FeatureNames { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> OutputNames { get; }

    /// <inheritdoc />
    public bool IsThreadSafe { get; }

    /// <inheritdoc />
    public void Predict(ReadOnlySpan<float> inputs, int rowCount, Span<float> outputs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        if (inputs.Length < rowCount * FeatureCount) throw new ArgumentException("input buffer too small", nameof(inputs));
        if (outputs.Length < rowCount * OutputNames.Count) throw new ArgumentException("output buffer too small", nameof(outputs));
        _function(inputs[..(rowCount * FeatureCount)], rowCount, outputs[..(rowCount * OutputNames.Count)]);
    }
}
