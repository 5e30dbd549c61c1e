using Interactive.Xai.Hosting;

namespace Interactive.Xai.Notebook;

public sealed partial class MagicCommandDispatcher
{
    private void Force(CommandContext context, Action<object> show)
    {
        var model = ResolveModel(context);
        var (data, _) = ResolveData(context, model, "data");
        var rows = SelectRows(data, context.Get("rows"));
        var order = ModelViewRunner.ParseOrder(context.Get("order"));
        if (order == ForceOrder.Similarity && rows.RowCount > ForcePlot.MaxClusteredRows)
            throw new XaiException($"--order similarity clusters at most {ForcePlot.MaxClusteredRows} rows and {rows.RowCount} were selected: use --order prediction, or fewer --rows");
        int row = context.GetInt("row") ?? 0;
        if (row < 0 || row >= rows.RowCount) throw new XaiException($"--row {row} is outside the {rows.RowCount} explained rows");
        FeatureTable? background = context.Get("background") is { } b ? ResolveData(context, model, "background", b).Table : null;
        var request = new ExplanationRequest { Method = ModelViewRunner.Force, Target = context.Get("target") ?? "0", Samples = context.GetInt("samples"), Seed = context.GetInt("seed") ?? 42 };
        var shap = ModelViewRunner.ForceAttributions(_runner, model, rows, context.Get("method"), request,
            new ExplanationInputs { Reference = data, Background = background }, context.Progress, context.CancellationToken);
        show(new ForceView(shap, order, row));
    }

    private void Surrogate(CommandContext context, Action<object> show)
    {
        var model = ResolveModel(context);
        var (data, _) = ResolveData(context, model, "data");
        show(ModelViewRunner.FitSurrogate(model, data, context.GetInt("depth") ?? 3, context.Get("target"), context.CancellationToken));
    }

    private void OutputCorrelation(CommandContext context, Action<object> show)
    {
        var model = ResolveModel(context);
        var (data, _) = ResolveData(context, model, "data");
        show(ModelViewRunner.CorrelateWithOutput(model, data, context.Get("target"), context.CancellationToken));
    }

    private void TreeImportance(CommandContext context, Action<object> show)
    {
        var model = ResolveModel(context);
        var trees = ModelViewRunner.Trees(model)
            ?? throw new XaiException($"--model {context.Get("model")}: a {model.GetType().Name} is not a tree ensemble (TreeEnsemble, or an ML.NET FastTree, FastForest or LightGBM model)");
        FeatureTable? data = context.Get("data") is not null ? ResolveData(context, model, "data").Table : null;
        if (!trees.HasCovers && data is null)
            throw new XaiException("#!xai-tree-importance: the trees keep no node covers; give --data (rows whose paths through the trees count them)");
        show(ModelViewRunner.TreeGains(trees, data));
    }
}
