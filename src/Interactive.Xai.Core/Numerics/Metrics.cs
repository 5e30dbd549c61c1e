namespace Interactive.Xai.Numerics;

/// <summary>The metrics permutation importance scores with, in double precision.</summary>
internal static class Metrics
{
    private const double ProbabilityFloor = 1e-15;

    /// <summary>True when a larger value is better (scores); false for losses.</summary>
    public static bool HigherIsBetter(PermutationMetric metric) => metric is PermutationMetric.R2 or PermutationMetric.Accuracy;

    /// <summary>
    /// The metric of predictions (rows x outputs, row-major) against labels. Regression metrics read output
    /// <paramref name="output"/>; classification metrics read all outputs (one output: the positive-class probability).
    /// </summary>
    public static double Score(PermutationMetric metric, ReadOnlySpan<float> predictions, int outputs, int output, ReadOnlySpan<float> labels)
    {
        int n = labels.Length;
        switch (metric)
        {
            case PermutationMetric.MeanSquaredError:
            {
                double sum = 0;
                for (int r = 0; r < n; r++) { double e = predictions[r * outputs + output] - (double)labels[r]; sum += e * e; }
                return sum / n;
            }
            case PermutationMetric.MeanAbsoluteError:
            {
                double sum = 0;
                for (int r = 0; r < n; r++) sum += Math.Abs(predictions[r * outputs + output] - (double)labels[r]);
                return sum / n;
            }
            case PermutationMetric.R2:
            {
                double mean = 0;
                for (int r = 0; r < n; r++) mean += labels[r];
                mean /= n;
                double residual = 0, totalSquares = 0;
                for (int r = 0; r < n; r++)
                {
                    double e = predictions[r * outputs + output] - (double)labels[r];
                    residual += e * e;
                    totalSquares += (labels[r] - mean) * (labels[r] - mean);
                }
                return totalSquares == 0 ? (residual == 0 ? 1 : 0) : 1 - residual / totalSquares;
            }
            case PermutationMetric.Accuracy:
            {
                int correct = 0;
                for (int r = 0; r < n; r++) if (PredictedClass(predictions.Slice(r * outputs, outputs)) == (int)labels[r]) correct++;
                return (double)correct / n;
            }
            case PermutationMetric.LogLoss:
            {
                double sum = 0;
                for (int r = 0; r < n; r++)
                {
                    int label = (int)labels[r];
                    double p = outputs == 1
                        ? (label == 1 ? predictions[r] : 1 - predictions[r])
                        : predictions[r * outputs + label];
                    sum -= Math.Log(Math.Clamp(p, ProbabilityFloor, 1 - ProbabilityFloor));
                }
                return sum / n;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(metric));
        }
    }

    /// <summary>The predicted class: argmax of the outputs, or output &gt;= 0.5 for a single output.</summary>
    public static int PredictedClass(ReadOnlySpan<float> outputs)
    {
        if (outputs.Length == 1) return outputs[0] >= 0.5f ? 1 : 0;
        int best = 0;
        for (int i = 1; i < outputs.Length; i++) if (outputs[i] > outputs[best]) best = i;
        return best;
    }
}
