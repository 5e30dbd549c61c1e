using Interactive.Xai.MLNet;
using Interactive.Xai.Onnx;

namespace Interactive.Xai.Cli;

/// <summary>A model loaded from a file, disposed when the command ends.</summary>
internal sealed class LoadedModel(IModel model) : IDisposable
{
    public IModel Model { get; } = model;

    public void Dispose() => (Model as IDisposable)?.Dispose();
}

/// <summary>Loads a model file by its extension.</summary>
internal static class ModelFiles
{
    public static LoadedModel Load(string path)
    {
        if (!File.Exists(path)) throw new XaiException($"{path}: model file not found");
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".onnx" => new LoadedModel(OnnxModel.Load(path)),
            ".zip" => new LoadedModel(MLNetModel.Load(path)),
            var other => throw new XaiException($"{path}: unknown model type '{other}'; use .onnx (ONNX) or .zip (ML.NET)"),
        };
    }
}
