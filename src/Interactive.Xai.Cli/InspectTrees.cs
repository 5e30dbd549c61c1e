using System.Globalization;
using Interactive.Xai.Charts;
using Interactive.Xai.Hosting;

namespace Interactive.Xai.Cli;

/// <summary>
/// What `xai inspect` adds for tree-ensemble models (ML.NET FastTree, FastForest, LightGBM): split counts per feature
/// and, with --data (ML.NET trees keep no node covers, so the rows reaching each node are counted on it), the
/// gain-based importance next to them.
/// </summary>
internal static class InspectTrees
{
    /// <summary>Loads the model's trees when it is an ML.NET tree ensemble; null for other models.</summary>
    public static LoadedModel? TryLoad(string modelPath)
    {
        if (!modelPath.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) return null;
        LoadedModel loaded;
        try
        {
            loaded = ModelFiles.Load(modelPath);
        }
        catch (XaiException)
        {
            return null; // the structure reader already read what it could; a model that does not load has no trees to show
        }
        if (ModelViewRunner.Trees(loaded.Model) is not null) return loaded;
        loaded.Dispose();
        return null;
    }

    /// <summary>The importance (null without --data when the trees have no covers), and a summary sentence.</summary>
    public static (TreeFeatureImportance? Importance, string Summary) Importance(IModel model, string? dataPath)
    {
        var trees = ModelViewRunner.Trees(model)!;
        FeatureTable? data = null;
        if (dataPath is not null)
        {
            data = CsvTableReader.Read(dataPath);
            // other columns (a label) take no part in routing rows through the trees
            data = model.FeatureNames is { } names && names.All(data.FeatureNames.Contains)
                ? data.SelectColumns(names)
                : ExplanationRunner.MatchModelColumns(data, model, dataPath, ColumnMatching.Auto);
        }
        if (!trees.HasCovers && data is null)
            return (null, string.Create(CultureInfo.InvariantCulture, $"{trees.Trees.Length} trees; gain importance needs --data (the rows whose paths give the node covers)"));
        var importance = ModelViewRunner.TreeGains(trees, data);
        var top = Enumerable.Range(0, importance.FeatureCount).OrderByDescending(f => importance.Gains[f]).Take(3)
            .Select(f => string.Create(CultureInfo.InvariantCulture, $"{ExplanationRunner.Printable(importance.FeatureNames[f])} {100 * importance.NormalizedGains[f]:F1} %"));
        return (importance, string.Create(CultureInfo.InvariantCulture, $"{trees.Trees.Length} trees; largest share of split gain: {string.Join(", ", top)}"));
    }

    /// <summary>The report's tree section.</summary>
    public static void AddTo(HtmlReport report, IModel model, TreeFeatureImportance? importance)
    {
        var trees = ModelViewRunner.Trees(model)!;
        report.AddHeading("Trees");
        report.AddParagraph(importance is null
            ? "Split counts per feature. The trees keep no node covers: give --data to count the rows reaching each node and see the gain-based importance beside the split counts."
            : "Each feature's share of the total split gain (the cover-weighted squared-error reduction of its splits: for a split with children L and R, "
              + "c_L c_R / (c_L + c_R) (v_L − v_R)², c = rows reaching a child, v = its mean leaf value) next to how often it is split on. "
              + "A feature split often for little gain refines the model locally; one with a large gain share decides the big steps.");
        report.AddChart(importance is null ? TreeCharts.SplitCounts(trees) : TreeImportanceCharts.GainAndSplits(importance));
    }
}
