namespace Interactive.Xai.Numerics;

/// <summary>Binomial coefficients and Shapley weights.</summary>
internal static class Combinatorics
{
    /// <summary>n choose k as a double (exact for the sizes used here).</summary>
    public static double Binomial(int n, int k)
    {
        if (k < 0 || k > n) return 0;
        k = Math.Min(k, n - k);
        double result = 1;
        for (int i = 1; i <= k; i++) result = result * (n - k + i) / i;
        return Math.Round(result);
    }

    /// <summary>The Shapley weight of a coalition of size s that excludes feature i: s!(m-s-1)!/m!, for s = 0..m-1.</summary>
    public static double[] ShapleyWeights(int m)
    {
        var w = new double[m];
        for (int s = 0; s < m; s++) w[s] = 1.0 / (m * Binomial(m - 1, s));
        return w;
    }
}
