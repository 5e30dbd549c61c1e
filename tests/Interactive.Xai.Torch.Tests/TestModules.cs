using TorchSharp;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

/// <summary>Small modules with known weights, for analytic answers.</summary>
internal static class TestModules
{
    /// <summary>y = W x + b with the given W (outputs x inputs) and b.</summary>
    public static nn.Module<Tensor, Tensor> Linear(float[,] weights, float[] bias)
    {
        int outputs = weights.GetLength(0), inputs = weights.GetLength(1);
        var linear = nn.Linear(inputs, outputs);
        using (no_grad())
        {
            linear.weight!.copy_(tensor(weights));
            linear.bias!.copy_(tensor(bias));
        }
        return linear;
    }

    /// <summary>A module whose forward is any function (no parameters).</summary>
    public static nn.Module<Tensor, Tensor> Function(Func<Tensor, Tensor> forward, string name = "function")
        => new FunctionModule(name, forward);

    private sealed class FunctionModule : nn.Module<Tensor, Tensor>
    {
        private readonly Func<Tensor, Tensor> _forward;

        public FunctionModule(string name, Func<Tensor, Tensor> forward) : base(name) => _forward = forward;

        public override Tensor forward(Tensor input) => _forward(input);
    }
}
