using System.Collections.Immutable;

namespace Interactive.Xai;

/// <summary>
/// A sum of regression trees plus a bias: f(x) = bias + scale * sum of the trees' leaf values. Gradient-boosted
/// ensembles (FastTree, LightGBM) have scale 1; a random forest averages (scale 1 / number of trees). It is also a
/// batched <see cref="IModel"/> with one output, so the engine's explainers can cross-check Tree SHAP.
/// </summary>
public sealed record TreeEnsemble : IModel
{
    /// <summary>The trees.</summary>
    public required ImmutableArray<DecisionTree> Trees { get; init; }

    /// <summary>Added to the sum of the trees.</summary>
    public double Bias { get; init; }

    /// <summary>Multiplies the sum of the trees (1 for boosting, 1 / trees for an averaging forest).</summary>
    public double Scale { get; init; } = 1;

    /// <inheritdoc />
    public required int FeatureCount { get; init; }

    /// <inheritdoc />
    public IReadOnlyList<string>? FeatureNames { get; init; }

    /// <inheritdoc />
    public IReadOnlyList<string> OutputNames { get; init; } = ["Score"];

    /// <inheritdoc />
    public bool IsThreadSafe => true;

    /// <summary>True when every tree carries node covers (path-dependent Tree SHAP needs them).</summary>
    public bool HasCovers => Trees.All(t => !t.Cover.IsDefaultOrEmpty);

    /// <summary>The model output for one row.</summary>
    public double Predict(ReadOnlySpan<float> row)
    {
        double sum = 0;
        foreach (var tree in Trees) sum += tree.Predict(row);
        return Bias + Scale * sum;
    }

    /// <inheritdoc />
    public void Predict(ReadOnlySpan<float> inputs, int rowCount, Span<float> outputs)
    {
        for (int r = 0; r < rowCount; r++) outputs[r] = (float)Predict(inputs.Slice(r * FeatureCount, FeatureCount));
    }

    /// <summary>
    /// A copy whose node covers are the number of rows of <paramref name="data"/> reaching each node (for models,
    /// such as ML.NET's, that do not expose the training covers).
    /// </summary>
    public TreeEnsemble WithCovers(FeatureTable data)
    {
        ArgumentNullException.ThrowIfNull(data);
        this.EnsureAccepts(data, "the data for tree covers");
        if (data.RowCount == 0) throw new XaiException("tree covers need at least one row");
        var trees = Trees.Select(tree =>
        {
            var cover = new double[tree.NodeCount];
            for (int r = 0; r < data.RowCount; r++)
            {
                var row = data.Row(r);
                int node = 0;
                cover[0]++;
                while (!tree.IsLeaf(node))
                {
                    node = row[tree.Feature[node]] <= tree.Threshold[node] ? tree.Left[node] : tree.Right[node];
                    cover[node]++;
                }
            }
            return tree with { Cover = cover.ToImmutableArray() };
        }).ToImmutableArray();
        return this with { Trees = trees };
    }

    /// <summary>Checks every tree; throws <see cref="XaiException"/> on a malformed ensemble.</summary>
    public void Validate()
    {
        if (Trees.IsDefaultOrEmpty) throw new XaiException("the tree ensemble has no trees");
        foreach (var tree in Trees) tree.Validate(FeatureCount);
    }
}

/// <summary>A model that can show its trees (for example an ML.NET FastTree model), so Tree SHAP can explain it exactly.</summary>
public interface ITreeEnsembleSource
{
    /// <summary>The model's trees, over the model's own feature order; the ensemble's output is the model's raw score.</summary>
    TreeEnsemble TreeEnsemble { get; }
}
