using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Interactive.Xai.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

/// <summary>
/// Looks inside TorchSharp modules: the layer structure traced with a forward pass, weights, activations captured
/// with forward hooks, per-layer gradients of a loss, and attention weights. Results are framework-neutral records
/// from Interactive.Xai.Inspection, which the chart builders draw.
/// </summary>
public static partial class TorchInspector
{
    /// <summary>
    /// A torchinfo-style structure of <paramref name="module"/>, traced with one forward pass on a zero input of
    /// shape <paramref name="sampleInputShape"/> (batch dimension first, float32): every layer call in execution
    /// order with its type, output shape, own parameter count (and how many are trainable) and settings; all
    /// parameter tensors with their values; totals and memory (input, parameters, forward-pass activations).
    /// </summary>
    /// <exception cref="XaiException">The shape is empty or not positive, or the forward pass fails.</exception>
    public static ModelStructure Summarize(nn.Module<Tensor, Tensor> module, long[] sampleInputShape, string? name = null)
    {
        TorchRuntime.EnsureAvailable();
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(sampleInputShape);
        if (sampleInputShape.Length == 0 || sampleInputShape.Any(d => d <= 0))
            throw new XaiException($"The sample input shape [{string.Join(", ", sampleInputShape)}] must have at least one dimension, all positive (batch first).");
        using var input = zeros(sampleInputShape, ScalarType.Float32);
        return Summarize(module, input, name);
    }

    /// <summary>The structure of <paramref name="module"/> traced with one forward pass on <paramref name="sampleInput"/> (use this for integer inputs such as token ids).</summary>
    /// <exception cref="XaiException">The forward pass fails.</exception>
    public static ModelStructure Summarize(nn.Module<Tensor, Tensor> module, Tensor sampleInput, string? name = null)
    {
        TorchRuntime.EnsureAvailable();
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(sampleInput);
        var producers = new Dictionary<IntPtr, (string Name, long[] Shape)>();
        var nodes = new List<StructureNode>();
        var calls = new Dictionary<string, int>(StringComparer.Ordinal);
        long activationBytes = 0;
        string? previousOutput = null;
        const string inputName = "input";
        producers[sampleInput.Handle] = (inputName, sampleInput.shape);

        void OnCall(string layer, nn.Module m, Tensor[] inputs, Tensor[] outputs)
        {
            int call = calls[layer] = calls.GetValueOrDefault(layer) + 1;
            string node = call == 1 ? layer : $"{layer} (call {call})";
            var inputNames = new List<string>();
            foreach (var x in inputs)
            {
                if (x is null) continue;
                if (producers.TryGetValue(x.Handle, out var p) && p.Shape.SequenceEqual(x.shape)) inputNames.Add(p.Name);
                else if (previousOutput is not null) inputNames.Add(previousOutput); // made by a functional op between layers
                else inputNames.Add(inputName);
            }
            if (inputs.Length == 0 && previousOutput is not null) inputNames.Add(previousOutput);
            var outputNames = new List<string>();
            var shapes = ImmutableArray.CreateBuilder<ImmutableArray<long>>();
            for (int o = 0; o < outputs.Length; o++)
            {
                if (outputs[o] is null) continue;
                string value = outputs.Length == 1 ? node : $"{node}:{o}";
                outputNames.Add(value);
                producers[outputs[o].Handle] = (value, outputs[o].shape);
                shapes.Add([.. outputs[o].shape]);
                activationBytes += TensorData.Bytes(outputs[o]);
            }
            if (outputNames.Count > 0) previousOutput = outputNames[0];
            var own = m.named_parameters(recurse: false).Select(p => p.parameter).ToArray();
            var parts = layer.Split('.');
            nodes.Add(new StructureNode(node, LayerHooks.TypeName(m), [.. inputNames.Distinct()], [.. outputNames])
            {
                Attributes = Settings(m),
                OutputShapes = shapes.ToImmutable(),
                ParameterCount = own.Sum(p => p.numel()),
                TrainableParameterCount = own.Where(p => p.requires_grad).Sum(p => p.numel()),
                Containers = [.. Enumerable.Range(1, parts.Length - 1).Select(k => string.Join('.', parts[..k]))],
            });
        }

        bool wasTraining = module.training;
        Tensor output;
        using (var hooks = LayerHooks.Attach(module, OnCall))
        using (no_grad())
        {
            output = CallInEvalMode(module, sampleInput, sampleInput, "a sample input", wasTraining);
        }
        using var _ = output;
        if (nodes.Count == 0) throw LayerHooks.NoLayerCalls(module);
        // A handle seen earlier may belong to a tensor that was freed and whose handle was reused for a later one: trust it
        // only when the shape matches (as for layer inputs above), else the output came from the last layer (or a functional op after it).
        string outputName = producers.TryGetValue(output.Handle, out var producer) && producer.Shape.SequenceEqual(output.shape)
            ? producer.Name : previousOutput ?? inputName;
        var parameters = module.named_parameters().Select(p => new StructureTensor(p.name, TensorData.ElementType(p.parameter.dtype), [.. p.parameter.shape])
        {
            Values = [.. TensorData.Floats(p.parameter)],
            ByteCount = TensorData.Bytes(p.parameter),
            Trainable = p.parameter.requires_grad,
            Owner = p.name.Contains('.') ? p.name[..p.name.LastIndexOf('.')] : null,
        }).ToImmutableArray();
        return new ModelStructure
        {
            Name = name ?? module.GetType().Name,
            Format = "TorchSharp",
            Inputs = [new StructureValue(inputName, TensorData.ElementType(sampleInput.dtype), [.. sampleInput.shape.Select(d => d.ToString(CultureInfo.InvariantCulture))])],
            Outputs = [new StructureValue(outputName, TensorData.ElementType(output.dtype), [.. output.shape.Select(d => d.ToString(CultureInfo.InvariantCulture))])],
            Nodes = [.. nodes],
            Parameters = parameters,
            InputByteCount = TensorData.Bytes(sampleInput),
            ActivationByteCount = activationBytes,
        };
    }

    /// <summary>A layer's settings: its public scalar and array properties (kernel size, stride, features, ...).</summary>
    private static ImmutableArray<KeyValuePair<string, string>> Settings(nn.Module module)
    {
        var settings = new List<KeyValuePair<string, string>>();
        foreach (var property in module.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            // The layer's own settings, not those every module has (declared on nn.Module and its generic bases).
            if (property.GetIndexParameters().Length > 0 || property.Name == "training" || property.DeclaringType?.DeclaringType == typeof(nn)) continue;
            var type = property.PropertyType;
            if (!(type == typeof(long) || type == typeof(int) || type == typeof(double) || type == typeof(bool) || type == typeof(long[]) || type.IsEnum)) continue;
            object? value;
            try { value = property.GetValue(module); }
            catch (TargetInvocationException) { continue; }
            string text = value switch
            {
                null => "",
                long[] array => "[" + string.Join(", ", array) + "]",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString() ?? "",
            };
            settings.Add(new(property.Name, text));
        }
        return [.. settings];
    }
}
