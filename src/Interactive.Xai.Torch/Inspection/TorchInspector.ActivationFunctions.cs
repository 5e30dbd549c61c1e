using System.Runtime.InteropServices;
using Interactive.Xai.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

public static partial class TorchInspector
{
    /// <summary>The element-wise activation-function modules <see cref="ActivationFunctions"/> recognises, by TorchSharp type name.</summary>
    public static IReadOnlySet<string> ActivationFunctionTypes { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh",
        "Softplus", "Softsign", "Hardtanh", "Hardsigmoid", "Hardswish", "Hardshrink", "Softshrink", "Tanhshrink", "LogSigmoid", "Threshold",
    };

    /// <summary>
    /// The activation-function modules of <paramref name="module"/> (the types in <see cref="ActivationFunctionTypes"/>)
    /// with the values their inputs reach when the network runs on <paramref name="inputs"/> in evaluation mode (the
    /// module's mode is restored): each layer's pre-activation histogram and quantiles (every call of a reused module
    /// counted), and the function's curve computed by the layer itself over the reached range widened by a quarter of
    /// its width on either side (at least 0.5). Activations applied as functions inside forward (not as modules) have
    /// no hook and are not seen.
    /// </summary>
    /// <param name="module">The network.</param>
    /// <param name="inputs">A batch of inputs.</param>
    /// <param name="bins">Histogram bins (default 40).</param>
    /// <param name="curvePoints">Points of each curve (default 201).</param>
    /// <exception cref="XaiException">The network has no activation-function module, or the forward pass fails.</exception>
    public static ActivationFunctionUsage ActivationFunctions(nn.Module<Tensor, Tensor> module, Tensor inputs, int bins = 40, int curvePoints = 201)
    {
        TorchRuntime.EnsureAvailable();
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(inputs);
        if (bins < 1) throw new XaiException($"bins must be at least 1, got {bins}");
        if (curvePoints < 2) throw new XaiException($"a curve needs at least 2 points, got {curvePoints}");
        var found = LayerHooks.NamedLayers(module).Where(l => IsActivationFunction(l.Module)).ToList();
        if (!module.children().Any() && IsActivationFunction(module)) found.Add((LayerHooks.RootName, module));
        if (found.Count == 0)
            throw new XaiException($"{LayerHooks.TypeName(module)} has no activation-function module ({string.Join(", ", ActivationFunctionTypes.Order(StringComparer.Ordinal))}); activations called as functions inside forward cannot be seen.");
        var order = new List<string>();
        var values = new Dictionary<string, List<float>>(StringComparer.Ordinal);
        var calls = new Dictionary<string, int>(StringComparer.Ordinal);
        var modules = new Dictionary<string, nn.Module>(StringComparer.Ordinal);
        void OnCall(string name, nn.Module m, Tensor[] called, Tensor[] _)
        {
            if (called.Length == 0 || called[0] is not { } x || !x.is_floating_point()) return;
            if (!values.TryGetValue(name, out var list))
            {
                order.Add(name);
                values[name] = list = [];
                modules[name] = m;
            }
            list.AddRange(TensorData.Floats(x));
            calls[name] = calls.GetValueOrDefault(name) + 1;
        }
        bool wasTraining = module.training;
        using (var hooks = LayerHooks.Attach(module, OnCall, (_, m) => IsActivationFunction(m)))
        using (no_grad())
        {
            CallInEvalMode(module, inputs, inputs, "inputs", wasTraining).Dispose();
        }
        var layers = new List<ActivationFunctionLayer>();
        foreach (var name in order)
        {
            var reached = values[name].ToArray();
            var distribution = ValueDistribution.Of(reached, bins);
            long negative = reached.LongCount(v => float.IsFinite(v) && v < 0);
            double[] grid = [];
            double[] curve = [];
            if (distribution.Count > 0)
            {
                double lo = distribution.Minimum, hi = distribution.Maximum, margin = Math.Max(0.25 * (hi - lo), 0.5);
                grid = Enumerable.Range(0, curvePoints).Select(i => lo - margin + (hi - lo + 2 * margin) * i / (curvePoints - 1)).ToArray();
                curve = Evaluate(modules[name], grid);
                if (curve.Length != grid.Length) grid = [];
            }
            layers.Add(new ActivationFunctionLayer
            {
                Layer = name,
                FunctionType = LayerHooks.TypeName(modules[name]),
                Calls = calls[name],
                PreActivations = distribution,
                NegativeFraction = distribution.Count == 0 ? double.NaN : (double)negative / distribution.Count,
                CurveInputs = [.. grid],
                CurveOutputs = grid.Length == 0 ? [] : [.. curve],
            });
        }
        if (layers.Count == 0)
            throw new XaiException($"None of the activation-function modules ({string.Join(", ", found.Select(f => f.Name))}) was called in the forward pass.");
        return new ActivationFunctionUsage { InputShape = [.. inputs.shape], Layers = [.. layers] };
    }

    /// <summary>Whether <paramref name="module"/> is an element-wise activation function TorchSharp provides.</summary>
    public static bool IsActivationFunction(nn.Module module) => ActivationFunctionTypes.Contains(LayerHooks.TypeName(module));

    // The function's values at the grid, computed by the module itself on a 1-D tensor; empty when it needs another shape
    // (a PReLU with one slope per channel).
    private static double[] Evaluate(nn.Module module, double[] grid)
    {
        if (module is not nn.Module<Tensor, Tensor> function) return [];
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        try
        {
            var y = function.call(tensor(grid.Select(v => (float)v).ToArray(), [grid.Length]));
            return y.numel() == grid.Length ? TensorData.Floats(y).Select(v => (double)v).ToArray() : [];
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException)
        {
            return [];
        }
    }
}
