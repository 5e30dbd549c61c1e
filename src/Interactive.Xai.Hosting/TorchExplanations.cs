using System.Globalization;
using Interactive.Xai.Torch;

namespace Interactive.Xai.Hosting;

/// <summary>The explanation methods that need a TorchSharp model (a .pt TorchScript file or a <see cref="TorchModel"/>).</summary>
public static class TorchExplanations
{
    /// <summary>Grad-CAM's method name.</summary>
    public const string GradCam = GradCamExplainer.MethodName;

    /// <summary>True for the methods this class runs.</summary>
    public static bool Handles(string method) => method == GradCam;

    /// <summary>Runs a TorchSharp-only method; the model must be a <see cref="TorchModel"/>.</summary>
    public static Explanation Run(IModel model, FeatureTable data, ExplanationRequest request,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(request);
        model.EnsureAccepts(data, "the data");
        var torchModel = model as TorchModel
            ?? throw new XaiException($"{request.Method} needs a TorchSharp model (a .pt TorchScript file); {model.GetType().Name} has no layers to hook");
        var target = OutputTarget.Parse(request.Target, model.OutputNames);
        if (!target.IsPredicted) target.Resolve(model);
        switch (request.Method)
        {
            case GradCam:
            {
                if (request.Layer is null)
                {
                    var layers = GradCamExplainer.ConvolutionalLayers(torchModel);
                    throw new XaiException("grad-cam needs --layer NAME" + (layers.Count == 0 ? "" : $" (the convolutional layers are: {string.Join(", ", layers)})"));
                }
                var explainer = new GradCamExplainer(torchModel, request.Layer, new GradCamOptions { Seed = request.Seed });
                return explainer.Explain(data, target, progress, cancellationToken);
            }
            default:
                throw new XaiException($"unknown method '{request.Method}'");
        }
    }
}
