using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch;

/// <summary>
/// A small CNN for 8x8 one-channel images with raw pixel values in 0..16 (scikit-learn's digits): it scales the
/// pixels to 0..1, then conv1 (8 channels, 3x3, padding 1) - relu1 - pool1 (2x2 max) - conv2 (16 channels, 3x3,
/// padding 1) - relu2 - flatten - fc (10 logits); <see cref="forward"/> returns the softmax probabilities.
/// Grad-CAM's natural layer is "conv2" (16 channels at 4x4).
/// </summary>
public sealed class DigitsCnn : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly ReLU relu1;
    private readonly MaxPool2d pool1;
    private readonly Conv2d conv2;
    private readonly ReLU relu2;
    private readonly Flatten flatten;
    private readonly Linear fc;

    /// <summary>Creates the network with freshly initialised weights (seed them with <c>torch.manual_seed</c>).</summary>
    public DigitsCnn() : base(TorchRuntime.Checked(nameof(DigitsCnn)))
    {
        conv1 = nn.Conv2d(1, 8, 3, padding: 1);
        relu1 = nn.ReLU();
        pool1 = nn.MaxPool2d(2);
        conv2 = nn.Conv2d(8, 16, 3, padding: 1);
        relu2 = nn.ReLU();
        flatten = nn.Flatten();
        fc = nn.Linear(16 * 4 * 4, 10);
        RegisterComponents();
    }

    /// <summary>The class scores before the softmax, shape [batch, 10], for an input of shape [batch, 1, 8, 8].</summary>
    public Tensor Logits(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input / 16f;
        x = pool1.call(relu1.call(conv1.call(x)));
        x = flatten.call(relu2.call(conv2.call(x)));
        return fc.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>The class probabilities, shape [batch, 10].</summary>
    public override Tensor forward(Tensor input)
    {
        using var logits = Logits(input);
        return nn.functional.softmax(logits, 1);
    }
}

/// <summary>
/// A small MLP for tabular data: standardise (with the training set's means and standard deviations, kept as
/// buffers) - hidden (Linear) - relu - out (Linear); <see cref="forward"/> returns class probabilities.
/// </summary>
public sealed class TabularMlp : nn.Module<Tensor, Tensor>
{
    private readonly Tensor mean;
    private readonly Tensor scale;
    private readonly Linear hidden;
    private readonly ReLU relu;
    private readonly Linear @out;

    /// <summary>Creates the network for <paramref name="means"/>.Length features and <paramref name="classCount"/> classes.</summary>
    public TabularMlp(float[] means, float[] standardDeviations, int hiddenUnits, int classCount) : base(TorchRuntime.Checked(nameof(TabularMlp)))
    {
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(standardDeviations);
        mean = tensor(means);
        scale = tensor(standardDeviations.Select(s => s > 0 ? 1 / s : 1f).ToArray());
        hidden = nn.Linear(means.Length, hiddenUnits);
        relu = nn.ReLU();
        @out = nn.Linear(hiddenUnits, classCount);
        RegisterComponents();
    }

    /// <summary>The class scores before the softmax.</summary>
    public Tensor Logits(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = (input - mean) * scale;
        return @out.call(relu.call(hidden.call(x))).MoveToOuterDisposeScope();
    }

    /// <summary>The class probabilities.</summary>
    public override Tensor forward(Tensor input)
    {
        using var logits = Logits(input);
        return nn.functional.softmax(logits, 1);
    }
}
