using System.Collections.Immutable;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Interactive.Xai.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

public static partial class TorchInspector
{
    /// <summary>The <see cref="ModelStructure.Properties"/> key that says how a TorchScript structure was read.</summary>
    public const string InspectionProperty = "inspection";

    /// <summary>
    /// The structure of the TorchScript file at <paramref name="path"/> for inputs of shape
    /// <paramref name="inputShape"/> (one input, without the batch dimension). A loaded script's submodules have no
    /// forward hooks, so <see cref="Summarize(nn.Module{Tensor, Tensor}, long[], string?)"/> cannot trace it;
    /// instead every layer (a named submodule without children, or with parameters of its own) becomes a node, in
    /// the order the script declares them, with its own parameters, and its type read from the type annotations in
    /// the file's TorchScript code (the class name, for example "Conv2d"; "ScriptModule" when the code does not say).
    /// Per-layer output shapes come from calling the layers one by one in that order on a zero input; they are kept
    /// only when that chain reproduces the whole model's output on a random input (a purely sequential model), and
    /// otherwise only the model's own output shape is known. <see cref="ModelStructure.Properties"/> entry
    /// <see cref="InspectionProperty"/> says which of the two happened.
    /// </summary>
    /// <exception cref="XaiException">The file is missing or not a TorchScript archive, or the shape does not fit the model.</exception>
    public static ModelStructure SummarizeScript(string path, IReadOnlyList<int> inputShape)
    {
        TorchRuntime.EnsureAvailable();
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(inputShape);
        using var model = TorchModel.Load(path, inputShape);
        var root = model.Module;
        var types = ScriptTypes(path, root);

        var layers = NamedScriptLayers(root).ToList();
        if (layers.Count == 0) layers.Add((string.Empty, root));
        var parameters = root.named_parameters().ToList();
        string OwnerOf(string parameter)
        {
            int dot = parameter.LastIndexOf('.');
            return dot < 0 ? string.Empty : parameter[..dot];
        }

        using var scope = NewDisposeScope();
        var shape = new long[inputShape.Count + 1];
        shape[0] = 1;
        for (int i = 0; i < inputShape.Count; i++) shape[i + 1] = inputShape[i];
        var zero = zeros(shape, ScalarType.Float32);
        Tensor output;
        using (no_grad()) output = Forward(root, zero);

        // Per-layer shapes: call the layers in declaration order; keep them when the chain is the model.
        var chainShapes = ChainShapes(root, layers.Select(l => l.Module).ToList(), shape);
        string inspection = chainShapes is null
            ? "TorchScript: submodules have no forward hooks, so layers are listed per named child with their own parameters (types from the file's TorchScript code); per-layer output shapes are unknown because calling the layers in order does not reproduce the model's output"
            : "TorchScript: submodules have no forward hooks, so layers are listed per named child with their own parameters (types from the file's TorchScript code); output shapes from calling the layers one by one in order, checked to reproduce the model's output";

        var nodes = new List<StructureNode>();
        const string inputName = "input", outputName = "output";
        for (int i = 0; i < layers.Count; i++)
        {
            var (name, _) = layers[i];
            string nodeName = name.Length == 0 ? "(model)" : name;
            var own = parameters.Where(p => OwnerOf(p.name) == name).ToList();
            string input = chainShapes is null ? inputName : i == 0 ? inputName : Display(layers[i - 1].Name);
            string produced = chainShapes is null ? nodeName : i == layers.Count - 1 ? outputName : nodeName;
            nodes.Add(new StructureNode(nodeName, types.GetValueOrDefault(name, "ScriptModule"), [input], [produced])
            {
                OutputShapes = chainShapes is null ? [] : [[.. chainShapes[i]]],
                ParameterCount = own.Sum(p => p.parameter.numel()),
                TrainableParameterCount = own.Where(p => p.parameter.requires_grad).Sum(p => p.parameter.numel()),
                Containers = [.. Containers(name)],
            });
        }
        var tensors = parameters.Select(p => new StructureTensor(p.name, TensorData.ElementType(p.parameter.dtype), [.. p.parameter.shape])
        {
            Values = [.. TensorData.Floats(p.parameter)],
            ByteCount = TensorData.Bytes(p.parameter),
            Trainable = p.parameter.requires_grad,
            Owner = Display(OwnerOf(p.name)),
        }).ToImmutableArray();
        return new ModelStructure
        {
            Name = Path.GetFileName(path),
            Format = "TorchScript",
            Properties = [new(InspectionProperty, inspection), new("input shape", "[" + string.Join(", ", inputShape) + "]")],
            Inputs = [new StructureValue(inputName, "float32", [.. shape.Select(d => d.ToString(CultureInfo.InvariantCulture))])],
            Outputs = [new StructureValue(outputName, TensorData.ElementType(output.dtype), [.. output.shape.Select(d => d.ToString(CultureInfo.InvariantCulture))])],
            Nodes = [.. nodes],
            Parameters = tensors,
            InputByteCount = TensorData.Bytes(zero),
        };

        static string Display(string name) => name.Length == 0 ? "(model)" : name;
    }

    /// <summary>The script's layers (see <see cref="NamedScriptLayers"/>), for <see cref="ScriptLayerChain"/>.</summary>
    internal static List<(string Name, nn.Module Module)> ScriptLayers(nn.Module root) => NamedScriptLayers(root).ToList();

