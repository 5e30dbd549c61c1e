using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>A global surrogate tree drawn as boxes, with its fidelity in the title.</summary>
public static class SurrogateCharts
{
    /// <summary>
    /// The tree, root at the top: each internal node a box with its split ("feature ≤ threshold"; the left branch is
    /// "yes"), its value and rows; each leaf a box with its value (or class) and rows, tinted by value.
    /// </summary>
    public static GenericChart Tree(SurrogateTree surrogate)
    {
        ArgumentNullException.ThrowIfNull(surrogate);
        var tree = surrogate.Tree;
        var x = new double[tree.NodeCount];
        var depth = new int[tree.NodeCount];
        double next = 0;
        double Place(int node, int level)
        {
            depth[node] = level;
            if (tree.IsLeaf(node)) return x[node] = next++;
            double l = Place(tree.Left[node], level + 1), r = Place(tree.Right[node], level + 1);
            return x[node] = (l + r) / 2;
        }
        Place(0, 0);
        int leaves = (int)next, maxDepth = depth.Max();
        bool classes = surrogate.Task == SurrogateTask.Classification;
        var leafValues = Enumerable.Range(0, tree.NodeCount).Where(tree.IsLeaf).Select(n => tree.Value[n]).ToArray();
        double lo = leafValues.Min(), hi = leafValues.Max();
        string Value(int n) => classes ? ClassName(surrogate, (int)tree.Value[n]) : Figure.Number(tree.Value[n]);
        string Rows(int n) => $"{Count(tree.Cover[n])} rows";
        string Feature(int f) => PlotText.Escape(surrogate.FeatureNames[f]);
        bool narrow = leaves > 8;

        var edgeX = new List<double?>();
        var edgeY = new List<double?>();
        var annotations = new List<object>();
        for (int n = 0; n < tree.NodeCount; n++)
        {
            string text;
            string background = "#FFFFFF";
            if (tree.IsLeaf(n))
            {
                text = narrow ? $"{Value(n)}<br>{Count(tree.Cover[n])}" : $"{(classes ? "class " : "value ")}{Value(n)}<br>{Rows(n)}";
                background = classes ? Tint(ChartTheme.Palette[(int)tree.Value[n] % ChartTheme.Palette.Count], 0.25)
                    : hi > lo ? Mix((tree.Value[n] - lo) / (hi - lo)) : "#F7F7F7";
            }
            else
            {
                text = $"<b>{Feature(tree.Feature[n])} ≤ {Figure.Number(tree.Threshold[n])}</b><br>{(classes ? "class " : "value ")}{Value(n)}<br>{Rows(n)}";
                foreach (int child in new[] { tree.Left[n], tree.Right[n] })
                {
                    edgeX.Add(x[n]); edgeX.Add(x[child]); edgeX.Add(null);
                    edgeY.Add(-depth[n]); edgeY.Add(-depth[child]); edgeY.Add(null);
                }
            }
            annotations.Add(Figure.Object(("x", x[n]), ("y", -depth[n]), ("xref", "x"), ("yref", "y"), ("text", text), ("showarrow", false),
                ("bgcolor", background), ("bordercolor", "#555"), ("borderwidth", 1), ("borderpad", 4),
                ("font", Figure.Object(("size", narrow ? 10 : 12)))));
        }
        // yes / no on the two edges under the root, to say which way a row goes
        if (!tree.IsLeaf(0))
        {
            annotations.Add(EdgeLabel((x[0] + x[tree.Left[0]]) / 2, -0.5, "yes"));
            annotations.Add(EdgeLabel((x[0] + x[tree.Right[0]]) / 2, -0.5, "no"));
        }
        var hoverNodes = Enumerable.Range(0, tree.NodeCount).ToArray();
        var traces = new List<Trace>
        {
            Figure.Trace("scatter", ("mode", "lines"), ("x", edgeX.ToArray()), ("y", edgeY.ToArray()), ("hoverinfo", "skip"),
                ("line", Figure.Object(("color", "#9A9A9A"), ("width", 1.5))), ("showlegend", false)),
            Figure.Trace("scatter", ("mode", "markers"), ("x", hoverNodes.Select(n => x[n]).ToArray()), ("y", hoverNodes.Select(n => (double)-depth[n]).ToArray()),
                ("marker", Figure.Object(("size", 18), ("opacity", 0))), ("showlegend", false), ("hoverinfo", "text"),
                ("text", hoverNodes.Select(n => (tree.IsLeaf(n) ? $"leaf {n}" : $"node {n}: {Feature(tree.Feature[n])} ≤ {Figure.Number(tree.Threshold[n])} goes left")
                    + $"<br>{(classes ? "class" : "value")} {Value(n)}<br>{Rows(n)} ({(100 * tree.Cover[n] / surrogate.RowCount).ToString("0", System.Globalization.CultureInfo.InvariantCulture)} %)").ToArray())),
        };
        string output = classes ? "the predicted class" : PlotText.Escape(surrogate.OutputName);
        var layout = Figure.Layout(
            ("title", Figure.Title($"Global surrogate: a depth-{surrogate.MaxDepth} tree imitating {output}; fidelity {surrogate.FidelityName} = {surrogate.Fidelity.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)} on {surrogate.RowCount} rows" +
                "<br><sub>fitted to the model's predictions, not to labels; left branch = condition true" + (narrow ? $"; leaves show {(classes ? "class" : "value")} over rows" : "") + "</sub>")),
            ("xaxis", Figure.Axis("", ("visible", false), ("range", new[] { -0.6, leaves - 0.4 }), ("fixedrange", true))),
            ("yaxis", Figure.Axis("", ("visible", false), ("range", new[] { -maxDepth - 0.45, 0.45 }), ("fixedrange", true))),
            ("annotations", annotations.ToArray()),
            ("height", 200 + 95 * (maxDepth + 1)),
            ("margin", Figure.Object(("l", 20), ("r", 20), ("b", 20))),
            ("showlegend", false));
        return Figure.Chart(traces, layout);
    }

