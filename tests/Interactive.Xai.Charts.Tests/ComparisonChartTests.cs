using Interactive.Xai.Charts;
using static Interactive.Xai.Charts.Tests.Fixtures;

namespace Interactive.Xai.Charts.Tests;

public sealed class ComparisonChartTests
{
    [Fact]
    public void The_title_names_the_explained_output_for_one_output_other_than_0_and_for_predicted()
    {
        // Targets hold output indexes (or -1 for predicted) while OutputNames hold one name per slot: the title must
        // read the slot's name, not index OutputNames by the output index.
        var model = DelegateModel.FromRowFunction(2, ["a", "b", "c"], (x, o) => { o[0] = x[0]; o[1] = x[1]; o[2] = x[0] + x[1]; });
        var rows = FeatureTable.FromRows([[1f, 2f]]);
        var explainer = new OcclusionExplainer(model);
        string Title(AttributionExplanation e) => Layout(ComparisonCharts.Bars([e], 0)).GetProperty("title").GetProperty("text").GetString()!;
        Assert.EndsWith("(c)", Title(explainer.Explain(rows, OutputTarget.Output(2))), StringComparison.Ordinal);
        Assert.EndsWith("(predicted)", Title(explainer.Explain(rows, OutputTarget.Predicted)), StringComparison.Ordinal);
    }
}
