using System.Globalization;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>
/// The default presentation of any explanation: its quality figures as a table and the charts that suit its type.
/// Used by the command line's reports and by the notebook's formatters, so both show the same thing.
/// </summary>
public static class ExplanationReport
{
    /// <summary>The explanation's facts (method, rows, evaluations, time, quality figures) as label/value pairs.</summary>
    public static IReadOnlyList<(string Label, string Value)> Facts(Explanation explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        var facts = new List<(string, string)>
        {
            ("method", explanation.Method),
            ("outputs", string.Join(", ", explanation.OutputNames)),
            ("model evaluations", explanation.ModelEvaluations.ToString("N0", CultureInfo.InvariantCulture)),
            ("elapsed", string.Create(CultureInfo.InvariantCulture, $"{explanation.Elapsed.TotalSeconds:F3} s")),
        };
        switch (explanation)
        {
            case AttributionExplanation a:
                facts.Insert(1, ("rows x features", $"{a.RowCount} x {a.FeatureCount}"));
                if (ImageAttributionCharts.IsImage(a)) facts.Insert(2, ("input shape", string.Join(" x ", a.InputShape)));
                facts.Add(("base value", string.Join(", ", a.BaseValues.Select(Format))));
                facts.AddRange(QualityFacts(a));
                AddDetails(facts, a.Details);
                break;
            case PermutationImportanceExplanation p:
                facts.Insert(1, ("rows x features", $"{p.RowCount} x {p.FeatureNames.Length}"));
                facts.Add(("metric", PermutationImportanceCharts.MetricName(p.Metric)));
                facts.Add(("baseline score", Format(p.BaselineScore)));
                facts.Add(("repeats", p.Repeats.ToString(CultureInfo.InvariantCulture)));
                break;
            case PartialDependenceExplanation d:
                facts.Insert(1, ("feature", d.Feature));
                facts.Add(("grid points", d.Grid.Length.ToString(CultureInfo.InvariantCulture)));
                facts.Add(("rows", d.RowCount.ToString(CultureInfo.InvariantCulture)));
                break;
            case PartialDependence2DExplanation d2:
                facts.Insert(1, ("features", string.Join(" x ", d2.Features)));
                facts.Add(("grid", $"{d2.GridX.Length} x {d2.GridY.Length}"));
                facts.Add(("rows", d2.RowCount.ToString(CultureInfo.InvariantCulture)));
                break;
            case LimeExplanation lime:
                facts.Insert(1, ("rows x features", $"{lime.RowCount} x {lime.FeatureCount}"));
                facts.Add(("mean fidelity (weighted R²)", lime.MeanFidelity.ToString("G4", CultureInfo.InvariantCulture)));
                facts.Add(("lowest fidelity", lime.Fidelity.Min().ToString("G4", CultureInfo.InvariantCulture)));
                if (!lime.StabilityJaccard.IsDefaultOrEmpty)
                {
                    facts.Add(("stability: mean Jaccard of the selected features over seeds", lime.MeanStabilityJaccard.ToString("G4", CultureInfo.InvariantCulture)));
                    facts.Add(("stability: mean std of values over seeds", lime.ValueStandardDeviations.Average().ToString("G4", CultureInfo.InvariantCulture)));
                }
                if (FidelityWarning(lime) is { } warning) facts.Add(("warning", warning));
                AddDetails(facts, lime.Details);
                break;
            case CounterfactualExplanation cf:
                facts.Insert(1, ("rows x features", $"{cf.RowCount} x {cf.FeatureNames.Length}"));
                facts.Add(("counterfactuals per row", cf.RequestedCount.ToString(CultureInfo.InvariantCulture)));
                facts.Add(("mean validity", cf.MeanValidity.ToString("G4", CultureInfo.InvariantCulture)));
                facts.Add(("mean proximity (scaled L1 / features)", cf.Sets.Select(s => s.Proximity).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average().ToString("G4", CultureInfo.InvariantCulture)));
                facts.Add(("mean sparsity", cf.Sets.Select(s => s.Sparsity).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average().ToString("G4", CultureInfo.InvariantCulture)));
                facts.Add(("mean diversity", cf.Sets.Average(s => s.Diversity).ToString("G4", CultureInfo.InvariantCulture)));
                AddDetails(facts, cf.Details);
                break;
            case CorrelationMatrix matrix:
                facts.Insert(1, ("rows x features", $"{matrix.RowCount} x {matrix.FeatureCount}"));
                facts.Add(("coefficient", matrix.Correlation.ToString()));
                break;
            case FeatureEliminationResult rfe:
                facts.Insert(1, ("features", rfe.FeatureNames.Length.ToString(CultureInfo.InvariantCulture)));
                facts.Add(("selected", string.Join(", ", rfe.SelectedNames)));
                facts.Add(("folds", rfe.Folds.ToString(CultureInfo.InvariantCulture)));
                facts.Add(("step", rfe.Step.ToString(CultureInfo.InvariantCulture)));
                break;
            case AccumulatedLocalEffectsExplanation l:
                facts.Insert(1, ("feature", l.Feature));
                facts.Add(("bins", (l.Edges.Length - 1).ToString(CultureInfo.InvariantCulture)));
                facts.Add(("rows", l.BinCounts.Sum().ToString(CultureInfo.InvariantCulture)));
                break;
        }
        return facts;
    }

