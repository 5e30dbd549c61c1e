using Interactive.Xai.Torch.Inspection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Tests;

public sealed class AttentionTests
{
    private static readonly string[] Words = ["the", "cat", "sat", "on", "<mat>"];

    private static (AttentionModel Model, Tensor Tokens) Build()
    {
        manual_seed(8);
        var model = new AttentionModel(10, 6, 2);
        var tokens = tensor(new long[] { 1, 4, 2, 7, 3, 3, 9, 0, 5, 1 }).reshape(5, 2); // [time 5, batch 2]
        return (model, tokens);
    }

    [Fact]
    public void Attention_rows_sum_to_one_and_match_a_manual_softmax_of_scaled_query_key_products()
    {
        var (model, tokens) = Build();
        using var _ = model;
        var a = TorchInspector.Attention(model, "attention", tokens, 2, Words);
        Assert.Equal((2, 2, 5, 5), (a.BatchSize, a.HeadCount, a.QueryLength, a.KeyLength));
        Assert.Equal(Words, a.QueryLabels.ToArray());

        var p = model.named_parameters().ToDictionary(x => x.name, x => x.parameter.data<float>().ToArray());
        float[] embed = p["embed.weight"], w = p["attention.in_proj_weight"], b = p["attention.in_proj_bias"];
        long[] ids = tokens.data<long>().ToArray();
        const int E = 6, H = 2, D = 3, L = 5;
        double Project(int row, int t, int n) // row of in_proj (0..2E), position t, batch n
        {
            double sum = b[row];
            for (int j = 0; j < E; j++) sum += w[row * E + j] * embed[ids[t * 2 + n] * E + j];
            return sum;
        }
        for (int n = 0; n < 2; n++)
            for (int h = 0; h < H; h++)
            {
                var m = a.Matrix(n, h);
                for (int i = 0; i < L; i++)
                {
                    var scores = new double[L];
                    for (int j = 0; j < L; j++)
                    {
                        for (int c = 0; c < D; c++) scores[j] += Project(h * D + c, i, n) * Project(E + h * D + c, j, n);
                        scores[j] /= Math.Sqrt(D);
                    }
                    double max = scores.Max(), total = scores.Sum(x => Math.Exp(x - max));
                    double rowSum = 0;
                    for (int j = 0; j < L; j++)
                    {
                        Assert.Equal(Math.Exp(scores[j] - max) / total, m[i * L + j], 1e-5);
                        rowSum += m[i * L + j];
                    }
                    Assert.Equal(1.0, rowSum, 1e-5);
                }
            }
        // The head average is what the layer itself returns with need_weights.
        var layer = (MultiheadAttention)model.named_children().Single(c => c.name == "attention").module;
        var embedding = (Embedding)model.named_children().Single(c => c.name == "embed").module;
        using var scope = NewDisposeScope();
        using var __ = no_grad();
        var x = embedding.call(tokens);
        var (_, own) = layer.call(x, x, x, null, true, null);
        Assert.Equal(own[1].reshape(-1).data<float>().ToArray(), a.Matrix(1, null), new ToleranceComparer(1e-5f));
    }

    [Fact]
    public void A_wrong_head_count_or_a_layer_that_is_not_attention_is_a_clear_error()
    {
        var (model, tokens) = Build();
        using var _ = model;
        Assert.Contains("3 heads do not reproduce", Assert.Throws<XaiException>(() => TorchInspector.Attention(model, "attention", tokens, 3)).Message);
        Assert.Contains("do not divide", Assert.Throws<XaiException>(() => TorchInspector.Attention(model, "attention", tokens, 4)).Message);
        Assert.Contains("not a MultiheadAttention", Assert.Throws<XaiException>(() => TorchInspector.Attention(model, "head", tokens, 2)).Message);
    }

    [Fact]
    public void Padding_and_causal_masks_give_masked_keys_zero_weight_and_still_match_the_layers_own_weights()
    {
        manual_seed(9);
        using var model = new MaskedAttentionModel(10, 8, 4, boolMask: false);
        // Input 0 has no padding; input 1 ends in two padding tokens (id 0).
        using var tokens = tensor(new long[] { 3, 5, 7, 2, 1, 9, 4, 0, 6, 0 }).reshape(5, 2);
        var a = TorchInspector.Attention(model, "attention", tokens, 4);
        for (int h = 0; h < 4; h++)
        {
            var m0 = a.Matrix(0, h);
            var m1 = a.Matrix(1, h);
            for (int q = 0; q < 5; q++)
            {
                for (int k = q + 1; k < 5; k++) Assert.Equal(0f, m0[q * 5 + k]); // causal
                Assert.Equal(1.0, Enumerable.Range(0, 5).Sum(k => (double)m0[q * 5 + k]), 1e-5);
                if (q < 3)
                {
                    Assert.Equal(0f, m1[q * 5 + 3]); // padding keys
                    Assert.Equal(0f, m1[q * 5 + 4]);
                    Assert.Equal(1.0, Enumerable.Range(0, 5).Sum(k => (double)m1[q * 5 + k]), 1e-5);
                }
            }
            Assert.Equal(1f, m0[0]); // the first query can only see itself
        }
    }

    [Fact]
    public void A_bool_attention_mask_is_reproduced_as_torchsharp_applies_it_added_to_the_scores()
    {
        // TorchSharp 0.107 adds a bool attn_mask (true = 1) to the scores instead of masking; the inspector's weights
        // pass the check against the layer's own weights, so they are what the layer used: keys above the diagonal
        // keep weight, padded keys do not.
        manual_seed(9);
        using var model = new MaskedAttentionModel(10, 8, 4, boolMask: true);
        using var tokens = tensor(new long[] { 3, 5, 7, 2, 1, 9, 4, 0, 6, 0 }).reshape(5, 2);
        var a = TorchInspector.Attention(model, "attention", tokens, 4);
        var m0 = a.Matrix(0, 0);
        Assert.True(m0[0 * 5 + 4] > 0);
        Assert.Equal(0f, a.Matrix(1, 0)[0 * 5 + 4]);
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
