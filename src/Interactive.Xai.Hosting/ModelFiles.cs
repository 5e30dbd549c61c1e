using Interactive.Xai.Inspection;
using Interactive.Xai.MLNet;
using Interactive.Xai.Onnx;
using Interactive.Xai.Torch;
using Interactive.Xai.Torch.Inspection;

namespace Interactive.Xai.Hosting;

/// <summary>A model loaded from a file; disposing it releases native resources.</summary>
public sealed class LoadedModel : IDisposable
{
    internal LoadedModel(IModel model, string path)
    {
        Model = model;
        Path = path;
    }

    /// <summary>The model.</summary>
    public IModel Model { get; }

    /// <summary>The file it came from.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public void Dispose() => (Model as IDisposable)?.Dispose();
}

/// <summary>Loads model files by extension: .onnx through ONNX Runtime, .zip through ML.NET, .pt (TorchScript) through TorchSharp.</summary>
public static class ModelFiles
{
    /// <summary>The extensions this build can load.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".onnx", ".zip", ".pt"];

    /// <summary>
    /// Loads the model at <paramref name="path"/>; errors are <see cref="XaiException"/>s naming the file.
    /// <paramref name="outputColumn"/> names the ML.NET output column to explain (default: Probability, else Score).
    /// </summary>
    public static LoadedModel Load(string path, string? outputColumn = null) => Load(path, outputColumn, inputShape: null);

    /// <summary>
    /// Loads the model at <paramref name="path"/>; errors are <see cref="XaiException"/>s naming the file.
    /// <paramref name="outputColumn"/> names the ML.NET output column to explain (default: Probability, else Score);
    /// <paramref name="inputShape"/> is the shape of one input: a TorchScript (.pt) file needs it, since the file does not
    /// record it (for example [1, 8, 8] for 8x8 grey images, or [10] for 10 tabular features); ONNX and ML.NET models
    /// know their input size and ignore it here (explainers still use it to lay out images).
    /// </summary>
    public static LoadedModel Load(string path, string? outputColumn, IReadOnlyList<int>? inputShape)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new XaiException($"{path}: model file not found");
        string extension = System.IO.Path.GetExtension(path).ToLowerInvariant();
        IModel model = extension switch
        {
            ".pt" when outputColumn is not null => throw new XaiException($"{path}: --output-column is for ML.NET models; a TorchScript model's outputs are chosen with --target"),
            ".pt" => TorchModel.Load(path, inputShape
                ?? throw new XaiException($"{path}: a TorchScript file does not record its input shape; pass --input-shape (for example 1,8,8 for 8x8 grey images, or 10 for 10 features)")),
            ".onnx" when outputColumn is not null => throw new XaiException($"{path}: --output-column is for ML.NET models; an ONNX model's outputs are chosen with --target"),
            ".onnx" => OnnxModel.Load(path),
            ".zip" => MLNetModel.Load(path, new MLNetModelOptions { OutputColumn = outputColumn }),
            var other => throw new XaiException($"{path}: unknown model type '{other}'; use .onnx (ONNX), .zip (ML.NET) or .pt (TorchScript)"),
        };
        return new LoadedModel(model, path);
    }

    /// <summary>
    /// The shape of one input as the model itself records it: [channels, height, width] for an ONNX image model or a
    /// TorchScript model loaded with such a shape, [features] for tables; empty when the model does not say.
    /// </summary>
    public static System.Collections.Immutable.ImmutableArray<int> InputShapeOf(IModel model) => model switch
    {
        OnnxModel onnx => onnx.InputShape,
        TorchModel torch => torch.InputShape,
        _ => [],
    };

    /// <summary>True when <paramref name="path"/> names a TorchScript (.pt) file, whose input shape the file does not record.</summary>
    public static bool IsTorchScript(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return System.IO.Path.GetExtension(path).Equals(".pt", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Reads the structure of the model at <paramref name="path"/>: the ONNX graph, or the ML.NET pipeline.</summary>
    public static ModelStructure ReadStructure(string path) => ReadStructure(path, inputShape: null);

    /// <summary>
    /// Reads the structure of the model at <paramref name="path"/>: the ONNX graph, the ML.NET pipeline, or a
    /// TorchScript (.pt) file's layers (<see cref="TorchInspector.SummarizeScript"/>), which needs
    /// <paramref name="inputShape"/>, the shape of one input.
    /// </summary>
    public static ModelStructure ReadStructure(string path, IReadOnlyList<int>? inputShape)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new XaiException($"{path}: model file not found");
        string extension = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (inputShape is not null && extension != ".pt")
            throw new XaiException($"{path}: --input-shape is for TorchScript (.pt) models; an {extension} model knows its own input size");
        return extension switch
        {
            ".onnx" => OnnxGraphReader.Read(path),
            ".zip" => MLNetStructureReader.Read(path),
            ".pt" => TorchInspector.SummarizeScript(path, inputShape
                ?? throw new XaiException($"{path}: a TorchScript file does not record its input shape; pass --input-shape (for example 1,8,8 for 8x8 grey images, or 10 for 10 features)")),
            var other => throw new XaiException($"{path}: unknown model type '{other}'; use .onnx (ONNX), .zip (ML.NET) or .pt (TorchScript)"),
        };
    }
}
