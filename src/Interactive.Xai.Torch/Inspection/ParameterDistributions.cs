using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

/// <summary>
/// Per-tensor weight and gradient distributions for a training loop, recorded into a <see cref="TrainingMonitor"/>
/// (histograms and quantiles per epoch, as TensorBoard's histogram and distribution views show them). Call
/// <see cref="Log"/> once per epoch after <c>loss.backward()</c> and before the optimiser zeroes the gradients.
/// </summary>
public static class ParameterDistributions
{
    /// <summary>The values of every parameter tensor (<paramref name="kind"/> weights) or of its accumulated gradient
    /// (gradients; tensors without a gradient are left out), keyed by the parameter's path ("conv1.weight"), in the module tree's order.</summary>
    public static IReadOnlyDictionary<string, float[]> Capture(nn.Module module, DistributionKind kind)
    {
        TorchRuntime.EnsureAvailable();
        ArgumentNullException.ThrowIfNull(module);
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, p) in module.named_parameters())
        {
            if (kind == DistributionKind.Weights) result[name] = TensorData.Floats(p);
            else if (p.grad is { } g) result[name] = TensorData.Floats(g);
        }
        return result;
    }

    /// <summary>
    /// Logs the weight distribution of every parameter tensor of <paramref name="module"/> and, where the tensor has an
    /// accumulated gradient, its gradient distribution, into <paramref name="monitor"/> at <paramref name="epoch"/>.
    /// </summary>
    public static void Log(TrainingMonitor monitor, nn.Module module, int epoch, long step, int bins = Xai.Inspection.ValueDistribution.DefaultBins)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        monitor.LogDistributions(epoch, step, DistributionKind.Weights, Capture(module, DistributionKind.Weights), bins);
        var gradients = Capture(module, DistributionKind.Gradients);
        if (gradients.Count > 0) monitor.LogDistributions(epoch, step, DistributionKind.Gradients, gradients, bins);
    }
}
