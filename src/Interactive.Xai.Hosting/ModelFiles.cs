using Interactive.Xai.Inspection;
using Interactive.Xai.MLNet;
using Interactive.Xai.Onnx;

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

/// <summary>Loads model files by extension: .onnx through ONNX Runtime, .zip through ML.NET.</summary>
public static class ModelFiles
{
    /// <summary>The extensions this build can load.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".onnx", ".zip"];

    /// <summary>
    /// Loads the model at <paramref name="path"/>; errors are <see cref="XaiException"/>s naming the file.
    /// <paramref name="outputColumn"/> names the ML.NET output column to explain (default: Probability, else Score).
    /// </summary>
    public static LoadedModel Load(string path, string? outputColumn = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new XaiException($"{path}: model file not found");
        IModel model = System.IO.Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".onnx" when outputColumn is not null => throw new XaiException($"{path}: --output-column is for ML.NET models; an ONNX model's outputs are chosen with --target"),
            ".onnx" => OnnxModel.Load(path),
            ".zip" => MLNetModel.Load(path, new MLNetModelOptions { OutputColumn = outputColumn }),
            var other => throw new XaiException($"{path}: unknown model type '{other}'; use .onnx (ONNX) or .zip (ML.NET)"),
        };
        return new LoadedModel(model, path);
    }

    /// <summary>Reads the structure of the model at <paramref name="path"/>: the ONNX graph, or the ML.NET pipeline.</summary>
    public static ModelStructure ReadStructure(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new XaiException($"{path}: model file not found");
        return System.IO.Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".onnx" => OnnxGraphReader.Read(path),
            ".zip" => MLNetStructureReader.Read(path),
            var other => throw new XaiException($"{path}: unknown model type '{other}'; use .onnx (ONNX) or .zip (ML.NET)"),
        };
    }
}
