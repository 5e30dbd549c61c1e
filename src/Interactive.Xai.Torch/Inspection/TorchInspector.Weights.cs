using System.Collections.Immutable;
using Interactive.Xai.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

public static partial class TorchInspector
{
    /// <summary>
    /// A snapshot of every parameter tensor of <paramref name="module"/> (values copied, so later training does not
    /// change it): take one before and one after training and compare them with <see cref="WeightSnapshot.CompareTo"/>.
    /// </summary>
    public static WeightSnapshot Weights(nn.Module module, string label = "weights")
    {
        TorchRuntime.EnsureAvailable();
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(label);
        return new WeightSnapshot
        {
            Label = label,
            Tensors = [.. module.named_parameters().Select(p => new StructureTensor(p.name, TensorData.ElementType(p.parameter.dtype), [.. p.parameter.shape])
            {
                Values = [.. TensorData.Floats(p.parameter)],
                ByteCount = TensorData.Bytes(p.parameter),
                Trainable = p.parameter.requires_grad,
                Owner = p.name.Contains('.') ? p.name[..p.name.LastIndexOf('.')] : null,
            })],
        };
    }
}
