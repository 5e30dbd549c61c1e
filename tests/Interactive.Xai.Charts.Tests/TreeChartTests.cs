using Interactive.Xai.Charts;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

public sealed class TreeChartTests
{
    // node 0: a <= 0.5 ? leaf 1 (-1) : node 2; node 2: b <= 2 ? leaf 3 (3) : leaf 4 (5)
    private static readonly DecisionTree Small = new()
    {
        Feature = [0, -1, 1, -1, -1],
        Threshold = [0.5, 0, 2, 0, 0],
        Left = [1, -1, 3, -1, -1],
        Right = [2, -1, 4, -1, -1],
        Value = [0, -1, 0, 3, 5],
        Cover = [10, 4, 6, 1, 5],
    };

    private static readonly TreeEnsemble Ensemble = new()
    {
        Trees = [Small, Small with { Feature = [1, -1, 1, -1, -1] }],
        FeatureCount = 3,
        FeatureNames = ["a", "b", XssName],
    };

    [Fact]
    public void A_tree_is_drawn_with_leaves_in_order_and_parents_centred_over_their_children()
    {
        var traces = Traces(TreeCharts.Tree(Ensemble, 0));
        Assert.Equal(3, traces.Length);
        var splits = traces[1];
        Assert.Equal(["a ≤ 0.5", "b ≤ 2"], Strings(splits.GetProperty("text")));
        Assert.Equal([0.75, 1.5], Numbers(splits.GetProperty("x")));
        Assert.Equal([0.0, -1], Numbers(splits.GetProperty("y")));
        var leaves = traces[2];
        Assert.Equal([0.0, 1, 2], Numbers(leaves.GetProperty("x")));
        Assert.Equal([-1.0, -2, -2], Numbers(leaves.GetProperty("y")));
        Assert.Equal(["-1", "3", "5"], Strings(leaves.GetProperty("text")));
        Assert.Contains("cover 5", leaves.GetProperty("hovertext")[2].GetString());
        // Four parent-child edges, each two points and a gap.
        Assert.Equal(12, traces[0].GetProperty("x").GetArrayLength());
        Assert.Throws<ArgumentOutOfRangeException>(() => TreeCharts.Tree(Ensemble, 2));
    }

    [Fact]
    public void Split_counts_add_up_over_trees_and_names_are_escaped()
    {
        var chart = TreeCharts.SplitCounts(Ensemble);
        var bar = Assert.Single(Traces(chart));
        Assert.Equal([0.0, 1, 3], Numbers(bar.GetProperty("x")));
        Assert.Equal(["&lt;img src=x onerror=alert(1)&gt;", "a", "b"], Strings(Layout(chart).GetProperty("yaxis").GetProperty("ticktext")));
        Assert.Equal([0.0, 10, 6 + 10 + 6], Numbers(bar.GetProperty("customdata")));
    }
}
