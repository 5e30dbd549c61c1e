namespace Interactive.Xai.Tests;

public class GlobalSurrogateTests
{
    /// <summary>A grid of (i + 0.5) / nx by (j + 0.5) / ny, nx * ny rows.</summary>
    private static FeatureTable Grid(int nx, int ny)
    {
        var rows = new List<float[]>();
        for (int i = 0; i < nx; i++)
            for (int j = 0; j < ny; j++) rows.Add([(i + 0.5f) / nx, (j + 0.5f) / ny]);
        return FeatureTable.FromRows(rows, ["x0", "x1"]);
    }

    /// <summary>x0 &lt;= 0.5 ? (x1 &lt;= 0.3 ? 0 : 1) : (x1 &lt;= 0.7 ? 10 : 12): a depth-2 tree.</summary>
    private static TreeEnsemble DepthTwoModel() => new()
    {
        FeatureCount = 2, FeatureNames = ["x0", "x1"],
        Trees =
        [
            new DecisionTree
            {
                Feature = [0, 1, -1, -1, 1, -1, -1], Threshold = [0.5, 0.3, 0, 0, 0.7, 0, 0],
                Left = [1, 2, -1, -1, 5, -1, -1], Right = [4, 3, -1, -1, 6, -1, -1], Value = [0, 0, 0, 1, 0, 10, 12],
            },
        ],
    };

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void A_model_that_is_a_depth_two_tree_is_recovered_exactly(int depth)
    {
        var data = Grid(10, 10);
        var model = DepthTwoModel();
        var surrogate = GlobalSurrogate.Fit(model, data, new GlobalSurrogateOptions { MaxDepth = depth });
        Assert.Equal(1.0, surrogate.Fidelity);
        Assert.Equal(SurrogateTask.Regression, surrogate.Task);
        var tree = surrogate.Tree;
        // the same splits (thresholds halfway between grid points, which sit at 0.05, 0.15, ...): the leaves are pure, so no deeper split
        Assert.Equal(7, tree.NodeCount);
        Assert.Equal(2, tree.Depth);
        Assert.Equal(0, tree.Feature[0]);
        Assert.Equal(0.5, tree.Threshold[0], 6);
        var (left, right) = (tree.Left[0], tree.Right[0]);
        Assert.Equal((1, 0.3), (tree.Feature[left], Math.Round(tree.Threshold[left], 6)));
        Assert.Equal((1, 0.7), (tree.Feature[right], Math.Round(tree.Threshold[right], 6)));
        for (int r = 0; r < data.RowCount; r++) Assert.Equal(model.Predict(data.Row(r)), surrogate.Predict(data.Row(r)));
        // node values are the mean outputs of their rows; covers their row counts
        Assert.Equal(100, tree.Cover[0]);
        Assert.Equal((0.7 * 50 + 10.6 * 50) / 100, tree.Value[0], 12);
        Assert.Equal(100, surrogate.ModelEvaluations);
    }

    [Fact]
    public void A_linear_model_is_first_split_at_the_middle_of_its_steepest_feature()
    {
        // f = 3 x0 + x1 on a 20 x 5 grid. The best single split of a uniform grid under squared error is its median,
        // on x0 (the larger variance of the two terms): halves' means 3 * 0.25 + 0.5 and 3 * 0.75 + 0.5.
        // Var f = 9 (20^2 - 1) / (12 * 20^2) + (5^2 - 1) / (12 * 5^2) = 0.748125 + 0.08; within a half,
        // 9 (10^2 - 1) / (12 * 20^2) + 0.08 = 0.265625; so R^2 = 1 - 0.265625 / 0.828125.
        var data = Grid(20, 5);
        var model = DelegateModel.Linear([3f, 1f], 0, data.FeatureNames);
        var surrogate = GlobalSurrogate.Fit(model, data, new GlobalSurrogateOptions { MaxDepth = 1 });
        var tree = surrogate.Tree;
        Assert.Equal(3, tree.NodeCount);
        Assert.Equal(0, tree.Feature[0]);
        Assert.Equal(0.5, tree.Threshold[0], 6);
        Assert.Equal(1.25, tree.Value[tree.Left[0]], 5);
        Assert.Equal(2.75, tree.Value[tree.Right[0]], 5);
        Assert.Equal((50.0, 50.0), (tree.Cover[tree.Left[0]], tree.Cover[tree.Right[0]]));
        Assert.Equal(1 - 0.265625 / 0.828125, surrogate.Fidelity, 5);
        // deeper trees imitate it better
        Assert.True(GlobalSurrogate.Fit(model, data, new GlobalSurrogateOptions { MaxDepth = 3 }).Fidelity > surrogate.Fidelity);
    }

