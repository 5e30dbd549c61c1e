using System.Globalization;

namespace Interactive.Xai.Cli;

/// <summary>
/// Limits checked before any computation, so that a mistyped number fails at once with one line instead of
/// running for minutes into an out-of-memory error: <c>--samples</c> at most <see cref="MaxSamples"/>, and the
/// model evaluations a run needs (estimated from rows, samples, background rows, grid points, ...) at most
/// <c>--max-evaluations</c> (default <see cref="DefaultMaxEvaluations"/>).
/// </summary>
internal static class RunLimits
{
    /// <summary>The largest --samples accepted (1,000,000).</summary>
    public const int MaxSamples = 1_000_000;

    /// <summary>The default --max-evaluations (10,000,000,000: about 3 to 30 minutes for a small model on 2 cores).</summary>
    public const long DefaultMaxEvaluations = 10_000_000_000;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Refuses --samples above <see cref="MaxSamples"/>.</summary>
    public static void CheckSamples(int? samples)
    {
        if (samples is > MaxSamples)
            throw new XaiException(string.Create(Inv,
                $"--samples {samples}: the limit is {MaxSamples:N0} samples per row; fewer samples (the default is usually enough) or fewer rows"));
    }

    /// <summary>
    /// The model evaluations a run needs (an upper estimate) and how that number is made up; null for methods that
    /// call no model per sample (tree-shap).
    /// </summary>
    public static (double Evaluations, string Formula)? Estimate(ExplainRequest request, long rows, int features, long backgroundRows)
    {
        double n = rows;
        switch (request.Method)
        {
            case "exact-shap" when features > 24:
                return null; // the explainer refuses this many features itself, pointing to kernel-shap
            case "exact-shap":
            {
                double coalitions = Math.Pow(2, features) - 2;
                return (n * backgroundRows * Math.Max(coalitions, 1), string.Create(Inv,
                    $"{rows:N0} rows x {backgroundRows:N0} background rows x (2^{features} - 2) coalitions"));
            }
            case "kernel-shap":
            {
                double samples = request.Samples ?? 2.0 * features + 2048;
                samples = Math.Min(samples, Math.Max(Math.Pow(2, features) - 2, 1));
                return (n * backgroundRows * samples, string.Create(Inv,
                    $"{rows:N0} rows x {backgroundRows:N0} background rows x {samples:N0} coalitions"));
            }
            case "lime":
            {
                double samples = request.Samples ?? 5000;
                return (n * samples * 3, string.Create(Inv, $"{rows:N0} rows x {samples:N0} samples x 3 stability runs"));
            }
            case "smoothgrad":
            {
                double samples = request.Samples ?? 50;
                return (n * samples, string.Create(Inv, $"{rows:N0} rows x {samples:N0} noisy samples"));
            }
            case "ig":
                return (n * (request.Steps + 1.0), string.Create(Inv, $"{rows:N0} rows x {request.Steps + 1:N0} path points"));
            case "permutation-importance":
                return (n * (features * (double)Math.Max(request.Repeats, 1) + 1), string.Create(Inv,
                    $"{rows:N0} rows x {features:N0} features x {request.Repeats:N0} repeats"));
            case "pdp" or "ice":
            {
                double grid = request.Grid is not null ? request.Grid.Count(c => c == ',') + 1.0 : request.GridPoints;
                bool twoFeatures = request.Feature?.Contains(',', StringComparison.Ordinal) == true && request.Method == "pdp";
                double cells = twoFeatures ? grid * grid : grid;
                string formula = twoFeatures
                    ? string.Create(Inv, $"{rows:N0} rows x {grid:N0} x {grid:N0} grid points")
                    : string.Create(Inv, $"{rows:N0} rows x {grid:N0} grid points");
                return (n * cells, formula);
            }
            case "ale":
                return (2 * n, string.Create(Inv, $"{rows:N0} rows x 2 bin edges"));
            case "occlusion" or "saliency" or "grad-cam":
                return (n * Math.Max(features, 1), string.Create(Inv, $"{rows:N0} rows x up to {features:N0} patches"));
            default:
                return null;
        }
    }

    /// <summary>Refuses a run whose estimated model evaluations exceed <paramref name="maxEvaluations"/>.</summary>
    public static void CheckEvaluations(ExplainRequest request, long rows, int features, long backgroundRows, long maxEvaluations, string? methodName = null)
    {
        if (Estimate(request, rows, features, backgroundRows) is not var (evaluations, formula) || evaluations <= maxEvaluations) return;
        string amount = evaluations < 1e15 ? evaluations.ToString("N0", Inv) : evaluations.ToString("E2", Inv);
        string limit = maxEvaluations.ToString("N0", Inv);
        throw new XaiException($"{methodName ?? request.Method} would need about {amount} model evaluations ({formula}), more than --max-evaluations {limit}; "
            + "explain fewer rows (--rows), use fewer --samples or a smaller --background-size, or raise --max-evaluations");
    }
}