    /// <summary>Each layer path's type name from the file's TorchScript code, for <see cref="ScriptLayerChain"/>.</summary>
    internal static Dictionary<string, string> ScriptLayerTypes(string path, nn.Module root) => ScriptTypes(path, root);

    /// <summary>Whether calling <paramref name="layers"/> one after another reproduces the model, for <see cref="ScriptLayerChain"/>.</summary>
    internal static bool IsScriptChain(nn.Module root, IReadOnlyList<nn.Module> layers, long[] shape) => ChainShapes(root, layers, shape) is not null;

    private static Tensor Forward(nn.Module root, Tensor x) => root switch
    {
        jit.ScriptModule<Tensor, Tensor> script => script.call(x),
        nn.Module<Tensor, Tensor> module => module.call(x),
        _ => throw new XaiException($"{root.GetType().Name} does not map one tensor to one tensor"),
    };

    /// <summary>Layers of a script module: named submodules without children or with parameters of their own, depth first.</summary>
    private static IEnumerable<(string Name, nn.Module Module)> NamedScriptLayers(nn.Module root)
    {
        var owners = root.named_parameters().Select(p => p.name.Contains('.') ? p.name[..p.name.LastIndexOf('.')] : string.Empty).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, module) in root.named_modules())
        {
            if (name.Length == 0) continue;
            if (!module.children().Any() || owners.Contains(name)) yield return (name, module);
        }
    }

    private static IEnumerable<string> Containers(string name)
    {
        var parts = name.Split('.');
        for (int i = 1; i < parts.Length; i++) yield return string.Join('.', parts[..i]);
    }

    /// <summary>The output shapes of the layers called one after another, or null when that is not the model.</summary>
    private static List<long[]>? ChainShapes(nn.Module root, IReadOnlyList<nn.Module> layers, long[] shape)
    {
        if (layers.Count == 0 || layers.Any(l => l is not jit.ScriptModule)) return null;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var generator = new Generator(7);
        var x = rand(shape, generator: generator) * 4;
        var expected = Forward(root, x);
        var shapes = new List<long[]>();
        var y = x;
        try
        {
            foreach (var layer in layers)
            {
                if (((jit.ScriptModule)layer).invoke("forward", y) is not Tensor next) return null;
                y = next;
                shapes.Add(y.shape);
            }
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException or InvalidCastException)
        {
            return null;
        }
        if (!y.shape.SequenceEqual(expected.shape) || !y.allclose(expected, rtol: 1e-4, atol: 1e-5)) return null;
        return shapes;
    }

    private static readonly Regex AttributeLine = new(@"^\s+(?:(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*:|__annotations__\[""(?<name>[^""]+)""\]\s*=)\s*(?<type>__torch__\.[A-Za-z0-9_.]+)\s*$", RegexOptions.CultureInvariant);
    private static readonly Regex ClassLine = new(@"^class\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*\(", RegexOptions.CultureInvariant);

    /// <summary>
    /// Each layer path's type name from the TorchScript code in the archive: classes declare their submodules as
    /// "name : __torch__.torch.nn.modules.conv.Conv2d" (or __annotations__["0"] = ... for numbered ones). The root
    /// class is the one whose declared submodules are the root's named children.
    /// </summary>
    private static Dictionary<string, string> ScriptTypes(string path, nn.Module root)
    {
        var classes = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        try
        {
            using var archive = ZipFile.OpenRead(path);
            foreach (var entry in archive.Entries)
            {
                string full = entry.FullName.Replace('\\', '/');
                int code = full.IndexOf("/code/__torch__", StringComparison.Ordinal);
                if (code < 0 || !full.EndsWith(".py", StringComparison.Ordinal)) continue;
                string module = full[(code + "/code/".Length)..^".py".Length].Replace('/', '.');
                using var reader = new StreamReader(entry.Open());
                Dictionary<string, string>? current = null;
                while (reader.ReadLine() is { } line)
                {
                    var c = ClassLine.Match(line);
                    if (c.Success)
                    {
                        current = new Dictionary<string, string>(StringComparer.Ordinal);
                        classes[module + "." + c.Groups["name"].Value] = current;
                        continue;
                    }
                    var a = AttributeLine.Match(line);
                    if (a.Success && current is not null) current[a.Groups["name"].Value] = a.Groups["type"].Value;
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return [];
        }
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var children = root.named_children().Select(c => c.name).ToHashSet(StringComparer.Ordinal);
        var rootClass = classes.FirstOrDefault(c => c.Value.Count > 0 && c.Value.Keys.ToHashSet(StringComparer.Ordinal).SetEquals(children)).Key;
        if (rootClass is null) return result;
        void Walk(string prefix, string qualified)
        {
            if (!classes.TryGetValue(qualified, out var attributes)) return;
            foreach (var (name, type) in attributes)
            {
                string child = prefix.Length == 0 ? name : prefix + "." + name;
                result[child] = type[(type.LastIndexOf('.') + 1)..];
                Walk(child, type);
            }
        }
        result[string.Empty] = rootClass[(rootClass.LastIndexOf('.') + 1)..];
        Walk(string.Empty, rootClass);
        return result;
    }
}
