using System.Collections.Immutable;

namespace Interactive.Xai;

/// <summary>
/// One binary regression tree in flat arrays, one entry per node (node 0 is the root). An internal node sends a
/// row to <see cref="Left"/> when x[<see cref="Feature"/>] &lt;= <see cref="Threshold"/>, else to <see cref="Right"/>;
/// a leaf has Left = Right = -1 and carries <see cref="Value"/>. <see cref="Cover"/> is the (weighted) number of
/// training rows reaching each node, which path-dependent Tree SHAP needs.
/// </summary>
public sealed record DecisionTree
{
    /// <summary>The split feature of each internal node (ignored for leaves).</summary>
    public required ImmutableArray<int> Feature { get; init; }

    /// <summary>The split threshold of each internal node.</summary>
    public required ImmutableArray<double> Threshold { get; init; }

    /// <summary>The child taken when x[feature] &lt;= threshold, or -1 for a leaf.</summary>
    public required ImmutableArray<int> Left { get; init; }

    /// <summary>The child taken when x[feature] &gt; threshold, or -1 for a leaf.</summary>
    public required ImmutableArray<int> Right { get; init; }

    /// <summary>The output of each leaf (ignored for internal nodes).</summary>
    public required ImmutableArray<double> Value { get; init; }

    /// <summary>Rows reaching each node; may be empty until <see cref="TreeEnsemble.WithCovers"/> computes it.</summary>
    public ImmutableArray<double> Cover { get; init; } = ImmutableArray<double>.Empty;

    /// <summary>The number of nodes.</summary>
    public int NodeCount => Left.Length;

    /// <summary>True when the node is a leaf.</summary>
    public bool IsLeaf(int node) => Left[node] < 0;

    /// <summary>The number of leaves.</summary>
    public int LeafCount => Left.Count(l => l < 0);

    /// <summary>The depth of the deepest leaf (a single leaf has depth 0).</summary>
    public int Depth
    {
        get
        {
            int Walk(int node) => IsLeaf(node) ? 0 : 1 + Math.Max(Walk(Left[node]), Walk(Right[node]));
            return Walk(0);
        }
    }

    /// <summary>The leaf value reached by one row.</summary>
    public double Predict(ReadOnlySpan<float> row)
    {
        int node = 0;
        while (!IsLeaf(node)) node = row[Feature[node]] <= Threshold[node] ? Left[node] : Right[node];
        return Value[node];
    }

    /// <summary>Checks the arrays describe a tree; throws <see cref="XaiException"/> otherwise.</summary>
    public void Validate(int featureCount)
    {
        int n = NodeCount;
        if (n == 0 || Right.Length != n || Feature.Length != n || Threshold.Length != n || Value.Length != n)
            throw new XaiException("a decision tree needs equally long node arrays with at least one node");
        if (!Cover.IsDefaultOrEmpty && Cover.Length != n) throw new XaiException("a decision tree's covers must have one entry per node");
        for (int i = 0; i < n; i++)
        {
            if ((Left[i] < 0) != (Right[i] < 0)) throw new XaiException($"tree node {i} has one child; nodes need two or none");
            if (Left[i] >= n || Right[i] >= n) throw new XaiException($"tree node {i} points to a node that does not exist");
            if (Left[i] >= 0 && (uint)Feature[i] >= (uint)featureCount) throw new XaiException($"tree node {i} splits on feature {Feature[i]}, but the model has {featureCount}");
        }
    }
}
