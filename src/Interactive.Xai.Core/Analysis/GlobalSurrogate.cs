using System.Collections.Immutable;
using System.Diagnostics;

namespace Interactive.Xai;

/// <summary>What a global surrogate tree imitates.</summary>
public enum SurrogateTask
{
    /// <summary>One numeric output: a least-squares regression tree; fidelity is R².</summary>
    Regression,

    /// <summary>The model's predicted class (the index of its largest output): a classification tree (Gini impurity); fidelity is accuracy.</summary>
    Classification,
}

/// <summary>Options of <see cref="GlobalSurrogate"/>.</summary>
public sealed record GlobalSurrogateOptions
{
    /// <summary>The most splits from the root to a leaf (1 to <see cref="GlobalSurrogate.MaxDepth"/>; default 3).</summary>
    public int MaxDepth { get; init; } = 3;

    /// <summary>The fewest rows a leaf may hold (default 1).</summary>
    public int MinRowsPerLeaf { get; init; } = 1;
}

/// <summary>
/// A shallow decision tree fitted to a model's predictions (a global surrogate, the "grey-box" view of a black-box
/// model), with its fidelity on the rows it was fitted to.
/// </summary>
public sealed record SurrogateTree
{
    /// <summary>The method name used in results and on the command line.</summary>
    public const string MethodName = "surrogate";

    /// <summary>
    /// The tree. Unlike an ensemble's trees, every node carries a <see cref="DecisionTree.Value"/> (the mean model
    /// output of its rows, or for classification the most frequent class index) and a <see cref="DecisionTree.Cover"/>
    /// (its number of rows).
    /// </summary>
    public required DecisionTree Tree { get; init; }

    /// <summary>The feature names, in the data's order.</summary>
    public required ImmutableArray<string> FeatureNames { get; init; }

    /// <summary>Regression (R²) or classification (accuracy).</summary>
    public required SurrogateTask Task { get; init; }

    /// <summary>The output imitated (regression), or "predicted class".</summary>
    public required string OutputName { get; init; }

    /// <summary>The model's output names: for classification, the class a leaf value indexes.</summary>
    public required ImmutableArray<string> ClassNames { get; init; }

    /// <summary>
    /// How well the tree reproduces the model on the fitted rows: for regression R² = 1 - Σ(f - t)² / Σ(f - mean f)²
    /// (1 when the model is constant and the tree matches it); for classification the fraction of rows whose
    /// predicted class the tree gives.
    /// </summary>
    public required double Fidelity { get; init; }

    /// <summary>The number of rows fitted.</summary>
    public required int RowCount { get; init; }

    /// <summary>The depth limit it was fitted with.</summary>
    public required int MaxDepth { get; init; }

    /// <summary>The wall time, model included.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Rows sent to the model.</summary>
    public long ModelEvaluations { get; init; }

    /// <summary>"R²" or "accuracy".</summary>
    public string FidelityName => Task == SurrogateTask.Regression ? "R²" : "accuracy";

    /// <summary>The tree's prediction for a row (a class index for classification).</summary>
    public double Predict(ReadOnlySpan<float> row)
    {
        int node = 0;
        while (!Tree.IsLeaf(node)) node = row[Tree.Feature[node]] <= Tree.Threshold[node] ? Tree.Left[node] : Tree.Right[node];
        return Tree.Value[node];
    }
}

/// <summary>
/// Fits a global surrogate: CART (binary splits x[f] &lt;= t, grown greedily to a depth limit) on a model's
/// predictions. Regression trees minimise the sum of squared errors, classification trees the cover-weighted Gini
/// impurity. Thresholds lie halfway between consecutive distinct values of a feature. Deterministic: among equally
/// good splits the lowest feature index wins, then the lowest threshold; a split must reduce the criterion by more
/// than a relative 1e-12 to be made.
/// </summary>
public static class GlobalSurrogate
{
    /// <summary>The deepest tree offered (a surrogate is meant to be read).</summary>
    public const int MaxDepth = 6;

