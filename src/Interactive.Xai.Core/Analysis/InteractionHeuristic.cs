namespace Interactive.Xai;

/// <summary>
/// Picks the feature that most plausibly interacts with another in an attribution explanation, the way SHAP's
/// dependence plot chooses its colouring: sort the rows by the feature's value, cut them into bins of about
/// ten rows' worth of spread, and score every other feature by the summed |Pearson correlation| between its values
/// and the feature's attributions inside each bin. Vertical spread in a dependence plot that another feature
/// explains is what an interaction looks like.
/// </summary>
public static class InteractionHeuristic
{
    /// <summary>The index of the other feature with the highest interaction score, or -1 when there is no other feature or too few rows.</summary>
    public static int StrongestInteraction(AttributionExplanation explanation, int feature, int target = 0)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        var scores = InteractionScores(explanation, feature, target);
        int best = -1;
        for (int k = 0; k < scores.Length; k++)
            if (k != feature && scores[k] > 0 && (best < 0 || scores[k] > scores[best])) best = k;
        return best;
    }

    /// <summary>The interaction score of every feature with <paramref name="feature"/> (0 for the feature itself).</summary>
    public static double[] InteractionScores(AttributionExplanation explanation, int feature, int target = 0)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        if ((uint)feature >= (uint)explanation.FeatureCount) throw new ArgumentOutOfRangeException(nameof(feature));
        int rows = explanation.RowCount;
        var scores = new double[explanation.FeatureCount];
        if (rows < 4) return scores;
        var own = explanation.Data.Column(feature);
        var order = Enumerable.Range(0, rows).OrderBy(r => own[r]).ToArray();
        int binSize = Math.Max(rows / 10, 2);
        var attributions = new double[rows];
        for (int i = 0; i < rows; i++) attributions[i] = explanation.Value(order[i], feature, target);
        for (int k = 0; k < explanation.FeatureCount; k++)
        {
            if (k == feature) continue;
            var other = explanation.Data.Column(k);
            double score = 0;
            for (int start = 0; start < rows; start += binSize)
            {
                int count = Math.Min(binSize, rows - start);
                if (count < 2) break;
                var x = new double[count];
                for (int i = 0; i < count; i++) x[i] = other[order[start + i]];
                score += Math.Abs(Correlation(x, attributions.AsSpan(start, count)));
            }
            scores[k] = score;
        }
        return scores;
    }

    private static double Correlation(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double mx = 0, my = 0;
        for (int i = 0; i < x.Length; i++) { mx += x[i]; my += y[i]; }
        mx /= x.Length; my /= y.Length;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
        }
        return sxx <= 0 || syy <= 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }
}