    /// <summary>LIME fidelity (weighted R²) below which a report warns that the surrogates explain little of the model.</summary>
    public const double LowFidelity = 0.5;

    /// <summary>A warning when LIME's mean fidelity is below <see cref="LowFidelity"/>, else null.</summary>
    public static string? FidelityWarning(LimeExplanation lime)
    {
        ArgumentNullException.ThrowIfNull(lime);
        double fidelity = lime.MeanFidelity;
        return fidelity >= LowFidelity ? null : string.Create(CultureInfo.InvariantCulture,
            $"low fidelity: the local linear surrogates explain on average {Math.Max(fidelity, 0) * 100:F0}% of the model's variation around these rows (weighted R² {fidelity:G3}); their weights describe the model only loosely here, so read them with caution");
    }

    /// <summary>
    /// The quality figure that means something for the attribution method, as label/value pairs with what it measures:
    /// the additivity error for Shapley methods (values add up to f(x) - base by construction), the convergence delta
    /// for Integrated Gradients, standard errors for sampled methods; for methods whose values are not meant to add up
    /// to the prediction (saliency, SmoothGrad, Grad-CAM, occlusion with overlapping patches) a line saying so instead
    /// of an "error" that would only alarm.
    /// </summary>
    public static IReadOnlyList<(string Label, string Value)> QualityFacts(AttributionExplanation a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var facts = new List<(string, string)>();
        string G3(double v) => v.ToString("G3", CultureInfo.InvariantCulture);
        switch (a.Method)
        {
            case "exact-shap" or "kernel-shap" or "tree-shap" or "shap":
                facts.Add(("additivity error (max |sum of values + base - f(x)|; Shapley values add up to f(x) - base, so this should be ~0)", G3(a.AdditivityError)));
                break;
            case "ig":
                facts.Add(("largest |convergence delta| (sum of attributions - (f(x) - f(baseline)); the path integral's numerical error, smaller with more steps)",
                    G3(a.ConvergenceDeltas.IsDefaultOrEmpty ? a.AdditivityError : a.ConvergenceDeltas.Max(Math.Abs))));
                break;
            case "saliency" or "smoothgrad":
                facts.Add(("quality figure", "none: gradients show local sensitivity and are not meant to add up to the prediction"));
                break;
            case "grad-cam":
                facts.Add(("quality figure", "none: a class-activation map shows where the layer's evidence lies, in relative units; it does not add up to the prediction"));
                break;
            case "occlusion":
                facts.Add(("quality figure", "none: overlapping patches count each pixel several times, so the map need not add up to f(x) - f(baseline)"));
                break;
            default:
                facts.Add(("additivity error (max |sum of values + base - f(x)|)", G3(a.AdditivityError)));
                break;
        }
        if (!a.StandardErrors.IsDefaultOrEmpty)
            facts.Add(("largest standard error (of the sampled values)", G3(a.StandardErrors.Max())));
        return facts;
    }

