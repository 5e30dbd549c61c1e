using System.Globalization;
using Interactive.Xai.Inspection;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>
/// A traced network structure (see Interactive.Xai.Torch's TorchInspector.Summarize) drawn like torchinfo: a table
/// of layers with type, output shape and parameter counts plus totals and memory, and the module tree.
/// The data-flow graph is <see cref="StructureCharts.Graph"/>.
/// </summary>
public static class LayerSummaryCharts
{
    /// <summary>The rows of the torchinfo-style table: layer (indented by nesting), output shape, parameters, trainable.</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Rows(ModelStructure structure)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var rows = new List<IReadOnlyList<string>>();
        var shown = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in structure.Nodes)
        {
            // A container's row appears once, before its first layer, with the parameters of everything inside it.
            for (int c = 0; c < node.Containers.Length; c++)
            {
                string container = node.Containers[c];
                if (!shown.Add(container)) continue;
                var inside = structure.Nodes.Where(n => n.Containers.Contains(container) && !n.Name.Contains(" (call ", StringComparison.Ordinal)).ToArray();
                rows.Add([Indent(c) + container, "", Count(inside.Sum(n => n.ParameterCount)), Count(inside.Sum(n => n.TrainableParameterCount))]);
            }
            bool repeated = node.Name.Contains(" (call ", StringComparison.Ordinal);
            rows.Add([Indent(node.Containers.Length) + $"{node.Operator}: {node.Name}", node.OutputShapeText,
                node.ParameterCount == 0 ? "--" : Count(node.ParameterCount) + (repeated ? " (recursive)" : ""),
                node.ParameterCount == 0 ? "--" : Count(node.TrainableParameterCount)]);
        }
        return rows;
    }

    /// <summary>The totals under the table: parameter counts and the memory estimate in MB.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Totals(ModelStructure structure)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var totals = new List<KeyValuePair<string, string>>
        {
            new("Total params", Count(structure.ParameterCount)),
            new("Trainable params", Count(structure.TrainableParameterCount)),
            new("Non-trainable params", Count(structure.ParameterCount - structure.TrainableParameterCount)),
        };
        if (structure.InputByteCount is { } input) totals.Add(new("Input size (MB)", Megabytes(input)));
        if (structure.ActivationByteCount is { } activations) totals.Add(new("Forward pass size (MB)", Megabytes(activations)));
        totals.Add(new("Params size (MB)", Megabytes(structure.ParameterByteCount)));
        if (structure.InputByteCount is { } i && structure.ActivationByteCount is { } a)
            totals.Add(new("Estimated total size (MB)", Megabytes(i + a + structure.ParameterByteCount)));
        return totals;
    }

    /// <summary>The table as a plotly table: one row per layer (containers first), then the totals.</summary>
    public static GenericChart Table(ModelStructure structure)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var rows = Rows(structure).ToList();
        rows.Add(["", "", "", ""]);
        rows.AddRange(Totals(structure).Select(t => (IReadOnlyList<string>)[t.Key, "", t.Value, ""]));
        var columns = Enumerable.Range(0, 4).Select(c => rows.Select(r => PlotText.Escape(r[c])).ToArray()).ToArray();
        var trace = Figure.Trace("table",
            ("columnwidth", new[] { 3.0, 1.6, 1.0, 1.0 }),
            ("header", Figure.Object(("values", new[] { "Layer (type: name)", "Output shape", "Param #", "Trainable" }),
                ("align", "left"), ("fill", Figure.Object(("color", "#f3f3f3"))), ("font", Figure.Object(("size", 13))))),
            ("cells", Figure.Object(("values", columns), ("align", new[] { "left", "left", "right", "right" }), ("height", 24),
                ("font", Figure.Object(("family", "ui-monospace, SFMono-Regular, Menlo, monospace"), ("size", 12))))));
        var layout = Figure.Layout(
            ("title", Figure.Title($"{PlotText.Escape(structure.Name)}: {Count(structure.ParameterCount)} parameters")),
            ("height", Math.Clamp(120 + 25 * rows.Count, 260, 1400)));
        return Figure.Chart([trace], layout);
    }

    /// <summary>
    /// The module tree as an icicle: the model at the top, containers below it, layers at the leaves (each layer
    /// the same width); hover shows type, output shape and parameter counts (containers sum what they hold).
    /// </summary>
    public static GenericChart Tree(ModelStructure structure)
    {
        ArgumentNullException.ThrowIfNull(structure);
        const string root = "m:";
        var ids = new List<string> { root };
        var parents = new List<string> { "" };
        var labels = new List<string> { PlotText.Escape(structure.Name) };
        var values = new List<int> { structure.Nodes.Length };
        var hover = new List<string> { $"{PlotText.Escape(structure.Name)}<br>{Count(structure.ParameterCount)} parameters, {structure.Nodes.Length} layer calls" };
        var containerIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in structure.Nodes)
        {
            string parent = root;
            foreach (var container in node.Containers)
            {
                if (!containerIndex.TryGetValue(container, out int index))
                {
                    containerIndex[container] = index = ids.Count;
                    var inside = structure.Nodes.Where(n => n.Containers.Contains(container)).ToArray();
                    ids.Add("c:" + container);
                    parents.Add(parent);
                    labels.Add(PlotText.Escape(container[(container.LastIndexOf('.') + 1)..]));
                    values.Add(inside.Length);
                    hover.Add($"<b>{PlotText.Escape(container)}</b><br>{Count(inside.Sum(n => n.ParameterCount))} parameters in {inside.Length} layer calls");
                }
                parent = ids[index];
            }
            ids.Add("n:" + node.Name);
            parents.Add(parent);
            labels.Add($"{PlotText.Escape(node.Operator)}<br>{PlotText.Escape(node.Name[(node.Name.LastIndexOf('.') + 1)..])}");
            values.Add(1);
            hover.Add($"<b>{PlotText.Escape(node.Operator)}</b> {PlotText.Escape(node.Name)}<br>output {PlotText.Escape(node.OutputShapeText)}<br>{Count(node.ParameterCount)} parameters ({Count(node.TrainableParameterCount)} trainable)");
        }
        var trace = Figure.Trace("icicle", ("ids", ids.Select(PlotText.Escape).ToArray()), ("parents", parents.Select(PlotText.Escape).ToArray()),
            ("labels", labels.ToArray()), ("values", values.ToArray()), ("branchvalues", "total"),
            ("hovertext", hover.ToArray()), ("hoverinfo", "text"), ("textinfo", "label"),
            ("tiling", Figure.Object(("orientation", "v"))), ("marker", Figure.Object(("colors", ids.Select((_, i) => ChartTheme.Palette[Depth(ids[i], parents, ids) % (ChartTheme.Palette.Count - 1)]).ToArray()))));
        var layout = Figure.Layout(
            ("title", Figure.Title($"{PlotText.Escape(structure.Name)}: module tree")),
            ("height", 420));
        return Figure.Chart([trace], layout);
    }

    private static int Depth(string id, List<string> parents, List<string> ids)
    {
        int depth = 0;
        for (int i = ids.IndexOf(id); i > 0 && parents[i] != ""; i = ids.IndexOf(parents[i])) depth++;
        return depth;
    }

    private static string Indent(int level) => new string('\u00A0', 2 * level) + (level > 0 ? "└─" : "");

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Megabytes(long bytes) => (bytes / 1e6).ToString("0.00", CultureInfo.InvariantCulture);
}
