using System.Collections.Immutable;
using System.Globalization;

namespace Interactive.Xai;

/// <summary>
/// Which model outputs an explanation is about: one output by index, all of them, or each row's own predicted
/// (highest-scoring) output.
/// </summary>
public sealed record OutputTarget
{
    private OutputTarget(int? index, bool isPredicted = false)
    {
        Index = index;
        IsPredicted = isPredicted;
    }

    /// <summary>The output index, or null for all outputs (and for <see cref="Predicted"/>).</summary>
    public int? Index { get; }

    /// <summary>True when each row is explained for its own highest-scoring output.</summary>
    public bool IsPredicted { get; }

    /// <summary>Every output of the model, explained in one call.</summary>
    public static OutputTarget All { get; } = new((int?)null);

    /// <summary>
    /// Each row's own predicted output (its arg-max). Only per-row methods (gradient attributions, occlusion) accept
    /// it; <see cref="Resolve"/> refuses it.
    /// </summary>
    public static OutputTarget Predicted { get; } = new(null, isPredicted: true);

    /// <summary>The output at <paramref name="index"/>.</summary>
    public static OutputTarget Output(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new OutputTarget(index);
    }

    /// <summary>Parses "all", "predicted", an output index, or an output name.</summary>
    public static OutputTarget Parse(string text, IReadOnlyList<string>? outputNames = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Equals("all", StringComparison.OrdinalIgnoreCase)) return All;
        if (text.Equals("predicted", StringComparison.OrdinalIgnoreCase)) return Predicted;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int index)) return Output(index);
        if (outputNames is not null)
        {
            for (int i = 0; i < outputNames.Count; i++)
                if (outputNames[i] == text) return Output(i);
        }
        throw new XaiException($"target '{text}' is not 'all', 'predicted', an output index or an output name");
    }

    /// <summary>The output indices this target selects for <paramref name="model"/>.</summary>
    public ImmutableArray<int> Resolve(IModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (IsPredicted)
            throw new XaiException("target 'predicted' (each row's own top output) is only supported by per-row methods: saliency, smoothgrad, ig, grad-cam, occlusion");
        int count = model.OutputCount();
        if (Index is null) return Enumerable.Range(0, count).ToImmutableArray();
        if (Index.Value >= count)
            throw new XaiException($"target output {Index.Value} does not exist; the model has {count} output(s): {string.Join(", ", model.OutputNames)}");
        return [Index.Value];
    }

    /// <inheritdoc />
    public override string ToString() => IsPredicted ? "predicted" : Index?.ToString(CultureInfo.InvariantCulture) ?? "all";
}
