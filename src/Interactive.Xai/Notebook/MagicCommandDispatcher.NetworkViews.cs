using Interactive.Xai.Torch.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Notebook;

public sealed partial class MagicCommandDispatcher
{
    /// <summary>Rows #!xai-layer-gradient draws when --rows is not given.</summary>
    public const int DefaultLayerGradientRows = 10;

    /// <summary>Rows #!xai-activation-functions runs through the network when --rows is not given.</summary>
    public const int DefaultActivationFunctionRows = 256;

    private void LayerGradient(CommandContext context, Action<object> show)
    {
        var model = ResolveTorchModule(context, "xai-layer-gradient", out var module);
        var (data, _) = ResolveData(context, model, "data");
        var selected = context.Get("rows") is { } r ? ParseRows(r, data.RowCount) : Enumerable.Range(0, Math.Min(DefaultLayerGradientRows, data.RowCount)).ToArray();
        var rows = data.SelectRows(selected);
        int? target = context.Get("target") is null or "predicted" ? null : context.GetInt("target");
        long[] shape = [rows.RowCount, .. model.InputShape.Select(d => (long)d)];
        using var scope = NewDisposeScope();
        var inputs = tensor(rows.Values.ToArray(), shape);
        show(TorchInspector.LayerOutputGradient(module, context.Get("layer")!, inputs, target, model.OutputNames));
    }

    private void ActivationFunctionsCommand(CommandContext context, Action<object> show)
    {
        var model = ResolveTorchModule(context, "xai-activation-functions", out var module);
        var (data, _) = ResolveData(context, model, "data");
        var selected = context.Get("rows") is { } r ? ParseRows(r, data.RowCount) : Enumerable.Range(0, Math.Min(DefaultActivationFunctionRows, data.RowCount)).ToArray();
        var rows = data.SelectRows(selected);
        long[] shape = [rows.RowCount, .. model.InputShape.Select(d => (long)d)];
        using var scope = NewDisposeScope();
        var inputs = tensor(rows.Values.ToArray(), shape);
        show(TorchInspector.ActivationFunctions(module, inputs, bins: context.GetInt("bins") ?? 40));
    }

    private static void Distributions(CommandContext context, Action<object> show)
    {
        string reference = context.Get("monitor")!;
        if (!context.Variables.TryGetValue(reference, out var value)) throw new XaiException($"--monitor {reference}: no notebook variable has that name");
        var distributions = value switch
        {
            TrainingMonitor monitor => monitor.Snapshot().Distributions,
            TrainingSnapshot snapshot => snapshot.Distributions,
            TrainingDistributions d => d,
            _ => throw new XaiException($"--monitor {reference} is a {value?.GetType().Name ?? "null"}; it must be a TrainingMonitor, TrainingSnapshot or TrainingDistributions"),
        };
        DistributionKind? kind = context.Get("kind") switch
        {
            null or "both" => null,
            "weights" => DistributionKind.Weights,
            "gradients" => DistributionKind.Gradients,
            var other => throw new XaiException($"--kind {other}: use weights, gradients or both"),
        };
        if (distributions.Entries.IsDefaultOrEmpty)
            throw new XaiException($"--monitor {reference} holds no distributions; call ParameterDistributions.Log(monitor, model, epoch, step) once per epoch while training");
        string? tensor = context.Get("tensor");
        if (tensor is not null)
            foreach (var k in kind is { } only ? [only] : new[] { DistributionKind.Weights, DistributionKind.Gradients })
                if (distributions.Tensors(k).Count > 0 && !distributions.Tensors(k).Contains(tensor))
                    throw new XaiException($"--tensor {tensor}: no {k.ToString().ToLowerInvariant()} distributions for that tensor (tensors: {string.Join(", ", distributions.Tensors(k).Take(20))})");
        show(new TrainingDistributionsView(distributions, kind, tensor));
    }
}
