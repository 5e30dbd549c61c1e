using System.Globalization;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Charts for LIME explanations.</summary>
public static class LimeCharts
{
    /// <summary>
    /// One row's surrogate as horizontal bars: the value (β_j z_j, in output units) of each selected feature, labelled
    /// by its interpretable term ("0.03 &lt; bmi &lt;= 0.06"), largest |value| on top, positive and negative coloured
    /// apart, with error bars of one standard deviation over the stability runs when they were measured. The title
    /// states the surrogate's fidelity (weighted R²), its stability and the local against the model's prediction.
    /// </summary>
    public static GenericChart Bar(LimeExplanation explanation, int row = 0, int target = 0, int maxFeatures = 10)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFeatures, 1);
        if ((uint)row >= (uint)explanation.RowCount) throw new ArgumentOutOfRangeException(nameof(row));
        if ((uint)target >= (uint)explanation.TargetCount) throw new ArgumentOutOfRangeException(nameof(target));
        var selected = explanation.Selected(row, target);
        var order = selected.OrderByDescending(f => Math.Abs(explanation.Value(row, f, target))).ThenBy(f => f)
            .Take(maxFeatures).Reverse().ToArray();
        var labels = order.Select(f => PlotText.Escape(explanation.FeatureDescription(row, f))).ToArray();
        var values = order.Select(f => explanation.Value(row, f, target)).ToArray();
        var positions = Enumerable.Range(0, order.Length).Select(i => (double)i).ToArray();
        bool stability = !explanation.ValueStandardDeviations.IsDefaultOrEmpty;
        var bar = Figure.Trace("bar", ("orientation", "h"), ("name", "LIME value"),
            ("x", values), ("y", positions), ("text", labels), ("textposition", "none"),
            ("error_x", stability ? Figure.Object(("type", "data"), ("array", order.Select(f => explanation.ValueStandardDeviation(row, f, target)).ToArray()), ("visible", true), ("color", "#444")) : null),
            ("marker", Figure.Object(("color", values.Select(v => v >= 0 ? ChartTheme.Positive : ChartTheme.Negative).ToArray()))),
            ("hovertemplate", stability ? "%{text}: %{x:.4g} ± %{error_x.array:.3g}<extra>std over seeds</extra>" : "%{text}: %{x:.4g}<extra></extra>"));
        string stable = double.IsNaN(explanation.StabilityJaccard.IsDefaultOrEmpty ? double.NaN : explanation.StabilityJaccard[row * explanation.TargetCount + target])
            ? "stability not measured"
            : string.Create(CultureInfo.InvariantCulture, $"stability (Jaccard over {explanation.StabilityRuns} seeds) {explanation.StabilityJaccard[row * explanation.TargetCount + target]:F2}");
        string title = string.Create(CultureInfo.InvariantCulture,
            $"LIME, row {row}, {PlotText.Escape(explanation.OutputNames[target])}: fidelity (weighted R²) {explanation.RowFidelity(row, target):F3}, {stable}<br><sub>surrogate {Figure.Number(explanation.LocalPrediction(row, target))} vs model {Figure.Number(explanation.Prediction(row, target))}; intercept {Figure.Number(explanation.Intercept(row, target))}; kernel width {Figure.Number(explanation.KernelWidth)}</sub>");
        var layout = Figure.Layout(
            ("title", Figure.Title(title)),
            ("xaxis", Figure.Axis($"contribution to {PlotText.Escape(explanation.OutputNames[target])} (output units)", ("zeroline", true))),
            ("yaxis", Figure.Axis("", ("tickvals", positions), ("ticktext", labels), ("range", new[] { -0.6, positions.Length - 0.4 }))),
            ("height", 160 + 28 * order.Length),
            ("showlegend", false));
        return Figure.Chart([bar], layout);
    }
}
