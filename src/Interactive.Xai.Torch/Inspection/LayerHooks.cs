using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

/// <summary>
/// Forward hooks on a module tree. TorchSharp's hooks are typed by each module's call signature, so the common
/// shapes are handled one by one: tensor to tensor (most layers), the recurrent layers (LSTM, GRU, RNN) and
/// multi-head attention. Any other module type gets the untyped hook, which reports the call without tensors.
/// </summary>
internal sealed class LayerHooks : IDisposable
{
    private readonly List<Action> _removers = [];

    /// <summary>A layer call: the layer's path, the module, its tensor inputs and its tensor outputs.</summary>
    public delegate void LayerCall(string name, nn.Module module, Tensor[] inputs, Tensor[] outputs);

    /// <summary>The name a model that is a single layer (no children) gets in inspection results.</summary>
    public const string RootName = "(model)";

    /// <summary>
    /// Hooks the layers of <paramref name="root"/> that <paramref name="include"/> selects (by default the leaves and
    /// every module that owns parameters). A root without children is itself the one layer, named <see cref="RootName"/>.
    /// </summary>
    public static LayerHooks Attach(nn.Module root, LayerCall onCall, Func<string, nn.Module, bool>? include = null)
    {
        var hooks = new LayerHooks();
        include ??= (_, m) => IsLayer(m);
        if (!root.children().Any())
        {
            if (include(RootName, root)) hooks.Hook(RootName, root, onCall);
            return hooks;
        }
        foreach (var (name, module) in NamedLayers(root))
            if (include(name, module)) hooks.Hook(name, module, onCall);
        return hooks;
    }

    /// <summary>The error when a forward pass ran but no hooked layer reported a call.</summary>
    public static XaiException NoLayerCalls(nn.Module root)
        => new($"None of the layers of {TypeName(root)} reported a call to TorchSharp's forward hooks: its forward calls them with forward() instead of call(), or it is a TorchScript module, whose submodules run natively without hooks.");

    /// <summary>Every module below <paramref name="root"/> with its dotted path (the root itself excluded).</summary>
    public static IEnumerable<(string Name, nn.Module Module)> NamedLayers(nn.Module root)
        => root.named_modules().Where(m => !string.IsNullOrEmpty(m.name) && !ReferenceEquals(m.module, root));

    /// <summary>A module with no children, or one that owns parameters directly.</summary>
    public static bool IsLayer(nn.Module module) => !module.children().Any() || module.named_parameters(recurse: false).Any();

    /// <summary>The module at <paramref name="name"/> in the tree.</summary>
    public static nn.Module Find(nn.Module root, string name)
    {
        if (name == RootName && !root.children().Any()) return root;
        foreach (var (n, m) in NamedLayers(root))
            if (n == name) return m;
        throw new XaiException($"The model has no layer '{name}' (layers: {string.Join(", ", NamedLayers(root).Select(l => l.Name).Take(40))}).");
    }

    /// <summary>The layer's type name as TorchSharp calls it (Conv2d, Linear, ReLU, ...).</summary>
    public static string TypeName(nn.Module module) => module is ScriptLayerChain.ScriptLayer script ? script.LayerType : module.GetType().Name;

    /// <summary>Whether a recurrent module (LSTM, GRU, RNN) was built batch-first; read from the module's private field.</summary>
    public static bool BatchFirst(nn.Module module)
        => module.GetType().GetField("_batch_first", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(module) is true;

    /// <summary>Whether the module is one of TorchSharp's recurrent layers.</summary>
    public static bool IsRecurrent(nn.Module module) => module is LSTM or GRU or RNN;

    private void Hook(string name, nn.Module module, LayerCall onCall)
    {
        switch (module)
        {
            case nn.Module<Tensor, Tensor> m:
                var r1 = m.register_forward_hook((_, x, y) => { onCall(name, module, [x], [y]); return y; });
                _removers.Add(r1.remove);
                break;
            case nn.Module<Tensor, (Tensor, Tensor)?, (Tensor, Tensor, Tensor)> m:
                var r2 = m.register_forward_hook((_, x, state, y) => { onCall(name, module, [x], [y.Item1, y.Item2, y.Item3]); return y; });
                _removers.Add(r2.remove);
                break;
            case nn.Module<Tensor, Tensor, (Tensor, Tensor)> m:
                var r3 = m.register_forward_hook((_, x, h, y) => { onCall(name, module, [x], [y.Item1, y.Item2]); return y; });
                _removers.Add(r3.remove);
                break;
            case nn.Module<Tensor, Tensor, Tensor, Tensor, bool, Tensor, Tuple<Tensor, Tensor>> m:
                var r4 = m.register_forward_hook((_, q, k, v, padding, needWeights, mask, y) =>
                {
                    // Without need_weights the weights come back as a tensor with no handle.
                    onCall(name, module, [q, k, v], y.Item2 is null || y.Item2.IsInvalid ? [y.Item1] : [y.Item1, y.Item2]);
                    return y;
                });
                _removers.Add(r4.remove);
                break;
            default:
                // Untyped modules: the call is seen, the tensors are not.
                if (module.GetType().GetMethod("register_forward_hook", [typeof(Action<nn.Module>)]) is { } register
                    && register.Invoke(module, [new Action<nn.Module>(_ => onCall(name, module, [], []))]) is { } remover
                    && remover.GetType().GetMethod("remove") is { } remove)
                    _removers.Add(() => remove.Invoke(remover, null));
                break;
        }
    }

    /// <summary>Removes every hook.</summary>
    public void Dispose()
    {
        foreach (var remove in _removers) remove();
        _removers.Clear();
    }
}

/// <summary>Copies tensors out of TorchSharp.</summary>
internal static class TensorData
{
    /// <summary>The tensor's values as float32 on the CPU, row-major.</summary>
    public static float[] Floats(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var t = tensor.detach();
        if (t.device_type != DeviceType.CPU) t = t.cpu();
        if (t.dtype != ScalarType.Float32) t = t.to_type(ScalarType.Float32);
        t = t.contiguous();
        // The tensor's own memory viewed as floats: a plain block copy (the element accessor is several times slower).
        return MemoryMarshal.Cast<byte, float>(t.bytes).ToArray();
    }

    /// <summary>The element type's name as ONNX writes it (float32, int64, ...).</summary>
    public static string ElementType(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Int64 => "int64",
        ScalarType.Int32 => "int32",
        ScalarType.Int16 => "int16",
        ScalarType.Int8 => "int8",
        ScalarType.Byte => "uint8",
        ScalarType.Bool => "bool",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>The tensor's size in bytes.</summary>
    public static long Bytes(Tensor tensor) => tensor.numel() * tensor.element_size();
}
