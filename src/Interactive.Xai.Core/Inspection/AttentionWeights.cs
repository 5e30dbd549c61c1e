using System.Collections.Immutable;

namespace Interactive.Xai.Inspection;

/// <summary>
/// The attention weights of one multi-head attention layer for a batch: for every input, head, query position and
/// key position, the softmax weight the query gives the key (each row sums to 1).
/// </summary>
public sealed record AttentionWeights
{
    /// <summary>The layer's name.</summary>
    public required string Layer { get; init; }

    /// <summary>The number of inputs in the batch.</summary>
    public required int BatchSize { get; init; }

    /// <summary>The number of heads.</summary>
    public required int HeadCount { get; init; }

    /// <summary>The number of query positions.</summary>
    public required int QueryLength { get; init; }

    /// <summary>The number of key positions.</summary>
    public required int KeyLength { get; init; }

    /// <summary>The weights as [batch][head][query][key], row-major.</summary>
    public required ImmutableArray<float> Values { get; init; }

    /// <summary>Labels of the query positions (tokens); empty for position numbers.</summary>
    public ImmutableArray<string> QueryLabels { get; init; } = [];

    /// <summary>Labels of the key positions (tokens); empty for position numbers.</summary>
    public ImmutableArray<string> KeyLabels { get; init; } = [];

    /// <summary>One head's [query, key] matrix for one input, row-major; <paramref name="head"/> null averages the heads.</summary>
    /// <exception cref="XaiException">The input or head does not exist.</exception>
    public float[] Matrix(int sample, int? head)
    {
        if (sample < 0 || sample >= BatchSize) throw new XaiException($"Attention layer '{Layer}' holds {BatchSize} inputs; there is no input {sample}.");
        if (head is { } h && (h < 0 || h >= HeadCount)) throw new XaiException($"Attention layer '{Layer}' has {HeadCount} heads; there is no head {h}.");
        int size = QueryLength * KeyLength;
        if (head is { } one) return Values.AsSpan((sample * HeadCount + one) * size, size).ToArray();
        var mean = new float[size];
        for (int k = 0; k < HeadCount; k++)
        {
            var part = Values.AsSpan((sample * HeadCount + k) * size, size);
            for (int i = 0; i < size; i++) mean[i] += part[i] / HeadCount;
        }
        return mean;
    }
}
