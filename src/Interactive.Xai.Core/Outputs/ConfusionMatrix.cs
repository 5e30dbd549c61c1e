using System.Collections.Immutable;
using System.Globalization;

namespace Interactive.Xai;

/// <summary>
/// A confusion matrix of a classifier: counts[actual][predicted] over rows, with class names, row-normalised rates
/// (each actual class's row divided by its count: the diagonal is per-class recall), accuracy, and per-class
/// precision and recall.
/// </summary>
public sealed record ConfusionMatrix
{
    /// <summary>The class names, one per row and column.</summary>
    public required ImmutableArray<string> ClassNames { get; init; }

    /// <summary>Counts flat [actual][predicted].</summary>
    public required ImmutableArray<long> Counts { get; init; }

    /// <summary>The number of classes.</summary>
    public int ClassCount => ClassNames.Length;

    /// <summary>The number of rows counted.</summary>
    public long Total => Counts.Sum();

    /// <summary>Rows of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public long Count(int actual, int predicted) => Counts[Index(actual, predicted)];

    /// <summary>The rows of class <paramref name="actual"/>.</summary>
    public long ActualCount(int actual)
    {
        long sum = 0;
        for (int p = 0; p < ClassCount; p++) sum += Count(actual, p);
        return sum;
    }

    /// <summary>The rows predicted as <paramref name="predicted"/>.</summary>
    public long PredictedCount(int predicted)
    {
        long sum = 0;
        for (int a = 0; a < ClassCount; a++) sum += Count(a, predicted);
        return sum;
    }

    /// <summary>The fraction of class <paramref name="actual"/>'s rows predicted as <paramref name="predicted"/> (0 when the class has no rows).</summary>
    public double RowNormalized(int actual, int predicted)
    {
        long rows = ActualCount(actual);
        return rows == 0 ? 0 : (double)Count(actual, predicted) / rows;
    }

    /// <summary>The fraction of rows on the diagonal (0 when empty).</summary>
    public double Accuracy
    {
        get
        {
            long total = Total, correct = 0;
            for (int c = 0; c < ClassCount; c++) correct += Count(c, c);
            return total == 0 ? 0 : (double)correct / total;
        }
    }

    /// <summary>Of the rows of class <paramref name="c"/>, the fraction predicted as <paramref name="c"/> (NaN when it has none).</summary>
    public double Recall(int c)
    {
        long rows = ActualCount(c);
        return rows == 0 ? double.NaN : (double)Count(c, c) / rows;
    }

    /// <summary>Of the rows predicted as <paramref name="c"/>, the fraction that are <paramref name="c"/> (NaN when none were).</summary>
    public double Precision(int c)
    {
        long rows = PredictedCount(c);
        return rows == 0 ? double.NaN : (double)Count(c, c) / rows;
    }

    /// <summary>Counts pairs of actual and predicted class indices (0 .. classNames.Count - 1).</summary>
    public static ConfusionMatrix FromClasses(IReadOnlyList<int> actual, IReadOnlyList<int> predicted, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count < 2) throw new XaiException($"a confusion matrix needs at least 2 classes, got {classNames.Count}");
        if (actual.Count != predicted.Count) throw new XaiException($"{actual.Count} actual classes for {predicted.Count} predictions");
        int k = classNames.Count;
        var counts = new long[k * k];
        for (int r = 0; r < actual.Count; r++)
        {
            int a = actual[r], p = predicted[r];
            if ((uint)a >= (uint)k) throw new XaiException($"row {r}: actual class {a} is outside 0..{k - 1}");
            if ((uint)p >= (uint)k) throw new XaiException($"row {r}: predicted class {p} is outside 0..{k - 1}");
            counts[a * k + p]++;
        }
        return new ConfusionMatrix { ClassNames = [.. classNames], Counts = ImmutableArray.Create(counts) };
    }

    /// <summary>
    /// Counts a classifier's predictions (each row's highest-scoring output) against labels holding class indices
    /// (whole numbers 0 .. OutputCount - 1, as the shipped datasets store them). Class names are the model's output names
    /// unless given. All rows go to the model in one batch.
    /// </summary>
    public static ConfusionMatrix FromModel(IModel model, FeatureTable data, IReadOnlyList<float> labels, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != data.RowCount) throw new XaiException($"{labels.Count} labels for {data.RowCount} rows");
        int k = model.OutputCount();
        var names = classNames ?? model.OutputNames;
        if (names.Count != k) throw new XaiException($"{names.Count} class names for a model with {k} outputs");
        var outputs = model.Predict(data);
        if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(outputs)) throw new XaiException("the model's outputs contain a value that is not a finite number");
        return FromClasses(ClassIndices(labels, k), ClassProbabilities.ArgMax(outputs, k), names);
    }

    /// <summary>Labels stored as floats turned into class indices; throws when one is not a whole number in 0 .. classes - 1.</summary>
    internal static int[] ClassIndices(IReadOnlyList<float> labels, int classes)
    {
        var result = new int[labels.Count];
        for (int r = 0; r < labels.Count; r++)
        {
            float v = labels[r];
            if (!(v >= 0 && v < classes && v == MathF.Floor(v)))
                throw new XaiException($"label {v.ToString(CultureInfo.InvariantCulture)} in row {r} is not a class index 0..{classes - 1}");
            result[r] = (int)v;
        }
        return result;
    }

    private int Index(int actual, int predicted)
    {
        if ((uint)actual >= (uint)ClassCount) throw new ArgumentOutOfRangeException(nameof(actual));
        if ((uint)predicted >= (uint)ClassCount) throw new ArgumentOutOfRangeException(nameof(predicted));
        return actual * ClassCount + predicted;
    }
}
