using System.Globalization;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>
/// Charts of a classifier's outputs: the confusion matrix as an annotated heatmap, one row's class probabilities as
/// bars, and many rows' probabilities as a rows x classes heatmap with the true class marked.
/// </summary>
public static class OutputCharts
{
    /// <summary>Rows a probability heatmap shows unless told otherwise.</summary>
    public const int DefaultHeatmapRows = 200;

    private static readonly IReadOnlyList<object[]> WhiteToBlue = [[0.0, "#F7FBFF"], [1.0, ChartTheme.Negative]];

    /// <summary>
    /// The confusion matrix: actual classes down (first on top), predicted across; colour is the row-normalised rate
    /// (<paramref name="normalized"/>, default) or the count; every cell is labelled with its count and rate.
    /// </summary>
    public static GenericChart ConfusionMatrix(ConfusionMatrix matrix, bool normalized = true)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int k = matrix.ClassCount;
        var names = matrix.ClassNames.Select(PlotText.Escape).ToArray();
        var z = new double[k][];
        var text = new string[k][];
        var counts = new long[k][];
        for (int a = 0; a < k; a++)
        {
            z[a] = new double[k];
            text[a] = new string[k];
            counts[a] = new long[k];
            for (int p = 0; p < k; p++)
            {
                long count = matrix.Count(a, p);
                double rate = matrix.RowNormalized(a, p);
                z[a][p] = normalized ? rate : count;
                counts[a][p] = count;
                text[a][p] = count.ToString(CultureInfo.InvariantCulture) + "<br>" + Percent(rate, 0);
            }
        }
        var heatmap = Figure.Trace("heatmap", ("z", z), ("x", names), ("y", names), ("text", text), ("texttemplate", "%{text}"),
            ("customdata", counts), ("colorscale", WhiteToBlue), ("zmin", 0.0), ("zmax", normalized ? 1.0 : Math.Max(1, counts.Max(r => r.Max()))),
            ("xgap", 1), ("ygap", 1),
            ("colorbar", Figure.Object(("title", Figure.ColourBarTitle(normalized ? "share of actual class" : "rows")), ("thickness", 12))),
            ("hovertemplate", "actual %{y}<br>predicted %{x}<br>%{customdata} rows<extra></extra>"));
        var layout = Figure.Layout(
            ("title", Figure.Title(string.Create(CultureInfo.InvariantCulture, $"Confusion matrix ({matrix.Total:N0} rows, accuracy {Percent(matrix.Accuracy, 1)})"))),
            ("xaxis", Figure.Axis("predicted class", ("type", "category"), ("showgrid", false), ("side", "bottom"))),
            ("yaxis", Figure.Axis("actual class", ("type", "category"), ("showgrid", false), ("autorange", "reversed"))),
            ("height", 200 + 40 * Math.Min(k, 30)),
            ("showlegend", false));
        return Figure.Chart([heatmap], layout);
    }

    /// <summary>One row's probability per class as bars (first class on top); the predicted class is highlighted and the true class named.</summary>
    public static GenericChart Probabilities(ClassProbabilities probabilities, int row)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        if ((uint)row >= (uint)probabilities.RowCount) throw new XaiException($"row {row} is outside 0..{probabilities.RowCount - 1}");
        int k = probabilities.ClassCount;
        int predicted = probabilities.Predicted[row];
        int? actual = probabilities.Actual.IsDefaultOrEmpty ? null : probabilities.Actual[row];
        var labels = Enumerable.Range(0, k).Select(c => PlotText.Escape(probabilities.ClassNames[c]) + (c == actual ? " (true)" : "")).ToArray();
        var values = Enumerable.Range(0, k).Select(c => probabilities.Probability(row, c)).ToArray();
        var colours = Enumerable.Range(0, k).Select(c => c == predicted ? ChartTheme.Positive : ChartTheme.Neutral).ToArray();
        var positions = Enumerable.Range(0, k).Select(c => (double)c).ToArray();
        var bar = Figure.Trace("bar", ("orientation", "h"), ("x", values), ("y", positions), ("text", values.Select(v => Percent(v, 1)).ToArray()),
            ("textposition", "outside"), ("cliponaxis", false), ("customdata", labels),
            ("marker", Figure.Object(("color", colours))),
            ("hovertemplate", "%{customdata}: %{x:.4f}<extra></extra>"));
        string truth = actual is null ? "" : actual == predicted ? ", correct" : $", true class {PlotText.Escape(probabilities.ClassNames[actual.Value])}";
        var layout = Figure.Layout(
            ("title", Figure.Title($"Row {row}: predicted {PlotText.Escape(probabilities.ClassNames[predicted])} ({Percent(values[predicted], 1)}{truth})")),
            ("xaxis", Figure.Axis(probabilities.AppliedSoftmax ? "probability (softmax of the outputs)" : "probability", ("range", new[] { 0.0, 1.15 }))),
            ("yaxis", Figure.Axis("", ("tickvals", positions), ("ticktext", labels), ("autorange", "reversed"))),
            ("height", 140 + 26 * k),
            ("showlegend", false));
        return Figure.Chart([bar], layout);
    }

    /// <summary>
    /// Rows x classes heatmap of probabilities (the first <paramref name="maxRows"/> rows, row 0 on top); an x marks each
    /// row's true class when known, so confident mistakes stand out as dark cells away from the mark.
    /// </summary>
    public static GenericChart ProbabilityHeatmap(ClassProbabilities probabilities, int maxRows = DefaultHeatmapRows)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        int k = probabilities.ClassCount, n = Math.Min(maxRows, probabilities.RowCount);
        var names = probabilities.ClassNames.Select(PlotText.Escape).ToArray();
        var z = new float[n][];
        for (int r = 0; r < n; r++)
        {
            z[r] = new float[k];
            for (int c = 0; c < k; c++) z[r][c] = (float)probabilities.Probability(r, c);
        }
        var rows = Enumerable.Range(0, n).ToArray();
        var traces = new List<Trace>
        {
            Figure.Trace("heatmap", ("z", z), ("x", names), ("y", rows), ("colorscale", WhiteToBlue), ("zmin", 0.0), ("zmax", 1.0),
                ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("probability")), ("thickness", 12))),
                ("hovertemplate", "row %{y}<br>%{x}: %{z:.3f}<extra></extra>")),
        };
        if (!probabilities.Actual.IsDefaultOrEmpty)
        {
            traces.Add(Figure.Trace("scatter", ("mode", "markers"), ("name", "true class"),
                ("x", rows.Select(r => names[probabilities.Actual[r]]).ToArray()), ("y", rows),
                ("marker", Figure.Object(("symbol", "x-thin-open"), ("size", 8), ("color", ChartTheme.Positive), ("line", Figure.Object(("width", 2), ("color", ChartTheme.Positive))))),
                ("hovertemplate", "row %{y}: true class %{x}<extra></extra>")));
        }
        var layout = Figure.Layout(
            ("title", Figure.Title($"Class probabilities, {n} of {probabilities.RowCount} rows" + (probabilities.Actual.IsDefaultOrEmpty ? "" : " (x = true class)"))),
            ("xaxis", Figure.Axis("class", ("type", "category"), ("showgrid", false))),
            ("yaxis", Figure.Axis("row", ("autorange", "reversed"), ("showgrid", false))),
            ("height", Math.Clamp(140 + 4 * n, 300, 1000)),
            ("showlegend", false));
        return Figure.Chart(traces, layout);
    }

    /// <summary>A fraction as a percentage with no space before the sign ("70.0%").</summary>
    private static string Percent(double fraction, int decimals)
        => (fraction * 100).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + "%";
}
