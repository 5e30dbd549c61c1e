using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

/// <summary>Gradient norms for a training loop: call <see cref="Capture"/> after <c>loss.backward()</c> and before the optimiser zeroes the gradients.</summary>
public static class GradientNorms
{
    /// <summary>The name used for parameters that the root module owns itself.</summary>
    public const string RootName = "(model)";

    /// <summary>
    /// The L2 norm of the accumulated gradients (<c>.grad</c>) of each layer's own parameters taken together, keyed
    /// by the layer's path (for example "features.conv1"), in the module tree's order. Layers whose parameters have
    /// no gradient yet (frozen, or before the first backward pass) are left out.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Capture(nn.Module module)
    {
        TorchRuntime.EnsureAvailable();
        ArgumentNullException.ThrowIfNull(module);
        var squares = new Dictionary<string, double>(StringComparer.Ordinal);
        var order = new List<string>();
        using var _ = no_grad();
        // named_parameters lists depth first, the module tree's order; a parameter's owner is its path minus the last part.
        foreach (var (name, p) in module.named_parameters())
        {
            if (p.grad is not { } g) continue;
            int dot = name.LastIndexOf('.');
            string owner = dot < 0 ? RootName : name[..dot];
            using var sum = g.detach().to_type(ScalarType.Float64).square().sum();
            if (!squares.ContainsKey(owner)) order.Add(owner);
            squares[owner] = squares.GetValueOrDefault(owner) + sum.item<double>();
        }
        var norms = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var owner in order) norms[owner] = Math.Sqrt(squares[owner]);
        return norms;
    }
}
