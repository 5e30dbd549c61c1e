namespace Interactive.Xai.Tests;

/// <summary>Small models with known answers.</summary>
internal static class TestModels
{
    /// <summary>f(x) = x0 * x1 + 2 x2 - x3^2 + sin(x4) (uses as many features as given, ignores the rest).</summary>
    public static DelegateModel Nonlinear(int features) => DelegateModel.FromRowFunction(features, x =>
    {
        double y = 0;
        if (x.Length > 1) y += x[0] * x[1];
        if (x.Length > 2) y += 2 * x[2];
        if (x.Length > 3) y -= x[3] * x[3];
        if (x.Length > 4) y += Math.Sin(x[4]);
        for (int j = 5; j < x.Length; j++) y += 0.3 * (j % 3 - 1) * x[j] * x[j - 1];
        return (float)y;
    });

    /// <summary>Random data, seeded.</summary>
    public static FeatureTable RandomTable(int rows, int columns, int seed, double scale = 1)
    {
        var random = new Random(seed);
        var values = new float[rows, columns];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) values[r, c] = (float)((random.NextDouble() * 2 - 1) * scale);
        return FeatureTable.FromArray(values);
    }

    /// <summary>Shapley values by brute force over all orderings of the features (an independent oracle).</summary>
    public static double[] ShapleyByPermutations(IModel model, ReadOnlySpan<float> x, WeightedBackground background, int output = 0)
    {
        int m = model.FeatureCount, k = model.OutputCount();
        var xs = x.ToArray();
        double Value(int mask)
        {
            var rows = new float[background.Count * m];
            for (int b = 0; b < background.Count; b++)
                for (int j = 0; j < m; j++)
                    rows[b * m + j] = (mask & (1 << j)) != 0 ? xs[j] : background.Rows[b, j];
            var outputs = new float[background.Count * k];
            model.Predict(rows, background.Count, outputs);
            double v = 0;
            for (int b = 0; b < background.Count; b++) v += background.Weights[b] * outputs[b * k + output];
            return v;
        }
        var phi = new double[m];
        int permutations = 0;
        foreach (var order in Permutations(Enumerable.Range(0, m).ToArray()))
        {
            int mask = 0;
            double previous = Value(0);
            foreach (var j in order)
            {
                mask |= 1 << j;
                double current = Value(mask);
                phi[j] += current - previous;
                previous = current;
            }
            permutations++;
        }
        for (int j = 0; j < m; j++) phi[j] /= permutations;
        return phi;
    }

    private static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1) { yield return items; yield break; }
        for (int i = 0; i < items.Length; i++)
        {
            var rest = items.Where((_, j) => j != i).ToArray();
            foreach (var tail in Permutations(rest)) yield return [items[i], .. tail];
        }
    }
}
