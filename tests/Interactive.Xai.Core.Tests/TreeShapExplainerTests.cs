using System.Collections.Immutable;

namespace Interactive.Xai.Tests;

public class TreeShapExplainerTests
{
    /// <summary>x0 &lt;= 0.5 ? 1 : 3, with 6 training rows on the left and 2 on the right.</summary>
    private static TreeEnsemble SingleSplit() => new()
    {
        FeatureCount = 2,
        Trees =
        [
            new DecisionTree
            {
                Feature = [0, 0, 0], Threshold = [0.5, 0, 0], Left = [1, -1, -1], Right = [2, -1, -1],
                Value = [0, 1, 3], Cover = [8, 6, 2],
            },
        ],
    };

    [Fact]
    public void SingleSplit_PathDependentMatchesTheHandComputedAnswer()
    {
        // E f = (6 * 1 + 2 * 3) / 8 = 1.5; for x0 = 1 the prediction is 3, so phi0 = 1.5 and phi1 = 0.
        var result = new TreeShapExplainer(SingleSplit()).Explain(FeatureTable.FromArray(new float[,] { { 1, 7 }, { 0, 7 } }));
        Assert.Equal(1.5, result.BaseValue(), 12);
        Assert.Equal(1.5, result.Value(0, 0), 12);
        Assert.Equal(0.0, result.Value(0, 1), 12);
        Assert.Equal(-0.5, result.Value(1, 0), 12);
    }

    [Fact]
    public void SingleSplit_InterventionalMatchesTheHandComputedAnswer()
    {
        // Background rows x0 = 0 and x0 = 1: E f = 2; x0 = 1 gives 3, so phi0 = 1.
        var background = WeightedBackground.FromTable(FeatureTable.FromArray(new float[,] { { 0, 0 }, { 1, 0 } }));
        var result = new TreeShapExplainer(SingleSplit(), background).Explain(FeatureTable.FromArray(new float[,] { { 1, 5 } }));
        Assert.Equal(2.0, result.BaseValue(), 12);
        Assert.Equal(1.0, result.Value(0, 0), 12);
        Assert.Equal(0.0, result.Value(0, 1), 12);
    }

    [Fact]
    public void RandomEnsembles_InterventionalEqualsTheEnginesExactShapleyValues()
    {
        for (int seed = 0; seed < 5; seed++)
        {
            var model = RandomEnsemble(features: 5, trees: 6, depth: 4, seed);
            var background = WeightedBackground.FromWeightedRows(TestModels.RandomTable(6, 5, seed + 100), [1, 2, 3, 1, 2, 3]);
            var rows = TestModels.RandomTable(8, 5, seed + 200);
            var tree = new TreeShapExplainer(model, background).Explain(rows);
            var exact = new ExactShapleyExplainer(model, background).Explain(rows);
            for (int i = 0; i < tree.Values.Length; i++) Assert.Equal(exact.Values[i], tree.Values[i], 1e-5);
            Assert.True(tree.AdditivityError < 1e-6, $"additivity {tree.AdditivityError}");
        }
    }

    [Fact]
    public void RandomEnsembles_PathDependentValuesAddUpAndMatchBruteForceOnTheCoverGame()
    {
        for (int seed = 0; seed < 5; seed++)
        {
            var data = TestModels.RandomTable(300, 4, seed + 300);
            var model = RandomEnsemble(features: 4, trees: 5, depth: 5, seed).WithCovers(data);
            var rows = TestModels.RandomTable(6, 4, seed + 400);
            var result = new TreeShapExplainer(model).Explain(rows);
            Assert.True(result.AdditivityError < 1e-6, $"additivity {result.AdditivityError}");
            for (int r = 0; r < rows.RowCount; r++)
            {
                var oracle = BruteForcePathDependent(model, rows.Row(r));
                for (int j = 0; j < 4; j++) Assert.Equal(oracle[j], result.Value(r, j), 6);
            }
        }
    }

    [Fact]
    public void PathDependent_WithoutCoversIsAClearError()
    {
        var model = RandomEnsemble(3, 2, 3, seed: 1);
        Assert.Contains("covers", Assert.Throws<XaiException>(() => new TreeShapExplainer(model)).Message);
    }

    /// <summary>Shapley values of v(S) = sum over trees of E[tree | x_S] where missing features follow both branches by cover.</summary>
    private static double[] BruteForcePathDependent(TreeEnsemble model, ReadOnlySpan<float> x)
    {
        int m = model.FeatureCount;
        var xs = x.ToArray();
        double Value(int mask)
        {
            double total = model.Bias;
            foreach (var tree in model.Trees)
            {
                double Walk(int node)
                {
                    if (tree.IsLeaf(node)) return tree.Value[node];
                    int d = tree.Feature[node];
                    if ((mask & (1 << d)) != 0) return Walk(xs[d] <= tree.Threshold[node] ? tree.Left[node] : tree.Right[node]);
                    double c = tree.Cover[node];
                    if (c == 0) return 0; // no training row reached it: both branches weigh zero
                    return (tree.Cover[tree.Left[node]] * Walk(tree.Left[node]) + tree.Cover[tree.Right[node]] * Walk(tree.Right[node])) / c;
                }
                total += model.Scale * Walk(0);
            }
            return total;
        }
        var phi = new double[m];
        var weights = new double[m];
        for (int s = 0; s < m; s++) weights[s] = Factorial(s) * Factorial(m - s - 1) / Factorial(m);
        for (int mask = 0; mask < 1 << m; mask++)
            for (int j = 0; j < m; j++)
                if ((mask & (1 << j)) == 0)
                    phi[j] += weights[System.Numerics.BitOperations.PopCount((uint)mask)] * (Value(mask | (1 << j)) - Value(mask));
        return phi;
    }

    private static double Factorial(int n) => n <= 1 ? 1 : n * Factorial(n - 1);

    /// <summary>Random full trees that reuse features along paths (so the unwinding of repeated splits is exercised).</summary>
    internal static TreeEnsemble RandomEnsemble(int features, int trees, int depth, int seed)
    {
        var random = new Random(seed);
        var list = new List<DecisionTree>();
        for (int t = 0; t < trees; t++)
        {
            var feature = new List<int>(); var threshold = new List<double>(); var left = new List<int>(); var right = new List<int>(); var value = new List<double>();
            int Build(int level)
            {
                int index = feature.Count;
                feature.Add(0); threshold.Add(0); left.Add(-1); right.Add(-1); value.Add(0);
                if (level == depth || (level > 1 && random.NextDouble() < 0.2))
                {
                    value[index] = Math.Round(random.NextDouble() * 4 - 2, 3);
                    return index;
                }
                feature[index] = random.Next(features);
                threshold[index] = Math.Round(random.NextDouble() * 1.6 - 0.8, 2);
                left[index] = Build(level + 1);
                right[index] = Build(level + 1);
                return index;
            }
            Build(0);
            list.Add(new DecisionTree
            {
                Feature = feature.ToImmutableArray(), Threshold = threshold.ToImmutableArray(), Left = left.ToImmutableArray(),
                Right = right.ToImmutableArray(), Value = value.ToImmutableArray(),
            });
        }
        return new TreeEnsemble { FeatureCount = features, Trees = list.ToImmutableArray(), Bias = 0.25 };
    }
}
