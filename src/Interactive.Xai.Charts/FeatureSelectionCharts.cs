using System.Globalization;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Charts for feature selection: correlation heatmaps and recursive feature elimination curves.</summary>
public static class FeatureSelectionCharts
{
    /// <summary>
    /// The correlation matrix as a heatmap in the clustered order (correlated features next to each other), on a
    /// diverging scale fixed to [-1, 1]; constant features show as gaps.
    /// </summary>
    public static GenericChart CorrelationHeatmap(CorrelationMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var order = matrix.Order.ToArray();
        var labels = order.Select(f => PlotText.Escape(matrix.FeatureNames[f])).ToArray();
        var z = order.Select(a => order.Select(b => matrix.Value(a, b)).Select(v => double.IsNaN(v) ? (double?)null : v).ToArray()).ToArray();
        var heatmap = Figure.Trace("heatmap", ("z", z), ("x", labels), ("y", labels),
            ("colorscale", ChartTheme.DivergingScale), ("zmin", -1.0), ("zmax", 1.0), ("zmid", 0.0),
            ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("r")), ("thickness", 12))),
            ("hovertemplate", "%{y} / %{x}: r = %{z:.3f}<extra></extra>"));
        string name = matrix.Correlation == CorrelationMethod.Spearman ? "Spearman" : "Pearson";
        var layout = Figure.Layout(
            ("title", Figure.Title($"{name} correlation ({matrix.RowCount} rows), clustered on 1 - |r|")),
            ("xaxis", Figure.Axis("", ("type", "category"), ("showgrid", false), ("tickangle", -45))),
            ("yaxis", Figure.Axis("", ("type", "category"), ("showgrid", false), ("autorange", "reversed"))),
            ("height", Math.Max(320, 120 + 24 * labels.Length)));
        return Figure.Chart([heatmap], layout);
    }

    /// <summary>
    /// Score against the number of features for recursive feature elimination: the mean score, a band of ± one
    /// standard deviation over the cross-validation folds (when there are folds), and the selected size marked.
    /// </summary>
    public static GenericChart EliminationCurve(FeatureEliminationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var counts = result.FeatureCounts.Select(c => (double)c).ToArray();
        var mean = result.MeanScores.ToArray();
        var std = result.ScoreStandardDeviations.ToArray();
        var traces = new List<Trace>();
        if (result.Folds > 0)
        {
            traces.Add(Figure.Trace("scatter", ("mode", "lines"), ("name", "mean - std"), ("x", counts),
                ("y", mean.Select((m, i) => m - std[i]).ToArray()), ("line", Figure.Object(("width", 0))), ("hoverinfo", "skip"), ("showlegend", false)));
            traces.Add(Figure.Trace("scatter", ("mode", "lines"), ("name", "± 1 std over folds"), ("x", counts),
                ("y", mean.Select((m, i) => m + std[i]).ToArray()), ("fill", "tonexty"), ("fillcolor", "rgba(0,114,178,0.2)"),
                ("line", Figure.Object(("width", 0))), ("hoverinfo", "skip")));
        }
        traces.Add(Figure.Trace("scatter", ("mode", "lines+markers"), ("name", result.Folds > 0 ? $"mean score over {result.Folds} folds" : "score"),
            ("x", counts), ("y", mean), ("customdata", std),
            ("line", Figure.Object(("color", ChartTheme.Negative))),
            ("hovertemplate", result.Folds > 0 ? "%{x} features: %{y:.4g} ± %{customdata:.3g}<extra></extra>" : "%{x} features: %{y:.4g}<extra></extra>")));
        int selected = result.SelectedFeatures.Length;
        int index = result.FeatureCounts.IndexOf(selected);
        if (index >= 0)
            traces.Add(Figure.Trace("scatter", ("mode", "markers"), ("name", $"selected: {selected}"), ("x", new[] { (double)selected }), ("y", new[] { mean[index] }),
                ("marker", Figure.Object(("size", 14), ("color", ChartTheme.Positive), ("symbol", "star"))),
                ("text", new[] { PlotText.Escape(string.Join(", ", result.SelectedNames)) }),
                ("hovertemplate", "selected %{x} features: %{text}<extra></extra>")));
        var layout = Figure.Layout(
            ("title", Figure.Title(string.Create(CultureInfo.InvariantCulture,
                $"Recursive feature elimination{(result.Folds > 0 ? $" with {result.Folds}-fold cross-validation" : "")}: {selected} selected ({PlotText.Escape(string.Join(", ", result.SelectedNames.Take(12)))}{(selected > 12 ? ", ..." : "")})"))),
            ("xaxis", Figure.Axis("number of features", ("dtick", result.FeatureCounts.Length <= 20 ? 1 : (object?)null))),
            ("yaxis", Figure.Axis("score (higher is better)")));
        return Figure.Chart(traces, layout);
    }
}
