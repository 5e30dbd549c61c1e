using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Interactive.Xai.Inspection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

public static partial class TorchInspector
{
    /// <summary>
    /// Every layer's output for <paramref name="inputs"/>, captured with forward hooks during one forward pass in
    /// evaluation mode (the module's mode is restored afterwards): values, statistics, the fraction of dead units for
    /// rectifier layers, feature-map layout for convolutional outputs and the time axis of recurrent layers.
    /// </summary>
    /// <param name="module">The network.</param>
    /// <param name="inputs">A batch of inputs, batch dimension first (time first for recurrent models that expect it).</param>
    /// <param name="layers">The layer names to capture; null captures every layer (leaves and modules owning parameters).</param>
    /// <exception cref="XaiException">A named layer does not exist, or the forward pass fails.</exception>
    public static ActivationCapture Activations(nn.Module<Tensor, Tensor> module, Tensor inputs, IReadOnlyCollection<string>? layers = null)
    {
        TorchRuntime.EnsureAvailable();
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(inputs);
        if (layers is not null)
            foreach (var name in layers) LayerHooks.Find(module, name);
        var captured = new List<LayerActivation>();
        void OnCall(string name, nn.Module m, Tensor[] _, Tensor[] outputs)
        {
            if (outputs.Length == 0 || outputs[0] is null) return;
            captured.Add(Capture(name, m, outputs[0]));
        }
        Func<string, nn.Module, bool>? include = layers is null ? null : (name, _) => layers.Contains(name);
        bool wasTraining = module.training;
        using (var hooks = LayerHooks.Attach(module, OnCall, include))
        using (no_grad())
        {
            CallInEvalMode(module, inputs, inputs, "inputs", wasTraining).Dispose();
        }
        if (captured.Count == 0 && layers is null) throw LayerHooks.NoLayerCalls(module);
        return new ActivationCapture { InputShape = [.. inputs.shape], Layers = [.. captured] };
    }

    private static LayerActivation Capture(string name, nn.Module module, Tensor output)
    {
        var values = TensorData.Floats(output);
        var shape = output.shape;
        var kind = LayerHooks.IsRecurrent(module) && shape.Length == 3 ? ActivationKind.Recurrent
            : module is Conv1d or Conv2d or Conv3d or MaxPool2d or AvgPool2d or BatchNorm2d || shape.Length == 4 ? ActivationKind.FeatureMaps
            : ActivationKind.Dense;
        bool batchFirst = kind == ActivationKind.Recurrent && LayerHooks.BatchFirst(module);
        double? dead = module is ReLU or ReLU6 ? DeadFraction(values, shape, kind == ActivationKind.Recurrent && !batchFirst ? 1 : 0) : null;
        return new LayerActivation
        {
            Name = name,
            LayerType = LayerHooks.TypeName(module),
            Shape = [.. shape],
            Values = [.. values],
            Kind = kind,
            BatchFirst = batchFirst,
            Statistics = ValueStatistics.Of(values),
            DeadFraction = dead,
        };
    }

    /// <summary>The fraction of units (output positions other than the batch axis) that are at or below zero for every input.</summary>
    internal static double DeadFraction(float[] values, long[] shape, int batchAxis)
    {
        if (values.Length == 0) return 0;
        long outer = 1, inner = 1;
        for (int d = 0; d < batchAxis; d++) outer *= shape[d];
        for (int d = batchAxis + 1; d < shape.Length; d++) inner *= shape[d];
        long batch = shape[batchAxis];
        long units = outer * inner, dead = 0;
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                bool alive = false;
                for (long b = 0; b < batch && !alive; b++) alive = values[(o * batch + b) * inner + i] > 0;
                if (!alive) dead++;
            }
        return (double)dead / units;
    }
}
