namespace Interactive.Xai.Numerics;

/// <summary>
/// The metrics permutation importance scores with, in double precision. Every metric is computed from one sum over
/// rows of a per-row term (<see cref="Term"/>), taken exactly (<see cref="ExactSum"/>), so a score over a table equals,
/// bit for bit, the score from the merged sums of any partition of its rows (a cluster job's partitions). R² also needs
/// the labels' total sum of squares, which depends on the labels alone (<see cref="TotalSquares"/>).
/// </summary>
internal static class Metrics
{
    private const double ProbabilityFloor = 1e-15;

    /// <summary>True when a larger value is better (scores); false for losses.</summary>
    public static bool HigherIsBetter(PermutationMetric metric) => metric is PermutationMetric.R2 or PermutationMetric.Accuracy;

    /// <summary>
    /// One row's term of the metric's sum: squared error (mse, r2), absolute error (mae), 1 for a correct class
    /// (accuracy), -log p of the true class (log-loss). Regression metrics read output <paramref name="output"/>;
    /// classification metrics read all outputs (one output: the positive-class probability).
    /// </summary>
    public static double Term(PermutationMetric metric, ReadOnlySpan<float> predictions, int output, float label)
    {
        switch (metric)
        {
            case PermutationMetric.MeanSquaredError:
            case PermutationMetric.R2:
            {
                double e = predictions[output] - (double)label;
                return e * e;
            }
            case PermutationMetric.MeanAbsoluteError:
                return Math.Abs(predictions[output] - (double)label);
            case PermutationMetric.Accuracy:
                return PredictedClass(predictions) == (int)label ? 1 : 0;
            case PermutationMetric.LogLoss:
            {
                int y = (int)label;
                double p = predictions.Length == 1 ? (y == 1 ? predictions[0] : 1 - predictions[0]) : predictions[y];
                return -Math.Log(Math.Clamp(p, ProbabilityFloor, 1 - ProbabilityFloor));
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(metric));
        }
    }

    /// <summary>The exact sum of the terms of rows (rows x outputs predictions, row-major) against their labels.</summary>
    public static ExactSum Sum(PermutationMetric metric, ReadOnlySpan<float> predictions, int outputs, int output, ReadOnlySpan<float> labels)
    {
        // The same terms as Term gives, added through the fast exact accumulator (the same exact total).
        var accumulator = ExactAccumulator.ForThisThread();
        switch (metric)
        {
            case PermutationMetric.MeanSquaredError:
            case PermutationMetric.R2:
                for (int r = 0; r < labels.Length; r++)
                {
                    double e = predictions[r * outputs + output] - (double)labels[r];
                    accumulator.Add(e * e);
                }
                break;
            case PermutationMetric.MeanAbsoluteError:
                for (int r = 0; r < labels.Length; r++) accumulator.Add(Math.Abs(predictions[r * outputs + output] - (double)labels[r]));
                break;
            default:
                for (int r = 0; r < labels.Length; r++) accumulator.Add(Term(metric, predictions.Slice(r * outputs, outputs), output, labels[r]));
                break;
        }
        var sum = new ExactSum();
        accumulator.MoveTo(sum);
        return sum;
    }

    /// <summary>The labels' total sum of squares about their mean (R²'s denominator), from exact sums.</summary>
    public static double TotalSquares(ReadOnlySpan<float> labels)
    {
        var sum = new ExactSum();
        foreach (var label in labels) sum.Add(label);
        double mean = sum.Value / labels.Length;
        var squares = new ExactSum();
        foreach (var label in labels) squares.Add((label - mean) * (label - mean));
        return squares.Value;
    }

    /// <summary>The metric from the sum of its terms over <paramref name="rows"/> rows (and, for R², the labels' total sum of squares).</summary>
    public static double Score(PermutationMetric metric, double termSum, int rows, double totalSquares) => metric switch
    {
        PermutationMetric.R2 => totalSquares == 0 ? (termSum == 0 ? 1 : 0) : 1 - termSum / totalSquares,
        PermutationMetric.MeanSquaredError or PermutationMetric.MeanAbsoluteError or PermutationMetric.Accuracy or PermutationMetric.LogLoss
            => termSum / rows,
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };

    /// <summary>The metric of predictions (rows x outputs, row-major) against labels.</summary>
    public static double Score(PermutationMetric metric, ReadOnlySpan<float> predictions, int outputs, int output, ReadOnlySpan<float> labels)
        => Score(metric, Sum(metric, predictions, outputs, output, labels).Value, labels.Length,
            metric == PermutationMetric.R2 ? TotalSquares(labels) : 0);

    /// <summary>The predicted class: argmax of the outputs, or output &gt;= 0.5 for a single output.</summary>
    public static int PredictedClass(ReadOnlySpan<float> outputs)
    {
        if (outputs.Length == 1) return outputs[0] >= 0.5f ? 1 : 0;
        int best = 0;
        for (int i = 1; i < outputs.Length; i++) if (outputs[i] > outputs[best]) best = i;
        return best;
    }
}
