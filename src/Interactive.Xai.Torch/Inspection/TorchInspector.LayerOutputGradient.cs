using System.Runtime.InteropServices;
using Interactive.Xai.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

public static partial class TorchInspector
{
    /// <summary>
    /// The gradient of the network's output with respect to the output of the inner layer <paramref name="layer"/>
    /// (d output[target] / d activation) for each input row, in evaluation mode (the module's mode is restored). The
    /// layer must produce C × H × W feature maps per row (a convolution, or a later layer that keeps the maps). The
    /// rows are differentiated together (the sum of each row's target output), which gives each row its own gradient
    /// because rows do not interact in evaluation mode. The activation is kept through an alias taken in a forward
    /// hook (TorchSharp has no backward hooks), so the module's parameters' <c>.grad</c> fields are left untouched.
    /// </summary>
    /// <param name="module">The network: inputs [N, ...] to outputs [N, K].</param>
    /// <param name="layer">The layer's path, for example "conv2".</param>
    /// <param name="inputs">The input rows, batch dimension first.</param>
    /// <param name="target">The output to differentiate; null for each row's largest output (its predicted class).</param>
    /// <param name="outputNames">Names of the outputs for the charts; null for none.</param>
    /// <exception cref="XaiException">The layer does not exist, is not called, does not produce C × H × W maps, the target is out of range, or the forward pass fails.</exception>
    public static LayerOutputGradient LayerOutputGradient(nn.Module<Tensor, Tensor> module, string layer, Tensor inputs, int? target = null, IReadOnlyList<string>? outputNames = null)
    {
        TorchRuntime.EnsureAvailable();
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(inputs);
        var found = LayerHooks.Find(module, layer);
        using var scope = NewDisposeScope();
        using var kept = new OwnedTensors();
        Tensor? activation = null;
        void OnCall(string name, nn.Module m, Tensor[] _, Tensor[] produced)
        {
            if (activation is not null || produced.Length == 0 || produced[0] is not { } y || !y.is_floating_point()) return;
            // The alias shares y's autograd node and outlives the containers' dispose scopes (see GradientFlow).
            activation = y.alias().DetachFromDisposeScope();
            kept.Add(activation);
        }
        var x = inputs.detach().to_type(ScalarType.Float32).requires_grad_(true);
        bool wasTraining = module.training;
        Tensor output;
        using (var hooks = LayerHooks.Attach(module, OnCall, (name, _) => name == layer))
        using (enable_grad())
        {
            output = CallInEvalMode(module, x, inputs, "inputs", wasTraining);
        }
        if (activation is null) throw new XaiException($"The layer '{layer}' ({LayerHooks.TypeName(found)}) was not called with a tensor output in the forward pass.");
        long rows = inputs.shape[0];
        if (activation.dim() != 4 || activation.shape[0] != rows)
            throw new XaiException($"The output of layer '{layer}' has shape [{string.Join(", ", activation.shape)}]; an image of its gradient needs feature maps [rows, channels, height, width], as a convolutional layer gives.");
        if (output.dim() != 2 || output.shape[0] != rows)
            throw new XaiException($"The network's output has shape [{string.Join(", ", output.shape)}]; expected [rows, outputs].");
        int k = (int)output.shape[1];
        var values = TensorData.Floats(output);
        var targets = new int[rows];
        for (int r = 0; r < rows; r++)
        {
            if (target is { } t)
            {
                if (t < 0 || t >= k) throw new XaiException($"The target output {t} is out of range: the network has {k} outputs (0..{k - 1}).");
                targets[r] = t;
            }
            else
            {
                int best = 0;
                for (int j = 1; j < k; j++) if (values[r * k + j] > values[r * k + best]) best = j;
                targets[r] = best;
            }
        }
        var index = tensor(targets.Select(t => (long)t).ToArray(), [rows, 1L]);
        var selected = output.gather(1, index).sum();
        if (!selected.requires_grad) throw new XaiException($"The network's output does not depend on the output of layer '{layer}'.");
        var grads = autograd.grad([selected], [activation], allow_unused: true);
        var gradient = grads[0] is { } g ? TensorData.Floats(g) : new float[activation.numel()];
        return new LayerOutputGradient
        {
            Layer = layer,
            LayerType = LayerHooks.TypeName(found),
            InputShape = [.. inputs.shape.Skip(1).Select(d => (int)d)],
            Inputs = [.. TensorData.Floats(inputs)],
            Shape = [(int)activation.shape[1], (int)activation.shape[2], (int)activation.shape[3]],
            Targets = [.. targets],
            OutputNames = outputNames is null ? [] : [.. outputNames],
            OutputValues = [.. Enumerable.Range(0, (int)rows).Select(r => (double)values[r * k + targets[r]])],
            Values = [.. gradient],
        };
    }
}
