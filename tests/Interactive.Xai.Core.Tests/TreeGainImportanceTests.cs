namespace Interactive.Xai.Tests;

public class TreeGainImportanceTests
{
    /// <summary>x0 &lt;= 0.5 ? 1 (6 rows) : (x1 &lt;= 2 ? 3 (1 row) : 5 (3 rows)).</summary>
    private static DecisionTree HandTree(bool covers = true) => new()
    {
        Feature = [0, -1, 1, -1, -1], Threshold = [0.5, 0, 2, 0, 0], Left = [1, -1, 3, -1, -1], Right = [2, -1, 4, -1, -1],
        Value = [0, 1, 0, 3, 5], Cover = covers ? [10, 6, 4, 1, 3] : [],
    };

    // Rows reaching the leaves as the covers say: 6 with x0 <= 0.5, one with x0 > 0.5 and x1 <= 2, three with x1 > 2.
    private static FeatureTable HandRows() => FeatureTable.FromArray(new float[,]
    {
        { 0, 0 }, { 0, 9 }, { 0.1f, 1 }, { 0.2f, 3 }, { 0.3f, 5 }, { 0.5f, 0 }, { 1, 2 }, { 1, 3 }, { 2, 4 }, { 3, 5 },
    }, ["a", "b"]);

    [Fact]
    public void Gains_of_a_hand_built_tree_are_its_squared_error_reductions()
    {
        // Right node: mean (3 + 3 * 5) / 4 = 4.5, gain 1 * 3 / 4 * (3 - 5)^2 = 3.
        // Root: mean (6 * 1 + 4 * 4.5) / 10 = 2.4, gain 6 * 4 / 10 * (1 - 4.5)^2 = 29.4.
        // Check by squared errors of the 10 rows' outputs (six 1s, one 3, three 5s): about 2.4 they are
        // 6 * 1.96 + 0.36 + 3 * 6.76 = 32.4; after the root split 0 + (1.5^2 + 3 * 0.5^2) = 3; after both 0.
        var gains = TreeGainImportance.NodeGains(HandTree());
        Assert.Equal(29.4, gains[0], 12);
        Assert.Equal(3.0, gains[2], 12);
        Assert.Equal([0.0, 0.0, 0.0], new[] { gains[1], gains[3], gains[4] });

        var importance = TreeGainImportance.Compute(new TreeEnsemble { Trees = [HandTree()], FeatureCount = 2, FeatureNames = ["a", "b"] });
        Assert.Equal([1, 1], importance.SplitCounts.ToArray());
        Assert.Equal(29.4, importance.Gains[0], 12);
        Assert.Equal(3.0, importance.Gains[1], 12);
        Assert.Equal(29.4 / 32.4, importance.NormalizedGains[0], 12);
        Assert.Equal(3 / 32.4, importance.NormalizedGains[1], 12);
        Assert.Equal("model", importance.CoverSource);
    }

    [Fact]
    public void Gains_add_over_trees_and_scale_with_the_square_of_the_ensemble_scale()
    {
        var forest = new TreeEnsemble { Trees = [HandTree(), HandTree() with { Feature = [1, -1, 1, -1, -1] }], FeatureCount = 2, Scale = 0.5 };
        var importance = TreeGainImportance.Compute(forest);
        Assert.Equal([1, 3], importance.SplitCounts.ToArray());
        Assert.Equal(0.25 * 29.4, importance.Gains[0], 12);
        Assert.Equal(0.25 * (3 + 29.4 + 3), importance.Gains[1], 12);
        Assert.Equal(["feature 0", "feature 1"], importance.FeatureNames.ToArray());
    }

    [Fact]
    public void Without_stored_covers_the_rows_of_the_data_give_the_same_gains()
    {
        var ensemble = new TreeEnsemble { Trees = [HandTree(covers: false)], FeatureCount = 2 };
        Assert.Contains("give data rows", Assert.Throws<XaiException>(() => TreeGainImportance.Compute(ensemble)).Message);
        var importance = TreeGainImportance.Compute(ensemble, HandRows());
        Assert.Equal(29.4, importance.Gains[0], 12);
        Assert.Equal(3.0, importance.Gains[1], 12);
        Assert.Equal("data (10 rows)", importance.CoverSource);
    }

    [Fact]
    public void The_gains_of_a_tree_add_up_to_the_squared_deviation_of_its_outputs_over_the_rows_that_gave_its_covers()
    {
        // A deeper tree on random rows: with covers counted on the rows, the sum of the node gains is
        // sum_r (t(x_r) - mean t)^2, computed here directly from the tree's outputs.
        var tree = new DecisionTree
        {
            Feature = [0, 1, 2, -1, -1, -1, 1, -1, -1], Threshold = [0, 0.3, -0.2, 0, 0, 0, -0.5, 0, 0],
            Left = [1, 2, 3, -1, -1, -1, 7, -1, -1], Right = [6, 5, 4, -1, -1, -1, 8, -1, -1],
            Value = [0, 0, 0, -2, 1.5, 4, 0, 0.25, -7],
        };
        var data = TestModels.RandomTable(300, 3, seed: 7);
        var ensemble = new TreeEnsemble { Trees = [tree], FeatureCount = 3 }.WithCovers(data);
        double total = TreeGainImportance.NodeGains(ensemble.Trees[0]).Sum();
        var outputs = Enumerable.Range(0, data.RowCount).Select(r => tree.Predict(data.Row(r))).ToArray();
        double mean = outputs.Average();
        Assert.Equal(outputs.Sum(o => (o - mean) * (o - mean)), total, 9);
    }
}