    /// <summary>
    /// Runs the model on <paramref name="data"/> and fits a tree to its output <paramref name="target"/> (regression)
    /// or to its predicted class (classification; the default for models with several outputs when
    /// <paramref name="task"/> is null).
    /// </summary>
    public static SurrogateTree Fit(IModel model, FeatureTable data, GlobalSurrogateOptions? options = null, int target = 0, SurrogateTask? task = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        int k = model.OutputCount();
        var kind = task ?? (k > 1 ? SurrogateTask.Classification : SurrogateTask.Regression);
        if (kind == SurrogateTask.Regression && (uint)target >= (uint)k) throw new XaiException($"output {target} is outside the model's {k} outputs");
        if (kind == SurrogateTask.Classification && k < 2) throw new XaiException("a classification surrogate needs a model with one output per class; this model has one output");
        var stopwatch = Stopwatch.StartNew();
        var outputs = model.Predict(data);
        var y = new double[data.RowCount];
        for (int r = 0; r < y.Length; r++)
        {
            if (kind == SurrogateTask.Regression) y[r] = outputs[r * k + target];
            else
            {
                int best = 0;
                for (int j = 1; j < k; j++) if (outputs[r * k + j] > outputs[r * k + best]) best = j;
                y[r] = best;
            }
        }
        var result = Fit(data, y, kind, options, cancellationToken);
        return result with
        {
            OutputName = kind == SurrogateTask.Regression ? model.OutputNames[target] : "predicted class",
            ClassNames = [.. model.OutputNames],
            Elapsed = stopwatch.Elapsed,
            ModelEvaluations = data.RowCount,
        };
    }