    /// <summary>The headline quality figure of any explanation for a summary table ("" when it has none).</summary>
    public static string QualitySummary(Explanation explanation) => explanation switch
    {
        AttributionExplanation { Method: "exact-shap" or "kernel-shap" or "tree-shap" or "shap" } a => "additivity error " + a.AdditivityError.ToString("G3", CultureInfo.InvariantCulture),
        AttributionExplanation { Method: "ig" } a => "largest |convergence delta| " + (a.ConvergenceDeltas.IsDefaultOrEmpty ? a.AdditivityError : a.ConvergenceDeltas.Max(Math.Abs)).ToString("G3", CultureInfo.InvariantCulture),
        LimeExplanation lime => "mean fidelity (weighted R²) " + lime.MeanFidelity.ToString("G3", CultureInfo.InvariantCulture) + (lime.MeanFidelity < LowFidelity ? " (low)" : ""),
        CounterfactualExplanation cf => "mean validity " + cf.MeanValidity.ToString("G3", CultureInfo.InvariantCulture),
        _ => "",
    };

    /// <summary>Method details as readable rows: camelCase keys as words, empty values left out.</summary>
    private static void AddDetails(List<(string, string)> facts, IEnumerable<KeyValuePair<string, string>> details)
    {
        foreach (var (key, value) in details.OrderBy(d => d.Key, StringComparer.Ordinal))
            if (!string.IsNullOrWhiteSpace(value)) facts.Add((ReadableKey(key), value));
    }

