using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Interactive.Xai.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

/// <summary>
/// Activation maximisation: synthesises the input that makes one channel (of a convolutional layer, averaged over
/// positions) or one neuron (of a flat layer) respond most, by gradient ascent on the input from a seeded random
/// start, with a random shift (jitter) before each step and L2 and total-variation penalties.
/// </summary>
public static class FeatureVisualizer
{
    /// <summary>
    /// Maximises unit <paramref name="unit"/> of layer <paramref name="layer"/>. The network runs in evaluation
    /// mode (restored afterwards) and its parameters are not changed; their <c>.grad</c> fields are not touched.
    /// </summary>
    /// <exception cref="XaiException">The layer does not exist or is not called, the unit is out of range, or the options are invalid.</exception>
    public static FeatureVisualization Maximize(nn.Module<Tensor, Tensor> module, string layer, int unit, FeatureVisualizationOptions options)
    {
        TorchRuntime.EnsureAvailable();
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(options);
        if (options.InputShape is null || options.InputShape.Length == 0 || options.InputShape.Any(d => d <= 0))
            throw new XaiException("The feature visualisation's input shape must have at least one dimension, all positive (without the batch dimension).");
        if (options.Steps < 0 || options.LearningRate <= 0 || options.Jitter < 0 || options.L2 < 0 || options.TotalVariation < 0 || options.InitialScale < 0)
            throw new XaiException("Feature visualisation needs steps >= 0, a positive learning rate and non-negative jitter, penalties and initial scale.");
        var target = LayerHooks.Find(module, layer);
        if (target is not nn.Module<Tensor, Tensor> hookable)
            throw new XaiException($"Layer '{layer}' ({LayerHooks.TypeName(target)}) does not map one tensor to one tensor, so its output cannot be maximised.");

        long[] shape = [1, .. options.InputShape];
        var random = new Random(options.Seed);
        bool wasTraining = module.training;
        Tensor? captured = null;
        // The alias is kept out of every dispose scope (a scope the module's forward opens, as DigitsCnn.Logits does,
        // would dispose it before it is read) and disposed here: the previous one on the next call, the last one at the end.
        var hook = hookable.register_forward_hook((_, _, y) =>
        {
            captured?.Dispose();
            captured = y.alias().DetachFromDisposeScope();
            return y;
        });
        using var scope = NewDisposeScope();
        try
        {
            module.eval();
            using var generator = new Generator((ulong)options.Seed);
            var start = randn(shape, generator: generator) * options.InitialScale;
            var x = start.detach().clone();
            double startActivation = Objective(module, x, unit, layer, () => captured, out _, 0, 0).to_type(ScalarType.Float64).item<double>();
            var history = ImmutableArray.CreateBuilder<double>(options.Steps);
            for (int step = 0; step < options.Steps; step++)
            {
                var input = x.detach().requires_grad_(true);
                int dy = options.Jitter == 0 || shape.Length < 4 ? 0 : random.Next(-options.Jitter, options.Jitter + 1);
                int dx = options.Jitter == 0 || shape.Length < 3 ? 0 : random.Next(-options.Jitter, options.Jitter + 1);
                Objective(module, input, unit, layer, () => captured, out var penalised, dy, dx, options);
                var gradient = autograd.grad([penalised], [input])[0];
                using (no_grad())
                {
                    var scale = gradient.abs().mean() + 1e-12;
                    x = (input + gradient / scale * options.LearningRate).detach();
                }
                history.Add(penalised.to_type(ScalarType.Float64).item<double>());
            }
            double finalActivation = Objective(module, x, unit, layer, () => captured, out _, 0, 0).to_type(ScalarType.Float64).item<double>();
            return new FeatureVisualization
            {
                Layer = layer,
                Unit = unit,
                InputShape = [.. options.InputShape],
                Input = [.. TensorData.Floats(x)],
                StartInput = [.. TensorData.Floats(start)],
                StartActivation = startActivation,
                FinalActivation = finalActivation,
                Objective = history.MoveToImmutable(),
            };
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException)
        {
            throw new XaiException($"The forward pass on an input of shape [{string.Join(", ", shape)}] failed: {e.Message.Split('\n')[0]}", e);
        }
        finally
        {
            hook.remove();
            captured?.Dispose();
            module.train(wasTraining);
        }
    }

    /// <summary>The unit's activation for input x shifted by (dy, dx); <paramref name="penalised"/> is the activation minus the penalties.</summary>
    private static Tensor Objective(nn.Module<Tensor, Tensor> module, Tensor x, int unit, string layer, Func<Tensor?> captured,
        out Tensor penalised, int dy, int dx, FeatureVisualizationOptions? options = null)
    {
        var shifted = dy == 0 && dx == 0 ? x : x.roll([dy, dx], [-2, -1]);
        using (options is null ? no_grad() : enable_grad())
            module.call(shifted);
        var output = captured() ?? throw new XaiException($"The forward pass did not call layer '{layer}'.");
        long units = output.dim() >= 2 ? output.shape[1] : output.shape[0];
        if (unit < 0 || unit >= units) throw new XaiException($"Layer '{layer}' has {units} channels or neurons; there is no unit {unit}.");
        var activation = output.dim() >= 2 ? output.select(1, unit).mean() : output[unit];
        penalised = activation;
        if (options is not null)
        {
            if (options.L2 > 0) penalised = penalised - options.L2 * x.square().mean();
            if (options.TotalVariation > 0 && x.dim() >= 3)
            {
                var tv = (x[.., .., 1..] - x[.., .., ..^1]).square().mean();
                if (x.dim() >= 4) tv = tv + (x[.., .., .., 1..] - x[.., .., .., ..^1]).square().mean();
                penalised = penalised - options.TotalVariation * tv;
            }
        }
        return activation;
    }
}
