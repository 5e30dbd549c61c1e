using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

public static partial class TorchInspector
{
    /// <summary>
    /// Calls <paramref name="module"/> on <paramref name="input"/> in eval mode and puts its training flag back to
    /// <paramref name="wasTraining"/>; a failing forward pass becomes one <see cref="XaiException"/> naming the shape of
    /// <paramref name="shapeOf"/> (described as <paramref name="what"/>). Gradient mode and hooks are the caller's.
    /// </summary>
    private static Tensor CallInEvalMode(nn.Module<Tensor, Tensor> module, Tensor input, Tensor shapeOf, string what, bool wasTraining)
    {
        module.eval();
        try
        {
            return module.call(input);
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException)
        {
            throw new XaiException($"The forward pass on {what} of shape [{string.Join(", ", shapeOf.shape)}] failed: {TorchModel.FirstLine(e.Message)}", e);
        }
        finally
        {
            module.train(wasTraining);
        }
    }
}
