using System.Collections.Immutable;
using System.Numerics.Tensors;

namespace Interactive.Xai;

/// <summary>What a classifier's outputs are.</summary>
public enum ClassScores
{
    /// <summary>Probabilities when every row is non-negative and sums to 1 (within 1e-3), logits otherwise.</summary>
    Auto,
    /// <summary>Already probabilities: used as they are.</summary>
    Probabilities,
    /// <summary>Unnormalised scores: turned into probabilities by softmax.</summary>
    Logits,
}

/// <summary>
/// Per-row class probabilities of a classifier, flat [row][class], with the predicted class (arg-max) of each row
/// and, when known, the true class.
/// </summary>
public sealed record ClassProbabilities
{
    /// <summary>The class names.</summary>
    public required ImmutableArray<string> ClassNames { get; init; }

    /// <summary>Probabilities flat [row][class]; each row sums to 1.</summary>
    public required ImmutableArray<double> Values { get; init; }

    /// <summary>Each row's predicted (highest-probability) class.</summary>
    public required ImmutableArray<int> Predicted { get; init; }

    /// <summary>Each row's true class, or empty when unknown.</summary>
    public ImmutableArray<int> Actual { get; init; } = ImmutableArray<int>.Empty;

    /// <summary>True when the model's outputs went through softmax.</summary>
    public bool AppliedSoftmax { get; init; }

    /// <summary>The number of classes.</summary>
    public int ClassCount => ClassNames.Length;

    /// <summary>The number of rows.</summary>
    public int RowCount => ClassCount == 0 ? 0 : Values.Length / ClassCount;

    /// <summary>The probability of <paramref name="c"/> in <paramref name="row"/>.</summary>
    public double Probability(int row, int c)
    {
        if ((uint)row >= (uint)RowCount) throw new ArgumentOutOfRangeException(nameof(row));
        if ((uint)c >= (uint)ClassCount) throw new ArgumentOutOfRangeException(nameof(c));
        return Values[row * ClassCount + c];
    }

    /// <summary>
    /// Builds probabilities from a model's outputs (rows x classes, row-major), applying softmax to logits, with
    /// optional true classes (<paramref name="labels"/>: whole numbers 0 .. classes - 1).
    /// </summary>
    public static ClassProbabilities FromOutputs(ReadOnlySpan<float> outputs, IReadOnlyList<string> classNames,
        ClassScores scores = ClassScores.Auto, IReadOnlyList<float>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        int k = classNames.Count;
        if (k < 2) throw new XaiException($"class probabilities need at least 2 classes, got {k}");
        if (outputs.Length % k != 0) throw new XaiException($"{outputs.Length} outputs are not a whole number of rows of {k} classes");
        if (!TensorPrimitives.IsFiniteAll(outputs)) throw new XaiException("the model's outputs contain a value that is not a finite number");
        int n = outputs.Length / k;
        if (labels is not null && labels.Count != n) throw new XaiException($"{labels.Count} labels for {n} rows");
        bool softmax = scores switch
        {
            ClassScores.Logits => true,
            ClassScores.Probabilities => false,
            _ => !LookLikeProbabilities(outputs, k),
        };
        if (scores == ClassScores.Probabilities && !LookLikeProbabilities(outputs, k))
            throw new XaiException("the outputs were declared probabilities but a row is negative or does not sum to 1; use ClassScores.Logits");
        var values = new double[outputs.Length];
        var row = new float[k];
        for (int r = 0; r < n; r++)
        {
            var source = outputs.Slice(r * k, k);
            if (softmax) TensorPrimitives.SoftMax(source, row);
            else source.CopyTo(row);
            for (int c = 0; c < k; c++) values[r * k + c] = row[c];
        }
        return new ClassProbabilities
        {
            ClassNames = [.. classNames],
            Values = ImmutableArray.Create(values),
            Predicted = ImmutableArray.Create(ArgMax(outputs, k)),
            Actual = labels is null ? ImmutableArray<int>.Empty : ImmutableArray.Create(ConfusionMatrix.ClassIndices(labels, k)),
            AppliedSoftmax = softmax,
        };
    }

    /// <summary>Evaluates a classifier on <paramref name="data"/> (one batch) and builds its class probabilities.</summary>
    public static ClassProbabilities FromModel(IModel model, FeatureTable data, ClassScores scores = ClassScores.Auto, IReadOnlyList<float>? labels = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        return FromOutputs(model.Predict(data), model.OutputNames, scores, labels);
    }

    /// <summary>Each row's arg-max (the first on ties).</summary>
    internal static int[] ArgMax(ReadOnlySpan<float> outputs, int classes)
    {
        var result = new int[outputs.Length / classes];
        for (int r = 0; r < result.Length; r++) result[r] = TensorPrimitives.IndexOfMax(outputs.Slice(r * classes, classes));
        return result;
    }

    private static bool LookLikeProbabilities(ReadOnlySpan<float> outputs, int classes)
    {
        for (int r = 0; r < outputs.Length / classes; r++)
        {
            var row = outputs.Slice(r * classes, classes);
            if (TensorPrimitives.Min(row) < 0 || Math.Abs(TensorPrimitives.Sum(row) - 1) > 1e-3) return false;
        }
        return true;
    }
}
