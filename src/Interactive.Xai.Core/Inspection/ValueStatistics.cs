namespace Interactive.Xai.Inspection;

/// <summary>Summary statistics of a set of values (a weight tensor, a layer's activations or gradients).</summary>
/// <param name="Count">The number of values.</param>
/// <param name="Mean">The mean.</param>
/// <param name="StandardDeviation">The population standard deviation.</param>
/// <param name="Min">The smallest value.</param>
/// <param name="Max">The largest value.</param>
/// <param name="MeanAbsolute">The mean of the absolute values.</param>
/// <param name="MaxAbsolute">The largest absolute value.</param>
/// <param name="Norm">The L2 norm (square root of the sum of squares).</param>
/// <param name="ZeroFraction">The fraction of values that are exactly zero.</param>
public sealed record ValueStatistics(long Count, double Mean, double StandardDeviation, double Min, double Max,
    double MeanAbsolute, double MaxAbsolute, double Norm, double ZeroFraction)
{
    /// <summary>Statistics of no values: every figure NaN except the count and the norm.</summary>
    public static ValueStatistics Empty { get; } = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0, double.NaN);

    /// <summary>Computes the statistics in double precision.</summary>
    public static ValueStatistics Of(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) return Empty;
        double sum = 0, abs = 0, squares = 0, min = double.PositiveInfinity, max = double.NegativeInfinity, maxAbs = 0;
        long zeros = 0;
        foreach (float f in values)
        {
            double v = f;
            sum += v;
            abs += Math.Abs(v);
            squares += v * v;
            if (v < min) min = v;
            if (v > max) max = v;
            if (Math.Abs(v) > maxAbs || double.IsNaN(v)) maxAbs = Math.Abs(v);
            if (v == 0) zeros++;
        }
        double mean = sum / values.Length, deviation = 0;
        foreach (float f in values) deviation += (f - mean) * (f - mean);
        return new ValueStatistics(values.Length, mean, Math.Sqrt(deviation / values.Length), min, max,
            abs / values.Length, maxAbs, Math.Sqrt(squares), (double)zeros / values.Length);
    }
}
