using Interactive.Xai.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

/// <summary>
/// A TorchScript file's layers as a TorchSharp module whose layers have forward hooks: a loaded script's submodules
/// have none, but a purely sequential script is reproduced by calling its layers one by one, so each layer is wrapped
/// in a module that calls it, and the chain of wrappers is the network. The hook-based inspections
/// (<see cref="TorchInspector.LayerOutputGradient"/>, <see cref="TorchInspector.ActivationFunctions"/>,
/// <see cref="TorchInspector.Activations"/>) then work on it. A layer's name is its path in the script with dots
/// replaced by underscores (TorchSharp's module names cannot hold dots); its type is read from the file's TorchScript
/// code. Disposing the chain disposes the loaded script.
/// </summary>
public sealed class ScriptLayerChain : nn.Module<Tensor, Tensor>
{
    private readonly TorchModel _model;
    private readonly List<ScriptLayer> _layers;

    private ScriptLayerChain(TorchModel model, List<ScriptLayer> layers) : base("ScriptLayerChain")
    {
        _model = model;
        _layers = layers;
        foreach (var layer in layers) register_module(layer.Name, layer);
    }

    /// <summary>The layers' names in the chain (script paths with dots replaced by underscores), in order.</summary>
    public IReadOnlyList<string> LayerNames => _layers.Select(l => l.Name).ToArray();

    /// <summary>The loaded script (its input shape and output names).</summary>
    public TorchModel Model => _model;

    /// <summary>The chain's layer name for a path in the script ("features.conv1" becomes "features_conv1").</summary>
    public static string LayerName(string scriptPath) => scriptPath.Replace('.', '_');

    /// <summary>
    /// Loads the TorchScript file at <paramref name="path"/> and wraps its layers, after checking that calling them one
    /// by one in declaration order reproduces the whole model on a random input.
    /// </summary>
    /// <exception cref="XaiException">The file cannot be loaded, or the model is not a chain of its layers.</exception>
    public static ScriptLayerChain Load(string path, IReadOnlyList<int> inputShape)
    {
        TorchRuntime.EnsureAvailable();
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(inputShape);
        var model = TorchModel.Load(path, inputShape);
        try
        {
            var root = model.Module;
            var types = TorchInspector.ScriptLayerTypes(path, root);
            var layers = TorchInspector.ScriptLayers(root);
            long[] shape = [1, .. inputShape.Select(d => (long)d)];
            if (layers.Count == 0 || !TorchInspector.IsScriptChain(root, layers.Select(l => l.Module).ToList(), shape))
                throw new XaiException($"{path}: calling its layers one by one does not reproduce the model (it is not a plain sequence of layers), so its layers cannot be inspected one at a time; load the network as a TorchSharp module instead");
            var wrapped = layers.Select(l => new ScriptLayer(LayerName(l.Name), types.GetValueOrDefault(l.Name, "ScriptModule"), (jit.ScriptModule)l.Module)).ToList();
            return new ScriptLayerChain(model, wrapped);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input)
    {
        var x = input;
        foreach (var layer in _layers) x = layer.call(x);
        return x;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        // Only the loaded script, which owns every layer. Module.Dispose would walk the module tree through the
        // wrappers into script layers that the script's own disposal frees (ObjectDisposedException); the chain and
        // its wrappers hold no tensors, only empty module handles, which their finalizers release.
        if (disposing) _model.Dispose();
    }

    /// <summary>One script layer, called through its forward method, named by its type in the script.</summary>
    internal sealed class ScriptLayer : nn.Module<Tensor, Tensor>
    {
        private readonly jit.ScriptModule _layer;

        public ScriptLayer(string name, string layerType, jit.ScriptModule layer) : base(name)
        {
            Name = name;
            LayerType = layerType;
            _layer = layer;
        }

        public string Name { get; }

        public string LayerType { get; }

        public override Tensor forward(Tensor input)
            => _layer.invoke("forward", input) as Tensor ?? throw new XaiException($"The script layer '{Name}' did not return one tensor.");
    }
}
