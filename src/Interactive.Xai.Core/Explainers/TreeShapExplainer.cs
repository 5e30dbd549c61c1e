using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;

namespace Interactive.Xai;

/// <summary>How Tree SHAP treats features that are not in a coalition.</summary>
public enum TreeShapMode
{
    /// <summary>Against a background set: v(S) = mean over background rows b of f(x_S, b_rest), as the engine's exact Shapley values.</summary>
    Interventional,

    /// <summary>Along the tree paths, weighting each branch by its node cover (Lundberg et al. 2018, Algorithm 2).</summary>
    PathDependent,
}

/// <summary>Options for <see cref="TreeShapExplainer"/>.</summary>
public sealed record TreeShapOptions : ExplainerOptions;

/// <summary>
/// Exact Tree SHAP for tree ensembles (<see cref="TreeEnsemble"/>), computed from the tree structure without
/// perturbing inputs.
/// <para>
/// Path-dependent mode follows Lundberg, Erion and Lee (2018), Algorithm 2: one pass down each tree keeps, for the
/// features on the path, the proportion of coalitions of each size that reach the node, in O(L D^2) per tree and row
/// (L leaves, depth D). Covers come from the model or from <see cref="TreeEnsemble.WithCovers"/>.
/// </para>
/// <para>
/// Interventional mode computes, for each background row z, the Shapley values of the game
/// v(S) = f(x_S, z_rest) exactly: a leaf is reached by coalition S iff S contains the set A of path features where
/// x takes the leaf's side and excludes the set B where only z does, which gives each feature of A the leaf value times
/// (|A|-1)!|B|!/(|A|+|B|)! and each of B minus |A|!(|B|-1)!/(|A|+|B|)!. Averaging over background rows (with their
/// weights) gives the same values as <see cref="ExactShapleyExplainer"/> on the same background.
/// </para>
/// Rows are explained in parallel.
/// </summary>
public sealed class TreeShapExplainer
{
    private readonly TreeEnsemble _model;
    private readonly WeightedBackground? _background;
    private readonly TreeShapOptions _options;
    private readonly double _baseValue;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "tree-shap";

    /// <summary>Path-dependent Tree SHAP; the ensemble must carry node covers.</summary>
    public TreeShapExplainer(TreeEnsemble model, TreeShapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.Validate();
        if (!model.HasCovers)
            throw new XaiException("path-dependent Tree SHAP needs node covers: call TreeEnsemble.WithCovers(data) or give a background for interventional Tree SHAP");
        _model = model;
        _options = options ?? new TreeShapOptions();
        _options.Validate();
        Mode = TreeShapMode.PathDependent;
        double sum = 0;
        foreach (var tree in model.Trees)
        {
            if (tree.Cover[0] <= 0) throw new XaiException("a tree's root cover must be positive");
            for (int node = 0; node < tree.NodeCount; node++)
                if (tree.IsLeaf(node)) sum += tree.Value[node] * tree.Cover[node] / tree.Cover[0];
        }
        _baseValue = model.Bias + model.Scale * sum;
    }

    /// <summary>Interventional Tree SHAP against <paramref name="background"/>.</summary>
    public TreeShapExplainer(TreeEnsemble model, WeightedBackground background, TreeShapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(background);
        model.Validate();
        model.EnsureAccepts(background.Rows, "the background");
        _model = model;
        _background = background;
        _options = options ?? new TreeShapOptions();
        _options.Validate();
        Mode = TreeShapMode.Interventional;
        for (int b = 0; b < background.Count; b++) _baseValue += background.Weights[b] * model.Predict(background.Rows.Row(b));
    }

    /// <summary>Interventional or path-dependent.</summary>
    public TreeShapMode Mode { get; }

    /// <summary>The expected model output the values are measured from.</summary>
    public double BaseValue => _baseValue;

    /// <summary>Explains every row of <paramref name="rows"/>.</summary>
    public AttributionExplanation Explain(FeatureTable rows, IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _model.EnsureAccepts(rows, "the data");
        var stopwatch = Stopwatch.StartNew();
        int n = rows.RowCount, m = _model.FeatureCount;
        var values = new double[n * m];
        var predictions = new double[n];
        int maxDepth = _model.Trees.Max(t => t.Depth);
        long done = 0;
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism ?? Environment.ProcessorCount };
        Parallel.For(0, n, parallel, () => new Workspace(m, maxDepth), (r, _, workspace) =>
        {
            var x = rows.Row(r);
            var phi = values.AsSpan(r * m, m);
            if (Mode == TreeShapMode.PathDependent)
            {
                foreach (var tree in _model.Trees) PathDependent(tree, x, phi, workspace);
            }
            else
            {
                var background = _background!;
                var single = workspace.Single;
                for (int b = 0; b < background.Count; b++)
                {
                    Array.Clear(single);
                    var z = background.Rows.Row(b);
                    foreach (var tree in _model.Trees) Interventional(tree, x, z, single, workspace);
                    double weight = background.Weights[b];
                    for (int j = 0; j < m; j++) phi[j] += weight * single[j];
                }
            }
            for (int j = 0; j < m; j++) phi[j] *= _model.Scale;
            predictions[r] = _model.Predict(x);
            long completed = Interlocked.Increment(ref done);
            progress?.Report(new ExplanationProgress(MethodName, completed, n));
            return workspace;
        }, _ => { });