    /// <summary>Fits a tree to given targets: model outputs (regression) or class indices 0, 1, ... (classification).</summary>
    public static SurrogateTree Fit(FeatureTable data, IReadOnlyList<double> targets, SurrogateTask task = SurrogateTask.Regression,
        GlobalSurrogateOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(targets);
        options ??= new GlobalSurrogateOptions();
        if (options.MaxDepth < 1 || options.MaxDepth > MaxDepth) throw new XaiException($"the surrogate's depth {options.MaxDepth} is outside 1..{MaxDepth}");
        if (options.MinRowsPerLeaf < 1) throw new XaiException($"a leaf needs at least one row (MinRowsPerLeaf {options.MinRowsPerLeaf})");
        if (targets.Count != data.RowCount) throw new XaiException($"{targets.Count} targets for {data.RowCount} rows");
        if (data.RowCount == 0) throw new XaiException("a surrogate tree needs at least one row");
        var y = targets.ToArray();
        for (int r = 0; r < y.Length; r++)
        {
            if (!double.IsFinite(y[r])) throw new XaiException($"the model returned {y[r]} for row {r}; a surrogate needs finite outputs");
            if (task == SurrogateTask.Classification && (y[r] < 0 || y[r] != Math.Floor(y[r]))) throw new XaiException($"class {y[r]} of row {r} is not a class index");
        }
        int classes = task == SurrogateTask.Classification ? (int)y.Max() + 1 : 0;
        var builder = new Builder(data, y, classes, options, cancellationToken);
        builder.Grow(Enumerable.Range(0, data.RowCount).ToArray(), 0);
        var tree = builder.ToTree();

        double fidelity;
        if (task == SurrogateTask.Regression)
        {
            double mean = y.Average(), sse = 0, sst = 0;
            for (int r = 0; r < y.Length; r++)
            {
                double t = tree.Predict(data.Row(r));
                sse += (y[r] - t) * (y[r] - t);
                sst += (y[r] - mean) * (y[r] - mean);
            }
            fidelity = sst > 0 ? 1 - sse / sst : sse == 0 ? 1 : 0;
        }
        else
        {
            int right = 0;
            for (int r = 0; r < y.Length; r++) if (tree.Predict(data.Row(r)) == y[r]) right++;
            fidelity = (double)right / y.Length;
        }
        return new SurrogateTree
        {
            Tree = tree,
            FeatureNames = data.FeatureNames,
            Task = task,
            OutputName = task == SurrogateTask.Regression ? "output" : "predicted class",
            ClassNames = task == SurrogateTask.Classification ? [.. Enumerable.Range(0, classes).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture))] : [],
            Fidelity = fidelity,
            RowCount = data.RowCount,
            MaxDepth = options.MaxDepth,
        };
    }

    private sealed class Builder(FeatureTable data, double[] y, int classes, GlobalSurrogateOptions options, CancellationToken cancellationToken)
    {
        private readonly List<int> _feature = [], _left = [], _right = [];
        private readonly List<double> _threshold = [], _value = [], _cover = [];

        public DecisionTree ToTree() => new()
        {
            Feature = [.. _feature], Threshold = [.. _threshold], Left = [.. _left], Right = [.. _right], Value = [.. _value], Cover = [.. _cover],
        };

        /// <summary>Adds the node for <paramref name="rows"/> and its subtree; returns its index.</summary>
        public int Grow(int[] rows, int depth)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int node = _feature.Count;
            _feature.Add(-1); _threshold.Add(0); _left.Add(-1); _right.Add(-1);
            _value.Add(NodeValue(rows)); _cover.Add(rows.Length);
            if (depth >= options.MaxDepth || rows.Length < 2 * options.MinRowsPerLeaf) return node;
            double impurity = Impurity(rows);
            if (impurity <= 0) return node;
            var (feature, threshold, childImpurity) = BestSplit(rows);
            if (feature < 0 || !(impurity - childImpurity > 1e-12 * Math.Max(impurity, 1e-300))) return node;
            var left = rows.Where(r => data[r, feature] <= threshold).ToArray();
            var right = rows.Where(r => data[r, feature] > threshold).ToArray();
            _feature[node] = feature;
            _threshold[node] = threshold;
            int l = Grow(left, depth + 1);
            int rr = Grow(right, depth + 1);
            _left[node] = l;
            _right[node] = rr;
            return node;
        }

        private double NodeValue(int[] rows)
        {
            if (classes == 0) return rows.Average(r => y[r]);
            var counts = new int[classes];
            foreach (int r in rows) counts[(int)y[r]]++;
            int best = 0;
            for (int c = 1; c < classes; c++) if (counts[c] > counts[best]) best = c;
            return best;
        }

        // Regression: the sum of squared errors about the mean. Classification: rows x Gini impurity.
        private double Impurity(int[] rows)
        {
            if (classes == 0)
            {
                double mean = rows.Average(r => y[r]);
                return rows.Sum(r => (y[r] - mean) * (y[r] - mean));
            }
            var counts = new double[classes];
            foreach (int r in rows) counts[(int)y[r]]++;
            return rows.Length - counts.Sum(c => c * c) / rows.Length;
        }

        private (int Feature, double Threshold, double Impurity) BestSplit(int[] rows)
        {
            int n = rows.Length, bestFeature = -1;
            double bestThreshold = 0, best = double.PositiveInfinity;
            var values = new float[n];
            var order = new int[n];
            int minLeaf = options.MinRowsPerLeaf;
            for (int f = 0; f < data.ColumnCount; f++)
            {
                for (int i = 0; i < n; i++) { values[i] = data[rows[i], f]; order[i] = rows[i]; }
                Array.Sort(values, order);
                if (values[0] == values[n - 1]) continue;
                // Running sums of the left part; the right part is the total minus them.
                double sumL = 0, sqL = 0, sum = 0, sq = 0;
                var countsL = new double[classes];
                var counts = new double[classes];
                foreach (int r in order)
                {
                    if (classes == 0) { sum += y[r]; sq += y[r] * y[r]; }
                    else counts[(int)y[r]]++;
                }
                for (int i = 0; i < n - 1; i++)
                {
                    int r = order[i];
                    if (classes == 0) { sumL += y[r]; sqL += y[r] * y[r]; }
                    else countsL[(int)y[r]]++;
                    if (values[i] == values[i + 1]) continue;
                    int nl = i + 1, nr = n - nl;
                    if (nl < minLeaf || nr < minLeaf) continue;
                    double impurity;
                    if (classes == 0)
                    {
                        double sumR = sum - sumL, sqR = sq - sqL;
                        impurity = Math.Max(0, sqL - sumL * sumL / nl) + Math.Max(0, sqR - sumR * sumR / nr);
                    }
                    else
                    {
                        double giniL = 0, giniR = 0;
                        for (int c = 0; c < classes; c++)
                        {
                            giniL += countsL[c] * countsL[c];
                            giniR += (counts[c] - countsL[c]) * (counts[c] - countsL[c]);
                        }
                        impurity = nl - giniL / nl + nr - giniR / nr;
                    }
                    // strictly better (beyond rounding) wins; ties keep the earlier feature and the lower threshold
                    if (impurity < best - 1e-12 * Math.Max(Math.Abs(best), 1e-300) || bestFeature < 0)
                    {
                        best = impurity;
                        bestFeature = f;
                        bestThreshold = ((double)values[i] + values[i + 1]) / 2;
                        if (bestThreshold >= values[i + 1]) bestThreshold = values[i];
                    }
                }
            }
            return (bestFeature, bestThreshold, best);
        }
    }
}
