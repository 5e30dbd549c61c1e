namespace Interactive.Xai.Numerics;

/// <summary>Small dense linear algebra in double precision, row-major.</summary>
internal static class LinearAlgebra
{
    /// <summary>
    /// The inverse of the n x n matrix <paramref name="a"/> by Gauss-Jordan elimination with partial pivoting.
    /// A singular matrix is regularised with a tiny ridge (1e-10 of its mean diagonal) and tried again.
    /// </summary>
    public static double[] Inverse(double[] a, int n)
    {
        var result = TryInverse(a, n);
        if (result is not null) return result;
        double trace = 0;
        for (int i = 0; i < n; i++) trace += Math.Abs(a[i * n + i]);
        double ridge = Math.Max(trace / Math.Max(n, 1), 1) * 1e-10;
        var ridged = (double[])a.Clone();
        for (int i = 0; i < n; i++) ridged[i * n + i] += ridge;
        return TryInverse(ridged, n) ?? throw new InvalidOperationException("matrix is singular");
    }

    private static double[]? TryInverse(double[] source, int n)
    {
        var a = (double[])source.Clone();
        var inv = new double[n * n];
        for (int i = 0; i < n; i++) inv[i * n + i] = 1;
        double scale = 0;
        foreach (var v in a) scale = Math.Max(scale, Math.Abs(v));
        if (scale == 0) return n == 0 ? inv : null;
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++)
                if (Math.Abs(a[r * n + col]) > Math.Abs(a[pivot * n + col])) pivot = r;
            if (Math.Abs(a[pivot * n + col]) <= scale * 1e-13) return null;
            if (pivot != col) { SwapRows(a, n, pivot, col); SwapRows(inv, n, pivot, col); }
            double d = a[col * n + col];
            for (int k = 0; k < n; k++) { a[col * n + k] /= d; inv[col * n + k] /= d; }
            for (int r = 0; r < n; r++)
            {
                if (r == col) continue;
                double f = a[r * n + col];
                if (f == 0) continue;
                for (int k = 0; k < n; k++) { a[r * n + k] -= f * a[col * n + k]; inv[r * n + k] -= f * inv[col * n + k]; }
            }
        }
        return inv;
    }

    private static void SwapRows(double[] m, int n, int i, int j)
    {
        for (int k = 0; k < n; k++) (m[i * n + k], m[j * n + k]) = (m[j * n + k], m[i * n + k]);
    }
}
