namespace Interactive.Xai.Numerics;

/// <summary>
/// The weighted, centred sufficient statistics of a linear regression of one or more responses on p features, and
/// the fits LIME needs on them: ridge on any feature subset (intercept not penalised, as scikit-learn's Ridge with
/// sample weights), weighted R², forward selection, highest weights and a Lasso path by coordinate descent.
/// Everything works on the p x p Gram matrix, so a fit on a subset costs O(|S|³) whatever the sample count.
/// </summary>
internal sealed class WeightedRegression
{
    private readonly double[] _gram;      // p x p: sum w (x_j - m_j)(x_k - m_k)
    private readonly double[][] _cross;   // per response, p: sum w (x_j - m_j)(y - m_y)
    private readonly double[] _total;     // per response: sum w (y - m_y)^2
    private readonly double[] _meanX;
    private readonly double[] _meanY;

    private WeightedRegression(int p, double[] gram, double[][] cross, double[] total, double[] meanX, double[] meanY, double sumWeights)
    {
        FeatureCount = p;
        _gram = gram;
        _cross = cross;
        _total = total;
        _meanX = meanX;
        _meanY = meanY;
        SumOfWeights = sumWeights;
    }

    /// <summary>The number of features.</summary>
    public int FeatureCount { get; }

    /// <summary>The sum of the sample weights.</summary>
    public double SumOfWeights { get; }

    /// <summary>The number of responses.</summary>
    public int ResponseCount => _cross.Length;

    /// <summary>
    /// Builds the statistics from <paramref name="n"/> samples: <paramref name="x"/> is n x p row-major,
    /// <paramref name="y"/> is n x responses row-major, <paramref name="weights"/> has n non-negative values.
    /// </summary>
    public static WeightedRegression Create(ReadOnlySpan<double> x, int n, int p, ReadOnlySpan<double> y, int responses, ReadOnlySpan<double> weights)
    {
        double sw = 0;
        var meanX = new double[p];
        var meanY = new double[responses];
        for (int i = 0; i < n; i++)
        {
            double w = weights[i];
            if (w == 0) continue;
            sw += w;
            var row = x.Slice(i * p, p);
            for (int j = 0; j < p; j++) meanX[j] += w * row[j];
            for (int t = 0; t < responses; t++) meanY[t] += w * y[i * responses + t];
        }
        if (sw <= 0) throw new XaiException("every sample has zero weight; widen the kernel");
        for (int j = 0; j < p; j++) meanX[j] /= sw;
        for (int t = 0; t < responses; t++) meanY[t] /= sw;
        var gram = new double[p * p];
        var cross = new double[responses][];
        for (int t = 0; t < responses; t++) cross[t] = new double[p];
        var total = new double[responses];
        var centred = new double[p];
        for (int i = 0; i < n; i++)
        {
            double w = weights[i];
            if (w == 0) continue;
            for (int j = 0; j < p; j++) centred[j] = x[i * p + j] - meanX[j];
            for (int j = 0; j < p; j++)
            {
                double wj = w * centred[j];
                if (wj == 0) continue;
                int offset = j * p;
                for (int k = j; k < p; k++) gram[offset + k] += wj * centred[k];
            }
            for (int t = 0; t < responses; t++)
            {
                double dy = y[i * responses + t] - meanY[t];
                total[t] += w * dy * dy;
                var c = cross[t];
                for (int j = 0; j < p; j++) c[j] += w * centred[j] * dy;
            }
        }
        for (int j = 0; j < p; j++)
            for (int k = 0; k < j; k++) gram[j * p + k] = gram[k * p + j];
        return new WeightedRegression(p, gram, cross, total, meanX, meanY, sw);
    }

    /// <summary>A weighted ridge fit of response <paramref name="response"/> on <paramref name="subset"/>.</summary>
    public RegressionFit Fit(IReadOnlyList<int> subset, int response, double ridge)
    {
        int s = subset.Count;
        var coefficients = new double[FeatureCount];
        double intercept = _meanY[response];
        if (s == 0) return new RegressionFit(coefficients, intercept, RSquared(_total[response], _total[response]));
        var a = new double[s * s];
        var b = new double[s];
        for (int i = 0; i < s; i++)
        {
            for (int j = 0; j < s; j++) a[i * s + j] = _gram[subset[i] * FeatureCount + subset[j]];
            a[i * s + i] += ridge;
            b[i] = _cross[response][subset[i]];
        }
        var inverse = LinearAlgebra.Inverse(a, s);
        var beta = new double[s];
        for (int i = 0; i < s; i++)
        {
            double v = 0;
            for (int j = 0; j < s; j++) v += inverse[i * s + j] * b[j];
            beta[i] = v;
        }
        // Weighted residual sum of squares from the Gram form: Syy - 2 b'c + b'Gb.
        double rss = _total[response];
        for (int i = 0; i < s; i++)
        {
            rss -= 2 * beta[i] * b[i];
            double g = 0;
            for (int j = 0; j < s; j++) g += _gram[subset[i] * FeatureCount + subset[j]] * beta[j];
            rss += beta[i] * g;
        }
        for (int i = 0; i < s; i++)
        {
            coefficients[subset[i]] = beta[i];
            intercept -= beta[i] * _meanX[subset[i]];
        }
        return new RegressionFit(coefficients, intercept, RSquared(Math.Max(rss, 0), _total[response]));
    }