        double additivity = 0;
        for (int r = 0; r < n; r++)
        {
            double sum = _baseValue;
            for (int j = 0; j < m; j++) sum += values[r * m + j];
            additivity = Math.Max(additivity, Math.Abs(sum - predictions[r]));
        }
        return new AttributionExplanation
        {
            Method = MethodName,
            FeatureNames = rows.FeatureNames,
            OutputNames = [_model.OutputNames[0]],
            Targets = [0],
            Data = rows,
            Values = ImmutableArray.Create(values),
            BaseValues = [_baseValue],
            Predictions = ImmutableArray.Create(predictions),
            AdditivityError = additivity,
            Elapsed = stopwatch.Elapsed,
            ModelEvaluations = 0,
            Details = ImmutableDictionary<string, string>.Empty
                .Add("mode", Mode == TreeShapMode.PathDependent ? "path-dependent" : "interventional")
                .Add("trees", _model.Trees.Length.ToString(CultureInfo.InvariantCulture))
                .Add("backgroundRows", (_background?.Count ?? 0).ToString(CultureInfo.InvariantCulture)),
        };
    }

    private sealed class Workspace
    {
        public Workspace(int features, int depth)
        {
            Single = new double[features];
            int slots = depth + 2;
            Path = new PathElement[slots * (slots + 1) / 2 + slots];
            State = new byte[features];
            OnX = new int[depth + 1];
            OnZ = new int[depth + 1];
            LeafWeights = new double[depth + 2, depth + 2];
            for (int a = 0; a <= depth + 1; a++)
                for (int b = 0; a + b <= depth + 1; b++) LeafWeights[a, b] = Factorial(a) * Factorial(b) / Factorial(a + b + 1);
        }

        public double[] Single { get; }
        public PathElement[] Path { get; }
        public byte[] State { get; }
        public int[] OnX { get; }
        public int[] OnZ { get; }

        /// <summary>a! b! / (a + b + 1)!: the Shapley weight of a coalition of size a among a + b + 1 players.</summary>
        public double[,] LeafWeights { get; }

        private static double Factorial(int n)
        {
            double f = 1;
            for (int i = 2; i <= n; i++) f *= i;
            return f;
        }
    }

    // ---- Interventional: one background row at a time ----

    private static void Interventional(DecisionTree tree, ReadOnlySpan<float> x, ReadOnlySpan<float> z, double[] phi, Workspace w)
        => Visit(tree, 0, x, z, phi, w, 0, 0);

    private static void Visit(DecisionTree tree, int node, ReadOnlySpan<float> x, ReadOnlySpan<float> z, double[] phi, Workspace w, int a, int b)
    {
        while (!tree.IsLeaf(node))
        {
            int d = tree.Feature[node];
            double threshold = tree.Threshold[node];
            int xChild = x[d] <= threshold ? tree.Left[node] : tree.Right[node];
            int zChild = z[d] <= threshold ? tree.Left[node] : tree.Right[node];
            if (xChild == zChild || w.State[d] == 1) { node = xChild; continue; }
            if (w.State[d] == 2) { node = zChild; continue; }
            // Both branches: d joins the features taken from x, or those taken from z.
            w.State[d] = 1;
            w.OnX[a] = d;
            Visit(tree, xChild, x, z, phi, w, a + 1, b);
            w.State[d] = 2;
            w.OnZ[b] = d;
            Visit(tree, zChild, x, z, phi, w, a, b + 1);
            w.State[d] = 0;
            return;
        }
        double value = tree.Value[node];
        if (a > 0)
        {
            double gain = value * w.LeafWeights[a - 1, b];
            for (int i = 0; i < a; i++) phi[w.OnX[i]] += gain;
        }
        if (b > 0)
        {
            double loss = value * w.LeafWeights[a, b - 1];
            for (int i = 0; i < b; i++) phi[w.OnZ[i]] -= loss;
        }
    }

    // ---- Path-dependent: Lundberg et al. (2018), Algorithm 2 ----

    private struct PathElement
    {
        public int Feature;
        public double ZeroFraction;
        public double OneFraction;
        public double Weight;
    }

    private static void PathDependent(DecisionTree tree, ReadOnlySpan<float> x, Span<double> phi, Workspace w)
        => Recurse(tree, 0, x, phi, w.Path, 0, 0, 1, 1, -1);

    // parentStart: where the parent's copy of the path begins in storage; depth: the number of features on the path
    // before this node's extension (the root starts at 0, with a placeholder element).
    private static void Recurse(DecisionTree tree, int node, ReadOnlySpan<float> x, Span<double> phi, PathElement[] storage,
        int parentStart, int depth, double zeroFraction, double oneFraction, int feature)
    {
        // No coalition reaches a branch that neither x follows nor any training row (cover 0) reached.
        if (zeroFraction == 0 && oneFraction == 0) return;
        // Copy the parent's path and extend it.
        int start = parentStart + depth + 1;
        if (node == 0) start = 0;
        else storage.AsSpan(parentStart, depth).CopyTo(storage.AsSpan(start, depth));
        var path = storage.AsSpan(start, depth + 1);
        Extend(path, depth, zeroFraction, oneFraction, feature);

        if (tree.IsLeaf(node))
        {
            double value = tree.Value[node];
            for (int i = 1; i <= depth; i++)
            {
                double weight = UnwoundSum(path, depth, i);
                phi[path[i].Feature] += weight * (path[i].OneFraction - path[i].ZeroFraction) * value;
            }
            return;
        }

        int split = tree.Feature[node];
        bool goesLeft = x[split] <= tree.Threshold[node];
        int hot = goesLeft ? tree.Left[node] : tree.Right[node];
        int cold = goesLeft ? tree.Right[node] : tree.Left[node];
        double cover = tree.Cover[node];
        double hotZero = cover > 0 ? tree.Cover[hot] / cover : 0;
        double coldZero = cover > 0 ? tree.Cover[cold] / cover : 0;
        double incomingZero = 1, incomingOne = 1;

        // A feature split on again higher up is undone first, then redone here.
        int childDepth = depth;
        for (int i = 1; i <= depth; i++)
        {
            if (path[i].Feature != split) continue;
            incomingZero = path[i].ZeroFraction;
            incomingOne = path[i].OneFraction;
            Unwind(path, depth, i);
            childDepth = depth - 1;
            break;
        }
        Recurse(tree, hot, x, phi, storage, start, childDepth + 1, hotZero * incomingZero, incomingOne, split);
        Recurse(tree, cold, x, phi, storage, start, childDepth + 1, coldZero * incomingZero, 0, split);
    }

    private static void Extend(Span<PathElement> path, int depth, double zeroFraction, double oneFraction, int feature)
    {
        path[depth] = new PathElement { Feature = feature, ZeroFraction = zeroFraction, OneFraction = oneFraction, Weight = depth == 0 ? 1 : 0 };
        for (int i = depth - 1; i >= 0; i--)
        {
            path[i + 1].Weight += oneFraction * path[i].Weight * (i + 1) / (depth + 1);
            path[i].Weight = zeroFraction * path[i].Weight * (depth - i) / (depth + 1);
        }
    }

    private static void Unwind(Span<PathElement> path, int depth, int index)
    {
        double one = path[index].OneFraction, zero = path[index].ZeroFraction;
        double next = path[depth].Weight;
        for (int i = depth - 1; i >= 0; i--)
        {
            if (one != 0)
            {
                double previous = path[i].Weight;
                path[i].Weight = next * (depth + 1) / ((i + 1) * one);
                next = previous - path[i].Weight * zero * (depth - i) / (depth + 1);
            }
            else
            {
                path[i].Weight = path[i].Weight * (depth + 1) / (zero * (depth - i));
            }
        }
        for (int i = index; i < depth; i++)
        {
            path[i].Feature = path[i + 1].Feature;
            path[i].ZeroFraction = path[i + 1].ZeroFraction;
            path[i].OneFraction = path[i + 1].OneFraction;
        }
    }

    private static double UnwoundSum(Span<PathElement> path, int depth, int index)
    {
        double one = path[index].OneFraction, zero = path[index].ZeroFraction;
        double next = path[depth].Weight, total = 0;
        for (int i = depth - 1; i >= 0; i--)
        {
            if (one != 0)
            {
                double value = next * (depth + 1) / ((i + 1) * one);
                total += value;
                next = path[i].Weight - value * zero * (depth - i) / (depth + 1);
            }
            else if (zero != 0)
            {
                total += path[i].Weight / zero / ((double)(depth - i) / (depth + 1));
            }
        }
        return total;
    }
}