    /// <summary>A detail key as words: "backgroundRows" → "background rows", "postHocSparsity" → "post-hoc sparsity".</summary>
    public static string ReadableKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var words = new System.Text.StringBuilder();
        for (int i = 0; i < key.Length; i++)
        {
            char c = key[i];
            bool boundary = i > 0 && char.IsUpper(c) && (char.IsLower(key[i - 1]) || (i + 1 < key.Length && char.IsLower(key[i + 1]) && char.IsUpper(key[i - 1])));
            if (boundary) words.Append(' ');
            words.Append(boundary || (i == 0 && i + 1 < key.Length && char.IsLower(key[i + 1])) ? char.ToLowerInvariant(c) : c);
        }
        return words.ToString().Replace('_', ' ').Replace("post hoc", "post-hoc", StringComparison.Ordinal);
    }

    /// <summary>
    /// The charts that suit the explanation (for tabular attributions: importance, beeswarm, first row's waterfall, top
    /// feature's dependence, heatmap; for image attributions see <see cref="ImageAttributionCharts"/>; for LIME and
    /// counterfactuals: the first five rows' charts).
    /// </summary>
    public static IReadOnlyList<GenericChart> Charts(Explanation explanation)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        return explanation switch
        {
            AttributionExplanation a when ImageAttributionCharts.IsImage(a) => ImageCharts(a),
            AttributionExplanation a =>
            [
                AttributionCharts.Importance(a), AttributionCharts.Beeswarm(a), AttributionCharts.Waterfall(a, 0),
                AttributionCharts.Dependence(a, a.FeatureNames[TopFeature(a)]), AttributionCharts.Heatmap(a),
            ],
            PermutationImportanceExplanation p => [PermutationImportanceCharts.Bar(p)],
            PartialDependenceExplanation d => [PartialDependenceCharts.Line(d)],
            PartialDependence2DExplanation d2 => [PartialDependenceCharts.Surface(d2)],
            AccumulatedLocalEffectsExplanation l => [AccumulatedLocalEffectsCharts.Line(l)],
            LimeExplanation lime => Enumerable.Range(0, Math.Min(lime.RowCount, 5)).Select(r => LimeCharts.Bar(lime, r)).ToArray(),
            CounterfactualExplanation cf => Enumerable.Range(0, Math.Min(cf.RowCount, 5))
                .SelectMany(r => new[] { CounterfactualCharts.Table(cf, r), CounterfactualCharts.Changes(cf, r) }).ToArray(),
            CorrelationMatrix matrix => [FeatureSelectionCharts.CorrelationHeatmap(matrix)],
            FeatureEliminationResult rfe => [FeatureSelectionCharts.EliminationCurve(rfe)],
            _ => [],
        };
    }

    /// <summary>Adds a section for the explanation: heading, facts table and charts (attributions as a linked view).</summary>
    public static HtmlReport AddExplanation(this HtmlReport report, Explanation explanation, string? heading = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(explanation);
        report.AddHeading(heading ?? Heading(explanation));
        report.AddTable([], Facts(explanation).Select(f => (IReadOnlyList<string>)[f.Label, f.Value]));
        if (explanation is AttributionExplanation image && ImageAttributionCharts.IsImage(image))
        {
            foreach (var chart in ImageCharts(image)) report.AddChart(chart);
        }
        else if (explanation is AttributionExplanation a)
        {
            report.AddChart(AttributionCharts.Importance(a));
            report.AddLinkedAttribution(a);
            report.AddChart(AttributionCharts.Dependence(a, a.FeatureNames[TopFeature(a)]));
        }
        else
        {
            foreach (var chart in Charts(explanation)) report.AddChart(chart);
        }
        return report;
    }

    /// <summary>
    /// The charts of an image attribution: a grid of overlays (for one output, or for several outputs the first row
    /// explained for each output and then the grid for the first output), the first row's overlay and the mean
    /// |attribution| map.
    /// </summary>
    private static GenericChart[] ImageCharts(AttributionExplanation a) => a.TargetCount > 1
        ? [ImageAttributionCharts.Targets(a, 0), ImageAttributionCharts.Grid(a), ImageAttributionCharts.MeanAbsoluteMap(a)]
        : [ImageAttributionCharts.Grid(a), ImageAttributionCharts.Overlay(a, 0), ImageAttributionCharts.MeanAbsoluteMap(a)];

    /// <summary>A heading naming the method and what it explains.</summary>
    public static string Heading(Explanation explanation) => explanation switch
    {
        AttributionExplanation => $"{MethodTitle(explanation.Method)}: attributions",
        PermutationImportanceExplanation => "Permutation importance",
        PartialDependenceExplanation d => $"Partial dependence on {d.Feature}",
        PartialDependence2DExplanation d2 => $"Partial dependence on {d2.Features[0]} and {d2.Features[1]}",
        AccumulatedLocalEffectsExplanation l => $"Accumulated local effects of {l.Feature}",
        LimeExplanation => "LIME: local surrogate models",
        CounterfactualExplanation cf => $"Counterfactuals ({cf.Goal})",
        CorrelationMatrix m => $"{m.Correlation} correlation",
        FeatureEliminationResult r => r.Folds > 0 ? "Recursive feature elimination with cross-validation" : "Recursive feature elimination",
        _ => explanation.Method,
    };

    /// <summary>The method's name as a section title: "ig" → "Integrated Gradients", unknown names capitalised.</summary>
    public static string MethodTitle(string method) => method switch
    {
        "exact-shap" => "Exact Shapley values",
        "kernel-shap" => "Kernel SHAP",
        "tree-shap" => "Tree SHAP",
        "occlusion" => "Occlusion",
        "saliency" => "Saliency",
        "smoothgrad" => "SmoothGrad",
        "ig" => "Integrated Gradients",
        "grad-cam" => "Grad-CAM",
        "lime" => "LIME",
        "lime-image" => "LIME (image)",
        "" => method,
        _ => char.ToUpperInvariant(method[0]) + method[1..],
    };

    private static int TopFeature(AttributionExplanation a)
    {
        var means = a.MeanAbsoluteValues(0);
        int best = 0;
        for (int f = 1; f < means.Length; f++) if (means[f] > means[best]) best = f;
        return best;
    }

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