    [Fact]
    public void A_classifier_is_imitated_on_its_predicted_class_with_accuracy_as_fidelity()
    {
        // outputs (x0, 1 - x0, 0.2): class 0 when x0 > 0.5, else class 1; class 2 never wins
        var data = Grid(10, 3);
        var model = DelegateModel.FromRowFunction(2, ["a", "b", "c"], (x, y) => { y[0] = x[0]; y[1] = 1 - x[0]; y[2] = 0.2f; }, data.FeatureNames);
        var surrogate = GlobalSurrogate.Fit(model, data, new GlobalSurrogateOptions { MaxDepth = 2 });
        Assert.Equal(SurrogateTask.Classification, surrogate.Task);
        Assert.Equal("accuracy", surrogate.FidelityName);
        Assert.Equal(1.0, surrogate.Fidelity);
        Assert.Equal(3, surrogate.Tree.NodeCount);
        Assert.Equal(0.5, surrogate.Tree.Threshold[0], 6);
        Assert.Equal((1.0, 0.0), (surrogate.Tree.Value[surrogate.Tree.Left[0]], surrogate.Tree.Value[surrogate.Tree.Right[0]]));
        Assert.Equal(["a", "b", "c"], surrogate.ClassNames.ToArray());
    }

    [Fact]
    public void A_depth_one_tree_on_labels_it_cannot_fit_reports_the_accuracy_it_reaches()
    {
        // XOR of two halves: no single split helps (every split leaves half the rows wrong), so the root stays a leaf: accuracy 1/2
        var data = Grid(4, 4);
        var labels = Enumerable.Range(0, data.RowCount).Select(r => (double)((data[r, 0] > 0.5) ^ (data[r, 1] > 0.5) ? 1 : 0)).ToArray();
        var surrogate = GlobalSurrogate.Fit(data, labels, SurrogateTask.Classification, new GlobalSurrogateOptions { MaxDepth = 1 });
        Assert.Equal(0.5, surrogate.Fidelity);
    }

    [Fact]
    public void Fitting_is_deterministic_and_bad_options_are_one_clear_error()
    {
        var data = TestModels.RandomTable(200, 4, seed: 3);
        var model = TestModels.Nonlinear(4);
        var a = GlobalSurrogate.Fit(model, data, new GlobalSurrogateOptions { MaxDepth = 4 });
        var b = GlobalSurrogate.Fit(model, data, new GlobalSurrogateOptions { MaxDepth = 4 });
        Assert.Equal(a.Tree.Threshold.ToArray(), b.Tree.Threshold.ToArray());
        Assert.Equal(a.Tree.Feature.ToArray(), b.Tree.Feature.ToArray());
        Assert.Equal(a.Fidelity, b.Fidelity);
        Assert.Contains("depth 0 is outside 1..6", Assert.Throws<XaiException>(() => GlobalSurrogate.Fit(model, data, new GlobalSurrogateOptions { MaxDepth = 0 })).Message);
        Assert.Contains("depth 9 is outside", Assert.Throws<XaiException>(() => GlobalSurrogate.Fit(model, data, new GlobalSurrogateOptions { MaxDepth = 9 })).Message);
    }
}
