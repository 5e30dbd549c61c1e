using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Charts of tree ensembles: one tree drawn node by node, and how often each feature is split on across trees.</summary>
public static class TreeCharts
{
    /// <summary>Trees with more nodes than this are drawn only down to the depth that fits.</summary>
    public const int MaxDrawnNodes = 255;

    /// <summary>
    /// One tree, root at the top: internal nodes show their split ("feature ≤ threshold"; left is true), leaves their
    /// value coloured on a diverging scale; hover adds the node's cover (rows reaching it) when known.
    /// </summary>
    public static GenericChart Tree(TreeEnsemble ensemble, int treeIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        if ((uint)treeIndex >= (uint)ensemble.Trees.Length)
            throw new ArgumentOutOfRangeException(nameof(treeIndex), $"tree {treeIndex} is outside 0..{ensemble.Trees.Length - 1}");
        var tree = ensemble.Trees[treeIndex];
        var x = new double[tree.NodeCount];
        var depth = new int[tree.NodeCount];
        var drawn = new bool[tree.NodeCount];
        int maxDepth = MaxDepthThatFits(tree);
        double nextLeaf = 0;
        Place(0, 0);
        double Place(int node, int level)
        {
            drawn[node] = true;
            depth[node] = level;
            if (tree.IsLeaf(node) || level == maxDepth) return x[node] = nextLeaf++;
            double left = Place(tree.Left[node], level + 1), right = Place(tree.Right[node], level + 1);
            return x[node] = (left + right) / 2;
        }

        var names = ensemble.FeatureNames;
        string FeatureName(int f) => PlotText.Escape(names is not null && f < names.Count ? names[f] : $"feature {f}");
        bool covers = !tree.Cover.IsDefaultOrEmpty;
        var edgeX = new List<double?>();
        var edgeY = new List<double?>();
        var internalNodes = new List<int>();
        var leaves = new List<int>();
        for (int n = 0; n < tree.NodeCount; n++)
        {
            if (!drawn[n]) continue;
            bool cut = !tree.IsLeaf(n) && depth[n] == maxDepth;
            if (tree.IsLeaf(n) || cut) leaves.Add(n); else internalNodes.Add(n);
            if (tree.IsLeaf(n) || cut) continue;
            foreach (int child in new[] { tree.Left[n], tree.Right[n] })
            {
                edgeX.Add(x[n]); edgeX.Add(x[child]); edgeX.Add(null);
                edgeY.Add(-depth[n]); edgeY.Add(-depth[child]); edgeY.Add(null);
            }
        }
        string Cover(int n) => covers ? $"<br>cover {Figure.Number(tree.Cover[n])}" : "";
        var leafValues = leaves.Select(n => tree.IsLeaf(n) ? tree.Value[n] : double.NaN).ToArray();
        double extent = leafValues.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(1).Max();
        var traces = new List<Trace>
        {
            Figure.Trace("scatter", ("mode", "lines"), ("x", edgeX.ToArray()), ("y", edgeY.ToArray()), ("hoverinfo", "skip"),
                ("line", Figure.Object(("color", "#B0B0B0"), ("width", 1.5))), ("showlegend", false)),
            Figure.Trace("scatter", ("mode", "markers+text"), ("name", "splits"),
                ("x", internalNodes.Select(n => x[n]).ToArray()), ("y", internalNodes.Select(n => (double)-depth[n]).ToArray()),
                ("text", internalNodes.Select(n => $"{FeatureName(tree.Feature[n])} ≤ {Figure.Number(tree.Threshold[n])}").ToArray()),
                ("textposition", "top center"), ("customdata", internalNodes.ToArray()),
                ("hovertext", internalNodes.Select(n => $"node {n}: {FeatureName(tree.Feature[n])} ≤ {Figure.Number(tree.Threshold[n])} goes left{Cover(n)}").ToArray()),
                ("hoverinfo", "text"), ("marker", Figure.Object(("size", 12), ("symbol", "square"), ("color", "#FFFFFF"), ("line", Figure.Object(("color", "#333"), ("width", 1)))))),
            Figure.Trace("scatter", ("mode", "markers+text"), ("name", "leaves"),
                ("x", leaves.Select(n => x[n]).ToArray()), ("y", leaves.Select(n => (double)-depth[n]).ToArray()),
                ("text", leaves.Select(n => tree.IsLeaf(n) ? Figure.Number(tree.Value[n]) : "…").ToArray()), ("textposition", "bottom center"),
                ("customdata", leaves.ToArray()),
                ("hovertext", leaves.Select(n => tree.IsLeaf(n) ? $"leaf {n}: value {Figure.Number(tree.Value[n])}{Cover(n)}" : $"node {n}: subtree not drawn{Cover(n)}").ToArray()),
                ("hoverinfo", "text"),
                ("marker", Figure.Object(("size", 12), ("color", leafValues.Select(v => double.IsFinite(v) ? v : 0).ToArray()),
                    ("colorscale", ChartTheme.DivergingScale), ("cmin", -extent), ("cmax", extent), ("showscale", true),
                    ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("leaf value")), ("thickness", 12))), ("line", Figure.Object(("color", "#333"), ("width", 1)))))),
        };
        var layout = Figure.Layout(
            ("title", Figure.Title($"Tree {treeIndex} of {ensemble.Trees.Length}: {tree.LeafCount} leaves, depth {tree.Depth}" +
                (maxDepth < tree.Depth ? $" (drawn to depth {maxDepth})" : "") + "; left branch = condition true")),
            ("xaxis", Figure.Axis("", ("showgrid", false), ("zeroline", false), ("showticklabels", false))),
            ("yaxis", Figure.Axis("depth", ("showgrid", false), ("zeroline", false), ("tickvals", Enumerable.Range(0, maxDepth + 1).Select(d => (double)-d).ToArray()),
                ("ticktext", Enumerable.Range(0, maxDepth + 1).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()))),
            ("height", 200 + 90 * Math.Min(maxDepth + 1, 10)),
            ("showlegend", false));
        return Figure.Chart(traces, layout);
    }

    /// <summary>How many splits use each feature, over all trees (and, with covers, the rows those splits route).</summary>
    public static GenericChart SplitCounts(TreeEnsemble ensemble)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        var counts = new double[ensemble.FeatureCount];
        var routed = new double[ensemble.FeatureCount];
        foreach (var tree in ensemble.Trees)
            for (int n = 0; n < tree.NodeCount; n++)
                if (!tree.IsLeaf(n))
                {
                    counts[tree.Feature[n]]++;
                    if (!tree.Cover.IsDefaultOrEmpty) routed[tree.Feature[n]] += tree.Cover[n];
                }
        var order = Enumerable.Range(0, ensemble.FeatureCount).OrderBy(f => counts[f]).ThenByDescending(f => f).ToArray();
        var labels = order.Select(f => PlotText.Escape(ensemble.FeatureNames is { } n && f < n.Count ? n[f] : $"feature {f}")).ToArray();
        var positions = Enumerable.Range(0, order.Length).Select(i => (double)i).ToArray();
        bool covers = ensemble.HasCovers;
        var bar = Figure.Trace("bar", ("orientation", "h"), ("x", order.Select(f => counts[f]).ToArray()), ("y", positions), ("text", labels), ("textposition", "none"),
            ("customdata", order.Select(f => routed[f]).ToArray()),
            ("hovertemplate", covers ? "%{text}: %{x} splits routing %{customdata:.4g} rows<extra></extra>" : "%{text}: %{x} splits<extra></extra>"),
            ("marker", Figure.Object(("color", ChartTheme.Palette[2]))));
        var layout = Figure.Layout(
            ("title", Figure.Title($"Splits per feature over {ensemble.Trees.Length} trees ({ensemble.Trees.Sum(t => t.LeafCount)} leaves)")),
            ("xaxis", Figure.Axis("number of splits", ("rangemode", "tozero"))),
            ("yaxis", Figure.Axis("", ("tickvals", positions), ("ticktext", labels))),
            ("height", 140 + 26 * order.Length),
            ("showlegend", false));
        return Figure.Chart([bar], layout);
    }

    private static int MaxDepthThatFits(DecisionTree tree)
    {
        if (tree.NodeCount <= MaxDrawnNodes) return tree.Depth;
        int depth = 0;
        while ((1 << (depth + 2)) - 1 <= MaxDrawnNodes) depth++;
        return depth;
    }
}
