using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

public class NativeLibraryTests
{
    [Fact]
    public void TorchSharpLoadsAndComputesAfterTheBuildPatchesItsNativeLibrary()
    {
        using var x = tensor(new float[] { 1, 2, 3 }, requires_grad: true);
        using var y = (x * x).sum();
        y.backward();
        Assert.Equal(14f, y.item<float>());
        Assert.Equal(new float[] { 2, 4, 6 }, x.grad!.data<float>().ToArray());
    }
}
