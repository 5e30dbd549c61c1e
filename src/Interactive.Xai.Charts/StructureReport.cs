using System.Globalization;
using Interactive.Xai.Inspection;

namespace Interactive.Xai.Charts;

/// <summary>The default presentation of a model's structure in a report: facts, inputs and outputs, the graph, node and parameter tables, weight histograms.</summary>
public static class StructureReport
{
    /// <summary>Most nodes listed in the node table.</summary>
    public const int MaxTableRows = 500;

    /// <summary>Adds a section describing <paramref name="structure"/>.</summary>
    public static HtmlReport AddStructure(this HtmlReport report, ModelStructure structure)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(structure);
        report.AddHeading($"{structure.Name} ({structure.Format})");
        var facts = new List<IReadOnlyList<string>>
        {
            new[] { "nodes", structure.Nodes.Length.ToString(CultureInfo.InvariantCulture) },
            new[] { "parameters", structure.ParameterCount.ToString("N0", CultureInfo.InvariantCulture) + $" in {structure.Parameters.Length} tensors" },
        };
        facts.AddRange(structure.Properties.Select(p => (IReadOnlyList<string>)[p.Key, p.Value]));
        report.AddTable([], facts);
        report.AddTable(["", "name", "type", "shape"],
            structure.Inputs.Select(v => (IReadOnlyList<string>)["input", v.Name, v.ElementType, v.ShapeText])
                .Concat(structure.Outputs.Select(v => (IReadOnlyList<string>)["output", v.Name, v.ElementType, v.ShapeText])),
            "Inputs and outputs");
        report.AddChart(StructureCharts.Graph(structure));
        var parameters = structure.Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        report.AddTable(["#", "operator", "name", "inputs", "outputs", "attributes"],
            structure.Nodes.Take(MaxTableRows).Select((n, i) => (IReadOnlyList<string>)
            [
                i.ToString(CultureInfo.InvariantCulture), n.Operator, n.Name,
                string.Join(", ", n.Inputs.Select(x => parameters.TryGetValue(x, out var p) ? $"{x} [{string.Join("x", p.Shape)}]" : x)),
                string.Join(", ", n.Outputs),
                string.Join("; ", n.Attributes.Select(a => $"{a.Key}={a.Value}")),
            ]),
            structure.Nodes.Length > MaxTableRows ? $"Nodes (first {MaxTableRows} of {structure.Nodes.Length})" : "Nodes");
        if (structure.Parameters.Length > 0)
        {
            report.AddTable(["parameter", "type", "shape", "values", "mean", "std", "min", "max"],
                structure.Parameters.Select(p =>
                {
                    var s = p.Summary();
                    return (IReadOnlyList<string>)
                    [
                        p.Name, p.ElementType, "[" + string.Join(", ", p.Shape) + "]", p.ValueCount.ToString("N0", CultureInfo.InvariantCulture),
                        Format(s?.Mean), Format(s?.StandardDeviation), Format(s?.Min), Format(s?.Max),
                    ];
                }), "Parameters");
            report.AddChart(StructureCharts.ParameterHistograms(structure));
        }
        return report;
    }

    private static string Format(double? value) => value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "";
}
