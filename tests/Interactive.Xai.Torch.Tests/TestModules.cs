using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

/// <summary>Small modules built directly with TorchSharp's nn: seeded, or with known weights for analytic answers.</summary>
internal static class TestModules
{
    /// <summary>features(conv1 Conv2d(1,4,3), relu1) -> flatten -> fc Linear(144, 10): for 8x8 inputs.</summary>
    public static Sequential Cnn(int seed = 1)
    {
        manual_seed(seed);
        return nn.Sequential(
            ("features", nn.Sequential(("conv1", nn.Conv2d(1, 4, 3)), ("relu1", nn.ReLU()))),
            ("flatten", nn.Flatten()),
            ("fc", nn.Linear(144, 10)));
    }

    public static Tensor Randn(int seed, params long[] shape)
    {
        using var generator = new Generator((ulong)seed);
        return randn(shape, generator: generator);
    }

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

/// <summary>An LSTM over [time, batch, features] followed by a linear read-out of the last step.</summary>
internal sealed class LstmTagger : nn.Module<Tensor, Tensor>
{
    private readonly LSTM lstm;
    private readonly Linear head;

    public LstmTagger(int features, int hidden, int outputs) : base(nameof(LstmTagger))
    {
        lstm = nn.LSTM(features, hidden);
        head = nn.Linear(hidden, outputs);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var (output, _, _) = lstm.call(input);
        return head.call(output[-1]);
    }
}

/// <summary>Token ids [time, batch] -> embedding -> one self-attention layer -> per-position read-out.</summary>
internal sealed class AttentionModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embed;
    private readonly MultiheadAttention attention;
    private readonly Linear head;

    public AttentionModel(int vocabulary, int width, int heads) : base(nameof(AttentionModel))
    {
        embed = nn.Embedding(vocabulary, width);
        attention = nn.MultiheadAttention(width, heads);
        head = nn.Linear(width, 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor tokens)
    {
        var x = embed.call(tokens);
        var (y, _) = attention.call(x, x, x, null, false, null);
        return head.call(y);
    }
}

/// <summary>A batch-first GRU over [batch, time, features] with a linear read-out of the last step.</summary>
internal sealed class GruReader : nn.Module<Tensor, Tensor>
{
    private readonly GRU gru;
    private readonly Linear head;

    public GruReader(int features, int hidden) : base(nameof(GruReader))
    {
        gru = nn.GRU(features, hidden, batchFirst: true);
        head = nn.Linear(hidden, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var (output, _) = gru.call(input);
        return head.call(output[.., -1]);
    }
}

/// <summary>Calls its layer with forward() rather than call(), so no forward hook fires (as with TorchScript submodules).</summary>
internal sealed class HookBypass : nn.Module<Tensor, Tensor>
{
    private readonly Linear inner;

    public HookBypass() : base(nameof(HookBypass))
    {
        inner = nn.Linear(3, 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => inner.forward(input);
}

/// <summary>
/// Self-attention over token ids [time, batch] with id 0 as padding (key padding mask) and a causal attention mask,
/// given as a float mask (-inf above the diagonal) or as a bool mask (true above the diagonal).
/// </summary>
internal sealed class MaskedAttentionModel : nn.Module<Tensor, Tensor>
{
    private readonly Embedding embed;
    private readonly MultiheadAttention attention;
    private readonly bool boolMask;

    public MaskedAttentionModel(int vocabulary, int width, int heads, bool boolMask) : base(nameof(MaskedAttentionModel))
    {
        embed = nn.Embedding(vocabulary, width);
        attention = nn.MultiheadAttention(width, heads);
        this.boolMask = boolMask;
        RegisterComponents();
    }

    public override Tensor forward(Tensor tokens)
    {
        long length = tokens.shape[0];
        var x = embed.call(tokens);
        using var padding = tokens.t().eq(0);                                  // [batch, time], true = ignore
        using var above = ones(length, length, ScalarType.Bool).triu(1);
        using var causal = boolMask ? above.clone() : zeros(length, length).masked_fill(above, double.NegativeInfinity);
        var (y, _) = attention.call(x, x, x, padding, false, causal);
        return y;
    }
}
