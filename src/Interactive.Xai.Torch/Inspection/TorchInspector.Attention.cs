using System.Runtime.InteropServices;
using Interactive.Xai.Inspection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch.Inspection;

public static partial class TorchInspector
{
    /// <summary>
    /// The per-head attention weights of the multi-head attention layer <paramref name="layerName"/> for
    /// <paramref name="inputs"/>. A forward hook on the layer captures its query, key, value and masks during one
    /// forward pass in evaluation mode (and asks the layer for its weights even if the model does not); the weights of
    /// each head are then computed from the layer's projections as softmax(Q_h K_hᵀ / √d), with the masks applied,
    /// and checked against the head-averaged weights the layer itself returns. TorchSharp's MultiheadAttention does
    /// not expose its head count, so the caller gives it; a wrong count fails that check. A key padding mask
    /// (true = ignore) masks keys; an attention mask is added to the scores as the layer itself does, also when it
    /// is bool (TorchSharp 0.107 adds 1 where a bool attention mask is true instead of masking: use a float mask
    /// with -inf to mask).
    /// </summary>
    /// <param name="module">The network.</param>
    /// <param name="layerName">The attention layer's path in the module tree.</param>
    /// <param name="inputs">A batch of inputs for the network.</param>
    /// <param name="headCount">The layer's number of heads (the num_heads it was built with).</param>
    /// <param name="tokens">Labels of the positions (tokens), used for both queries and keys when their lengths match; null for position numbers.</param>
    /// <exception cref="XaiException">The layer does not exist, is not multi-head attention, was not called, or the head count does not fit it.</exception>
    public static AttentionWeights Attention(nn.Module<Tensor, Tensor> module, string layerName, Tensor inputs, int headCount, IReadOnlyList<string>? tokens = null)
    {
        TorchRuntime.EnsureAvailable();
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(layerName);
        ArgumentNullException.ThrowIfNull(inputs);
        if (LayerHooks.Find(module, layerName) is not MultiheadAttention attention)
            throw new XaiException($"Layer '{layerName}' is a {LayerHooks.TypeName(LayerHooks.Find(module, layerName))}, not a MultiheadAttention layer.");
        var p = attention.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter, StringComparer.Ordinal);
        if (p.ContainsKey("bias_k") || p.ContainsKey("bias_v"))
            throw new XaiException($"Attention layer '{layerName}' adds key/value biases (add_bias_kv), which this inspector does not model.");
        long width = p.TryGetValue("in_proj_weight", out var packed) ? packed.shape[1] : p["q_proj_weight"].shape[0];
        if (headCount <= 0 || width % headCount != 0)
            throw new XaiException($"Attention layer '{layerName}' has width {width}, which {headCount} heads do not divide.");

        using var scope = NewDisposeScope();
        Tensor? query = null, key = null, padding = null, mask = null, averaged = null;
        bool wasTraining = module.training;
        var pre = attention.register_forward_pre_hook((_, q, k, v, keyPadding, needWeights, attnMask) => (q, k, v, keyPadding, true, attnMask));
        var post = attention.register_forward_hook((_, q, k, v, keyPadding, needWeights, attnMask, y) =>
        {
            if (query is null)
            {
                query = q.detach().clone();
                key = k.detach().clone();
                padding = keyPadding is null || keyPadding.IsInvalid ? null : keyPadding.detach().clone();
                mask = attnMask is null || attnMask.IsInvalid ? null : attnMask.detach().clone();
                averaged = y.Item2 is null || y.Item2.IsInvalid ? null : y.Item2.detach().clone();
            }
            return y;
        });
        try
        {
            using var _ = no_grad();
            module.eval();
            module.call(inputs);
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or InvalidOperationException)
        {
            throw new XaiException($"The forward pass on inputs of shape [{string.Join(", ", inputs.shape)}] failed: {TorchModel.FirstLine(e.Message)}", e);
        }
        finally
        {
            pre.remove();
            post.remove();
            module.train(wasTraining);
        }
        if (query is null || key is null) throw new XaiException($"The forward pass did not call attention layer '{layerName}'.");

        using (no_grad())
        {
            // Query [L, N, E], key [S, N, E] (TorchSharp's MultiheadAttention is sequence-first).
            long l = query.shape[0], n = query.shape[1], s = key.shape[0], d = width / headCount;
            Tensor wq, wk, bq, bk;
            if (packed is not null)
            {
                wq = packed[..(int)width];
                wk = packed[(int)width..(int)(2 * width)];
            }
            else
            {
                wq = p["q_proj_weight"];
                wk = p["k_proj_weight"];
            }
            if (p.TryGetValue("in_proj_bias", out var bias))
            {
                bq = bias[..(int)width];
                bk = bias[(int)width..(int)(2 * width)];
            }
            else
            {
                bq = zeros(width);
                bk = zeros(width);
            }
            var qh = (nn.functional.linear(query, wq, bq) / Math.Sqrt(d)).reshape(l, n * headCount, d).transpose(0, 1);
            var kh = nn.functional.linear(key, wk, bk).reshape(s, n * headCount, d).transpose(0, 1);
            var scores = qh.bmm(kh.transpose(1, 2)); // [N*H, L, S]
            if (mask is not null)
            {
                // TorchSharp 0.107's MultiheadAttention adds attn_mask to the scores whatever its type: a bool mask
                // adds 1 where it is true rather than masking (measured against the layer's own weights). The same
                // is done here, so the weights are the ones the layer used; pass a float mask with -inf to mask.
                var m = mask.dim() == 2 ? mask.unsqueeze(0) : mask;
                scores = scores + (m.dtype == ScalarType.Bool ? m.to_type(scores.dtype) : m);
            }
            scores = scores.reshape(n, headCount, l, s);
            if (padding is not null)
            {
                var m = padding.reshape(n, 1, 1, s);
                scores = m.dtype == ScalarType.Bool ? scores.masked_fill(m, double.NegativeInfinity) : scores + m;
            }
            var weights = scores.softmax(-1); // [N, H, L, S]
            if (averaged is not null)
            {
                var mean = weights.mean([1]);
                if (!mean.shape.SequenceEqual(averaged.shape) || !mean.allclose(averaged, rtol: 1e-3, atol: 1e-5))
                    throw new XaiException($"{headCount} heads do not reproduce the attention weights of layer '{layerName}'; give the num_heads the layer was built with.");
            }
            var labels = tokens is null ? null : tokens.ToArray();
            return new AttentionWeights
            {
                Layer = layerName,
                BatchSize = (int)n,
                HeadCount = headCount,
                QueryLength = (int)l,
                KeyLength = (int)s,
                Values = [.. TensorData.Floats(weights)],
                QueryLabels = labels is not null && labels.Length == l ? [.. labels] : [],
                KeyLabels = labels is not null && labels.Length == s ? [.. labels] : [],
            };
        }
    }
}
