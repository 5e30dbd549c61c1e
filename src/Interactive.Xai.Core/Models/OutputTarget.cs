using System.Collections.Immutable;
using System.Globalization;

namespace Interactive.Xai;

/// <summary>Which model outputs an explanation is about: one output by index, or all of them.</summary>
public sealed record OutputTarget
{
    private OutputTarget(int? index) => Index = index;

    /// <summary>The output index, or null for all outputs.</summary>
    public int? Index { get; }

    /// <summary>Every output of the model, explained in one call.</summary>
    public static OutputTarget All { get; } = new((int?)null);

    /// <summary>The output at <paramref name="index"/>.</summary>
    public static OutputTarget Output(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new OutputTarget(index);
    }

    /// <summary>Parses "all", an output index, or an output name.</summary>
    public static OutputTarget Parse(string text, IReadOnlyList<string>? outputNames = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Equals("all", StringComparison.OrdinalIgnoreCase)) return All;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int index)) return Output(index);
        if (outputNames is not null)
        {
            for (int i = 0; i < outputNames.Count; i++)
                if (outputNames[i] == text) return Output(i);
        }
        throw new XaiException($"target '{text}' is not 'all', an output index or an output name");
    }

    /// <summary>The output indices this target selects for <paramref name="model"/>.</summary>
    public ImmutableArray<int> Resolve(IModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        int count = model.OutputCount();
        if (Index is null) return Enumerable.Range(0, count).ToImmutableArray();
        if (Index.Value >= count)
            throw new XaiException($"target output {Index.Value} does not exist; the model has {count} output(s): {string.Join(", ", model.OutputNames)}");
        return [Index.Value];
    }

    /// <inheritdoc />
    public override string ToString() => Index?.ToString(CultureInfo.InvariantCulture) ?? "all";
}