    private static string Count(double rows) => rows.ToString("0", System.Globalization.CultureInfo.InvariantCulture);

    private static object EdgeLabel(double x, double y, string text) => Figure.Object(("x", x), ("y", y), ("xref", "x"), ("yref", "y"), ("text", text),
        ("showarrow", false), ("font", Figure.Object(("size", 11), ("color", ChartTheme.Neutral))), ("bgcolor", "#FFFFFF"));

    private static string ClassName(SurrogateTree surrogate, int index)
        => index < surrogate.ClassNames.Length ? PlotText.Escape(surrogate.ClassNames[index]) : index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // A light tint of the diverging scale: t = 0 light blue, 0.5 near white, 1 light vermillion.
    private static string Mix(double t)
    {
        (double r, double g, double b) low = (0xB8, 0xD4, 0xEA), mid = (0xF7, 0xF7, 0xF7), high = (0xF2, 0xC0, 0x9E);
        var (a, c, s) = t < 0.5 ? (low, mid, t / 0.5) : (mid, high, (t - 0.5) / 0.5);
        return $"#{(int)Math.Round(a.r + (c.r - a.r) * s):X2}{(int)Math.Round(a.g + (c.g - a.g) * s):X2}{(int)Math.Round(a.b + (c.b - a.b) * s):X2}";
    }

    private static string Tint(string hex, double alpha)
    {
        int r = Convert.ToInt32(hex[1..3], 16), g = Convert.ToInt32(hex[3..5], 16), b = Convert.ToInt32(hex[5..7], 16);
        // blended with white, opaque (the edges run to the box centres and must not show through)
        int Blend(int c) => (int)Math.Round(255 + (c - 255) * alpha);
        return $"#{Blend(r):X2}{Blend(g):X2}{Blend(b):X2}";
    }
}