    private static double RSquared(double rss, double total)
    {
        if (total <= 1e-300) return rss <= 1e-12 ? 1 : 0;
        return 1 - rss / total;
    }

    /// <summary>The ridge penalty of the lime package's highest-weights selection (Ridge(alpha=0.01)).</summary>
    public const double HighestWeightsRidge = 0.01;

    /// <summary>
    /// Greedy forward selection of <paramref name="k"/> features by the weighted R² of an unpenalised least-squares fit
    /// (the lime package's forward_selection fits Ridge(alpha=0)); ties keep the lower index.
    /// </summary>
    public int[] ForwardSelection(int k, int response)
    {
        var chosen = new List<int>(k);
        var remaining = Enumerable.Range(0, FeatureCount).ToList();
        while (chosen.Count < k && remaining.Count > 0)
        {
            int best = -1;
            double bestScore = double.NegativeInfinity;
            foreach (int j in remaining)
            {
                chosen.Add(j);
                double score = Fit(chosen, response, 0).RSquared;
                chosen.RemoveAt(chosen.Count - 1);
                if (score > bestScore + 1e-12) { bestScore = score; best = j; }
            }
            chosen.Add(best);
            remaining.Remove(best);
        }
        return chosen.Order().ToArray();
    }

    /// <summary>
    /// The lime package's highest_weights: the <paramref name="k"/> features with the largest |β_j x z0_j|, β from a
    /// ridge fit with penalty 0.01 on all features and z0 the explained instance's own representation (the first
    /// sample, lime's data[0]); ties keep the lower index.
    /// </summary>
    public int[] HighestWeights(int k, int response, ReadOnlySpan<double> instance)
    {
        if (instance.Length != FeatureCount) throw new ArgumentException("the instance must have one value per feature", nameof(instance));
        var fit = Fit(Enumerable.Range(0, FeatureCount).ToArray(), response, HighestWeightsRidge);
        var score = new double[FeatureCount];
        for (int j = 0; j < FeatureCount; j++) score[j] = Math.Abs(fit.Coefficients[j] * instance[j]);
        return Enumerable.Range(0, FeatureCount)
            .OrderByDescending(j => score[j])
            .ThenBy(j => j)
            .Take(k).Order().ToArray();
    }

    /// <summary>
    /// The Lasso path: coordinate descent on (1/2) Σ w (y - Xβ)² / Σw + λ‖β‖₁ over a geometric grid of 100 λ from
    /// the smallest that zeroes every coefficient down to 1e-4 of it, warm-started; returns the features that are
    /// non-zero at the last λ where at most <paramref name="k"/> are (as the lime package reads lars_path).
    /// </summary>
    public int[] LassoPath(int k, int response)
    {
        int p = FeatureCount;
        var c = _cross[response];
        double lambdaMax = 0;
        for (int j = 0; j < p; j++) lambdaMax = Math.Max(lambdaMax, Math.Abs(c[j]) / SumOfWeights);
        if (lambdaMax == 0) return [];
        var beta = new double[p];
        int[] selected = [];
        const int steps = 100;
        for (int step = 1; step <= steps; step++)
        {
            double lambda = lambdaMax * Math.Pow(1e-4, step / (double)(steps - 1));
            CoordinateDescent(beta, lambda, response, lambdaMax);
            var nonZero = Enumerable.Range(0, p).Where(j => beta[j] != 0).ToArray();
            if (nonZero.Length > k) break;
            selected = nonZero;
        }
        return selected;
    }

    /// <summary>The Lasso coefficients at one penalty <paramref name="lambda"/> (same objective as <see cref="LassoPath"/>), from zero.</summary>
    public double[] Lasso(double lambda, int response)
    {
        var beta = new double[FeatureCount];
        double lambdaMax = 0;
        foreach (var v in _cross[response]) lambdaMax = Math.Max(lambdaMax, Math.Abs(v) / SumOfWeights);
        if (lambdaMax > 0) CoordinateDescent(beta, lambda, response, lambdaMax);
        return beta;
    }

    private void CoordinateDescent(double[] beta, double lambda, int response, double lambdaMax)
    {
        int p = FeatureCount;
        var c = _cross[response];
        for (int sweep = 0; sweep < 1000; sweep++)
        {
            double change = 0;
            for (int j = 0; j < p; j++)
            {
                double gjj = _gram[j * p + j] / SumOfWeights;
                if (gjj <= 0) continue;
                double rho = c[j] / SumOfWeights;
                for (int l = 0; l < p; l++)
                    if (l != j) rho -= _gram[j * p + l] / SumOfWeights * beta[l];
                double updated = Math.Sign(rho) * Math.Max(Math.Abs(rho) - lambda, 0) / gjj;
                change = Math.Max(change, Math.Abs(updated - beta[j]) * Math.Sqrt(gjj));
                beta[j] = updated;
            }
            if (change < 1e-9 * Math.Max(lambdaMax, 1e-300)) break;
        }
    }
}

/// <summary>A fitted linear model: coefficients (zero outside the subset), intercept and weighted R².</summary>
internal readonly record struct RegressionFit(double[] Coefficients, double Intercept, double RSquared);
