using System.Globalization;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Charts for counterfactual explanations.</summary>
public static class CounterfactualCharts
{
    /// <summary>
    /// A table of one row's counterfactuals showing only the features some counterfactual changes: a column for the
    /// original value and one per counterfactual with "original → new" where it changes (blank where it does not),
    /// then the model's prediction and whether the goal is met.
    /// </summary>
    public static GenericChart Table(CounterfactualExplanation explanation, int row = 0)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        if ((uint)row >= (uint)explanation.RowCount) throw new ArgumentOutOfRangeException(nameof(row));
        var set = explanation.Sets[row];
        var changed = ChangedFeatures(set);
        var x = explanation.Data.Row(row).ToArray();
        var columns = new List<string[]>
        {
            changed.Select(f => PlotText.Escape(explanation.FeatureNames[f])).Append("prediction").Append("goal met").ToArray(),
            changed.Select(f => Figure.Number(x[f])).Append(PredictionText(set.OriginalPrediction)).Append("no").ToArray(),
        };
        for (int i = 0; i < set.Count; i++)
        {
            var cf = set.Counterfactuals.Row(i).ToArray();
            var outputs = Enumerable.Range(0, set.OriginalPrediction.Length).Select(o => set.Prediction(i, o)).ToArray();
            columns.Add(changed.Select(f => cf[f] == x[f] ? "" : $"{Figure.Number(x[f])} → {Figure.Number(cf[f])}")
                .Append(PredictionText(outputs)).Append(set.Valid[i] ? "yes" : "no").ToArray());
        }
        var header = new[] { "feature", "original" }.Concat(Enumerable.Range(1, set.Count).Select(i => $"counterfactual {i}")).ToArray();
        var table = Figure.Trace("table",
            ("header", Figure.Object(("values", header), ("align", "left"), ("fill", Figure.Object(("color", "#EEEEEE"))))),
            ("cells", Figure.Object(("values", columns.ToArray()), ("align", "left"))));
        var layout = Figure.Layout(
            ("title", Figure.Title(Title(explanation, set))),
            ("height", 140 + 26 * (changed.Length + 3)));
        return Figure.Chart([table], layout);
    }

    /// <summary>
    /// The changes as grouped horizontal bars: for each changed feature, each counterfactual's change in units of the
    /// feature's scale (training MAD), so features of different units compare; hover gives original → new.
    /// </summary>
    public static GenericChart Changes(CounterfactualExplanation explanation, int row = 0)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        if ((uint)row >= (uint)explanation.RowCount) throw new ArgumentOutOfRangeException(nameof(row));
        var set = explanation.Sets[row];
        var changed = ChangedFeatures(set);
        var x = explanation.Data.Row(row).ToArray();
        var labels = changed.Select(f => PlotText.Escape(explanation.FeatureNames[f])).ToArray();
        var traces = new List<Trace>();
        for (int i = 0; i < set.Count; i++)
        {
            var cf = set.Counterfactuals.Row(i).ToArray();
            traces.Add(Figure.Trace("bar", ("orientation", "h"), ("name", $"counterfactual {i + 1}"),
                ("x", changed.Select(f => (cf[f] - (double)x[f]) / explanation.Scales[f]).ToArray()), ("y", labels),
                ("text", changed.Select(f => cf[f] == x[f] ? "unchanged" : $"{Figure.Number(x[f])} → {Figure.Number(cf[f])}").ToArray()),
                ("textposition", "none"),
                ("marker", Figure.Object(("color", ChartTheme.Palette[i % ChartTheme.Palette.Count]))),
                ("hovertemplate", "%{y}: %{text}<extra>%{fullData.name}</extra>")));
        }
        var layout = Figure.Layout(
            ("title", Figure.Title(Title(explanation, set))),
            ("barmode", "group"),
            ("xaxis", Figure.Axis("change in units of the feature's MAD", ("zeroline", true))),
            ("yaxis", Figure.Axis("", ("type", "category"))),
            ("height", 160 + 24 * Math.Max(1, changed.Length) * Math.Max(1, set.Count) / 2));
        return Figure.Chart(traces, layout);
    }

    private static int[] ChangedFeatures(CounterfactualSet set)
        => set.ChangedFeatures.SelectMany(c => c).Distinct().Order().ToArray();

    private static string PredictionText(IReadOnlyList<double> outputs) => string.Join(", ", outputs.Select(Figure.Number));

    private static string Title(CounterfactualExplanation explanation, CounterfactualSet set) => set.AlreadyMeetsGoal
        ? string.Create(CultureInfo.InvariantCulture,
            $"Row {explanation.SourceRow(set)} already meets the goal ({PlotText.Escape(explanation.Goal.ToString())}): nothing to change")
        : string.Create(CultureInfo.InvariantCulture,
        $"Counterfactuals for row {explanation.SourceRow(set)} ({PlotText.Escape(explanation.Goal.ToString())}): {set.Count} of {explanation.RequestedCount} found<br><sub>validity {set.Validity:F2}, proximity {Figure.Number(set.Proximity)} (MAD-scaled L1 / features), sparsity {Figure.Number(set.Sparsity)}, diversity {Figure.Number(set.Diversity)}</sub>");
}
