using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Interactive.Xai.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

public static partial class TorchInspector
{
    /// <summary>
    /// Per-layer gradients of <paramref name="loss"/> on one batch: mean and largest |gradient| of each layer's own
    /// parameters and of its output, with vanishing and exploding layers marked. The module runs in its current mode
    /// (training or evaluation). Gradients are computed with <c>torch.autograd.grad</c>, so the parameters' own
    /// <c>.grad</c> fields (a training loop's accumulated gradients) are left untouched. Layer outputs are kept
    /// through an alias taken inside a forward hook, because containers such as Sequential dispose intermediates.
    /// </summary>
    /// <param name="module">The network.</param>
    /// <param name="inputs">A batch of inputs.</param>
    /// <param name="targets">The batch's targets, in whatever form <paramref name="loss"/> expects.</param>
    /// <param name="loss">The loss: (network output, targets) to a scalar, for example <c>(o, t) => nn.functional.mse_loss(o, t)</c>.</param>
    /// <param name="options">Warning thresholds; null for the defaults.</param>
    /// <exception cref="XaiException">The forward pass or the loss fails, or the loss is not a scalar.</exception>
    public static GradientFlow GradientFlow(nn.Module<Tensor, Tensor> module, Tensor inputs, Tensor targets, Func<Tensor, Tensor, Tensor> loss, GradientFlowOptions? options = null)
    {
        TorchRuntime.EnsureAvailable();
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(loss);
        options ??= new GradientFlowOptions();
        using var scope = NewDisposeScope();
        using var kept = new OwnedTensors();
        var order = new List<(string Name, nn.Module Module)>();
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        void OnCall(string name, nn.Module m, Tensor[] _, Tensor[] produced)
        {
            if (outputs.ContainsKey(name) || order.Any(o => o.Name == name)) return; // first call only
            order.Add((name, m));
            if (options.IncludeActivations && produced.Length > 0 && produced[0] is { } y && y.requires_grad && y.is_floating_point())
            {
                // Sequential disposes y itself; the alias shares its autograd node. The alias is detached from every
                // dispose scope and disposed by this method: a scope the module's forward opens (DigitsCnn.Logits has
                // one) would dispose it too early, and moving it into this method's scope orphans it when it is
                // already there (TorchSharp then throws from the tensor's finalizer).
                var alias = y.alias().DetachFromDisposeScope();
                kept.Add(alias);
                outputs[name] = alias;
            }
        }
        Tensor value;
        using (var hooks = LayerHooks.Attach(module, OnCall))
        using (enable_grad())
        {
            try
            {
                value = loss(module.call(inputs), targets);
            }
            catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException)
            {
                throw new XaiException($"The forward pass or the loss on inputs of shape [{string.Join(", ", inputs.shape)}] failed: {TorchModel.FirstLine(e.Message)}", e);
            }
        }
        if (order.Count == 0) throw LayerHooks.NoLayerCalls(module);
        if (value.numel() != 1) throw new XaiException($"The loss must be a scalar; it has shape [{string.Join(", ", value.shape)}].");
        if (!value.requires_grad) throw new XaiException("The loss does not depend on any trainable parameter or layer output, so it has no gradient.");

        var parameters = new List<(string Layer, string Name, Tensor Parameter)>();
        foreach (var (name, m) in order)
            foreach (var (pname, p) in m.named_parameters(recurse: false))
                if (p.requires_grad) parameters.Add((name, pname, p));
        var activationNames = order.Select(o => o.Name).Where(outputs.ContainsKey).ToArray();
        var wrt = parameters.Select(p => (Tensor)p.Parameter).Concat(activationNames.Select(n => outputs[n])).ToArray();
        IList<Tensor> grads = wrt.Length == 0 ? [] : autograd.grad([value], wrt, allow_unused: true);

        var layers = new List<LayerGradient>();
        foreach (var (name, m) in order)
        {
            var own = Enumerable.Range(0, parameters.Count).Where(i => parameters[i].Layer == name).ToArray();
            ValueStatistics? weights = null;
            var perParameter = ImmutableArray.CreateBuilder<KeyValuePair<string, ValueStatistics>>();
            if (own.Length > 0)
            {
                var all = new List<float>();
                foreach (int i in own)
                {
                    var g = grads[i] is { } gi ? TensorData.Floats(gi) : new float[parameters[i].Parameter.numel()];
                    perParameter.Add(new(parameters[i].Name, ValueStatistics.Of(g)));
                    all.AddRange(g);
                }
                weights = ValueStatistics.Of(all.ToArray());
            }
            ValueStatistics? activations = null;
            int a = Array.IndexOf(activationNames, name);
            if (a >= 0)
            {
                var g = grads[parameters.Count + a];
                activations = g is null ? ValueStatistics.Of(new float[outputs[name].numel()]) : ValueStatistics.Of(TensorData.Floats(g));
            }
            if (weights is null && activations is null) continue;
            layers.Add(new LayerGradient
            {
                Name = name,
                LayerType = LayerHooks.TypeName(m),
                Weights = weights,
                Parameters = perParameter.ToImmutable(),
                Activations = activations,
            });
        }
        return new GradientFlow
        {
            Loss = value.item<float>(),
            BatchSize = (int)inputs.shape[0],
            Layers = Xai.Inspection.GradientFlow.Classify(layers, options.VanishingRatio, options.ExplodingLimit),
            VanishingRatio = options.VanishingRatio,
            ExplodingLimit = options.ExplodingLimit,
        };
    }

    /// <summary>Tensors outside any dispose scope that a method disposes itself when it returns.</summary>
    private sealed class OwnedTensors : List<Tensor>, IDisposable
    {
        public void Dispose()
        {
            foreach (var tensor in this) tensor.Dispose();
            Clear();
        }
    }
}
