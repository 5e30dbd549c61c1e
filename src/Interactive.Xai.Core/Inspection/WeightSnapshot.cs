using System.Collections.Immutable;

namespace Interactive.Xai.Inspection;

/// <summary>
/// A network's parameter tensors at one moment (for example before or after training): every tensor's values,
/// shape, owning layer and statistics.
/// </summary>
public sealed record WeightSnapshot
{
    /// <summary>A label for the moment, for example "before training".</summary>
    public required string Label { get; init; }

    /// <summary>The parameter tensors in the network's order, values stored.</summary>
    public required ImmutableArray<StructureTensor> Tensors { get; init; }

    /// <summary>The total number of parameter values.</summary>
    public long ParameterCount => Tensors.Sum(t => t.ValueCount);

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="XaiException">No tensor has that name.</exception>
    public StructureTensor Tensor(string name)
        => Tensors.FirstOrDefault(t => t.Name == name)
           ?? throw new XaiException($"The snapshot has no parameter '{name}' (it has {string.Join(", ", Tensors.Select(t => t.Name))}).");

    /// <summary>Statistics of the tensor's values.</summary>
    public static ValueStatistics Statistics(StructureTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return ValueStatistics.Of(tensor.Values.AsSpan());
    }

    /// <summary>Compares this snapshot (before) with a later one of the same network (after), tensor by tensor.</summary>
    /// <exception cref="XaiException">The snapshots do not hold the same tensor names and shapes.</exception>
    public WeightComparison CompareTo(WeightSnapshot after)
    {
        ArgumentNullException.ThrowIfNull(after);
        var changes = ImmutableArray.CreateBuilder<WeightChange>(Tensors.Length);
        foreach (var before in Tensors)
        {
            var later = after.Tensors.FirstOrDefault(t => t.Name == before.Name)
                ?? throw new XaiException($"The snapshot '{after.Label}' has no parameter '{before.Name}'.");
            if (!later.Shape.SequenceEqual(before.Shape) || later.Values.Length != before.Values.Length)
                throw new XaiException($"Parameter '{before.Name}' has shape [{string.Join(", ", before.Shape)}] in '{Label}' but [{string.Join(", ", later.Shape)}] in '{after.Label}'.");
            var delta = new float[before.Values.Length];
            for (int i = 0; i < delta.Length; i++) delta[i] = later.Values[i] - before.Values[i];
            var d = ValueStatistics.Of(delta);
            double norm = ValueStatistics.Of(before.Values.AsSpan()).Norm;
            changes.Add(new WeightChange(before.Name, d, norm == 0 ? (d.Norm == 0 ? 0 : double.PositiveInfinity) : d.Norm / norm));
        }
        return new WeightComparison { Before = this, After = after, Changes = changes.MoveToImmutable() };
    }
}

/// <summary>How one parameter tensor changed between two snapshots.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="Difference">Statistics of after − before, value by value.</param>
/// <param name="RelativeChange">‖after − before‖ / ‖before‖ (L2 norms); 0 when neither changed, infinity when before is all zeros and after is not.</param>
public sealed record WeightChange(string Name, ValueStatistics Difference, double RelativeChange);

/// <summary>Two snapshots of the same network and the change of each tensor.</summary>
public sealed record WeightComparison
{
    /// <summary>The earlier snapshot.</summary>
    public required WeightSnapshot Before { get; init; }

    /// <summary>The later snapshot.</summary>
    public required WeightSnapshot After { get; init; }

    /// <summary>One change per tensor, in the earlier snapshot's order.</summary>
    public required ImmutableArray<WeightChange> Changes { get; init; }
}
