using System.Collections.Immutable;

namespace Interactive.Xai;

/// <summary>
/// Gain-based importance of a tree ensemble's features next to their split counts (<see cref="TreeGainImportance.Compute"/>).
/// </summary>
public sealed record TreeFeatureImportance
{
    /// <summary>The feature names, in the model's order.</summary>
    public required ImmutableArray<string> FeatureNames { get; init; }

    /// <summary>The number of internal nodes that split on each feature, over all trees.</summary>
    public required ImmutableArray<int> SplitCounts { get; init; }

    /// <summary>The total split gain of each feature (output units squared times rows; see <see cref="TreeGainImportance"/>).</summary>
    public required ImmutableArray<double> Gains { get; init; }

    /// <summary>Each feature's gain divided by the sum over features (0 everywhere when no split gains anything).</summary>
    public required ImmutableArray<double> NormalizedGains { get; init; }

    /// <summary>The number of trees.</summary>
    public required int TreeCount { get; init; }

    /// <summary>Where the node covers came from: "model" (stored with the trees) or "data (N rows)".</summary>
    public required string CoverSource { get; init; }

    /// <summary>The number of features.</summary>
    public int FeatureCount => FeatureNames.Length;
}

/// <summary>
/// Gain-based feature importance of a <see cref="TreeEnsemble"/>, computed from the trees' leaf values and node
/// covers (the parsed trees store no split gains).
/// <para>
/// Definition (cover-weighted squared-error reduction, as CART's regression criterion): for a node n with cover c_n
/// (rows reaching it), let v_n be its value, the cover-weighted mean of its leaves' values
/// (v_n = (c_L v_L + c_R v_R) / (c_L + c_R) for an internal node, the leaf value for a leaf), scaled by the
/// ensemble's <see cref="TreeEnsemble.Scale"/>. The gain of an internal node is the drop in the sum of squared
/// errors when the node's constant v_n is replaced by its children's constants:
/// gain_n = c_L (v_L - v_n)^2 + c_R (v_R - v_n)^2 = c_L c_R / (c_L + c_R) (v_L - v_R)^2.
/// When each leaf's value is the mean of the targets of the rows reaching it (a least-squares regression tree on
/// its own training rows) this is exactly the split's reduction in training squared error. A feature's gain is the
/// sum over the nodes that split on it, in every tree.
/// </para>
/// </summary>
public static class TreeGainImportance
{
    /// <summary>
    /// The split counts and gains of every feature. The covers are the model's own when every tree has them;
    /// otherwise they are counted on <paramref name="data"/> (the rows reaching each node), which is then required.
    /// </summary>
    public static TreeFeatureImportance Compute(TreeEnsemble ensemble, FeatureTable? data = null)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        ensemble.Validate();
        string source = "model";
        if (!ensemble.HasCovers)
        {
            if (data is null)
                throw new XaiException("tree gains need node covers: the model does not store them, so give data rows to count the rows reaching each node");
            ensemble = ensemble.WithCovers(data);
            source = $"data ({data.RowCount} rows)";
        }
        int m = ensemble.FeatureCount;
        var counts = new int[m];
        var gains = new double[m];
        foreach (var tree in ensemble.Trees)
        {
            var nodeGains = NodeGains(tree, ensemble.Scale);
            for (int n = 0; n < tree.NodeCount; n++)
                if (!tree.IsLeaf(n))
                {
                    counts[tree.Feature[n]]++;
                    gains[tree.Feature[n]] += nodeGains[n];
                }
        }
        double total = gains.Sum();
        var names = ensemble.FeatureNames is { } given && given.Count == m ? given.ToImmutableArray()
            : [.. Enumerable.Range(0, m).Select(f => $"feature {f}")];
        return new TreeFeatureImportance
        {
            FeatureNames = names,
            SplitCounts = [.. counts],
            Gains = [.. gains],
            NormalizedGains = [.. gains.Select(g => total > 0 ? g / total : 0)],
            TreeCount = ensemble.Trees.Length,
            CoverSource = source,
        };
    }

    /// <summary>
    /// The gain of every node of one tree (0 for leaves) under the definition above; <paramref name="scale"/>
    /// multiplies the leaf values. The tree must carry covers.
    /// </summary>
    public static double[] NodeGains(DecisionTree tree, double scale = 1)
    {
        ArgumentNullException.ThrowIfNull(tree);
        if (tree.Cover.IsDefaultOrEmpty) throw new XaiException("tree gains need node covers");
        var gains = new double[tree.NodeCount];
        (double Cover, double Value) Walk(int node)
        {
            if (tree.IsLeaf(node)) return (tree.Cover[node], scale * tree.Value[node]);
            var (cl, vl) = Walk(tree.Left[node]);
            var (cr, vr) = Walk(tree.Right[node]);
            double c = cl + cr;
            if (c <= 0) return (0, 0);
            double v = (cl * vl + cr * vr) / c;
            gains[node] = cl * (vl - v) * (vl - v) + cr * (vr - v) * (vr - v);
            return (c, v);
        }
        Walk(0);
        return gains;
    }
}
