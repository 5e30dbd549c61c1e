using System.Globalization;
using Interactive.Xai.Inspection;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Charts of a model's structure: the graph of nodes, and histograms of its parameter tensors.</summary>
public static class StructureCharts
{
    /// <summary>
    /// The model graph laid out in layers from left to right: graph inputs, then each node at its depth (the longest
    /// chain feeding it), then graph outputs. Nodes are coloured by operator; hover shows names, values and attributes.
    /// </summary>
    public static GenericChart Graph(ModelStructure structure)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var depths = structure.Depths();
        int maxDepth = depths.Length == 0 ? 0 : depths.Max();
        // Positions: inputs at x = 0, nodes at depth + 1, outputs after the deepest node.
        var position = new (double X, double Y)[structure.Nodes.Length];
        foreach (var layer in Enumerable.Range(0, structure.Nodes.Length).GroupBy(n => depths[n]))
        {
            var members = layer.ToArray();
            for (int i = 0; i < members.Length; i++) position[members[i]] = (layer.Key + 1, Centred(i, members.Length));
        }
        var inputPositions = structure.Inputs.Select((v, i) => (X: 0.0, Y: Centred(i, structure.Inputs.Length))).ToArray();
        var outputPositions = structure.Outputs.Select((v, i) => (X: maxDepth + 2.0, Y: Centred(i, structure.Outputs.Length))).ToArray();

        var edgeX = new List<double?>();
        var edgeY = new List<double?>();
        void Segment((double X, double Y) a, (double X, double Y) b)
        {
            edgeX.Add(a.X); edgeX.Add(b.X); edgeX.Add(null);
            edgeY.Add(a.Y); edgeY.Add(b.Y); edgeY.Add(null);
        }
        foreach (var (from, to, _) in structure.Edges()) Segment(position[from], position[to]);
        for (int i = 0; i < structure.Inputs.Length; i++)
            for (int n = 0; n < structure.Nodes.Length; n++)
                if (structure.Nodes[n].Inputs.Contains(structure.Inputs[i].Name)) Segment(inputPositions[i], position[n]);
        for (int o = 0; o < structure.Outputs.Length; o++)
            for (int n = 0; n < structure.Nodes.Length; n++)
                if (structure.Nodes[n].Outputs.Contains(structure.Outputs[o].Name)) Segment(position[n], outputPositions[o]);

        var traces = new List<Trace>
        {
            Figure.Trace("scatter", ("mode", "lines"), ("x", edgeX.ToArray()), ("y", edgeY.ToArray()), ("name", "data flow"),
                ("line", Figure.Object(("color", "#B0B0B0"), ("width", 1.5))), ("hoverinfo", "skip"), ("showlegend", false)),
        };
        var parameters = structure.Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        // Labels alternate above and below from one column to the next, so each may be a little wider than a column.
        // (About 700 px of plot beside a legend of names cut to LegendChars.)
        int labelChars = Math.Max(8, (int)(1.2 * 700.0 / (maxDepth + 2.5) / 7.5));
        static string Side(double column) => ((int)column & 1) == 0 ? "bottom center" : "top center";
        var operators = structure.Nodes.Select(n => n.Operator).Distinct(StringComparer.Ordinal).ToArray();
        for (int k = 0; k < operators.Length; k++)
        {
            var members = Enumerable.Range(0, structure.Nodes.Length).Where(n => structure.Nodes[n].Operator == operators[k]).ToArray();
            traces.Add(Figure.Trace("scatter", ("mode", "markers+text"), ("name", PlotText.Escape(Shorten(operators[k], LegendChars))),
                ("x", members.Select(n => position[n].X).ToArray()), ("y", members.Select(n => position[n].Y).ToArray()),
                ("text", members.Select(_ => PlotText.Escape(Shorten(operators[k], labelChars))).ToArray()),
                ("textposition", members.Select(n => Side(position[n].X)).ToArray()),
                ("customdata", members),
                ("hovertext", members.Select(n => NodeHover(structure.Nodes[n], n, parameters)).ToArray()), ("hoverinfo", "text"),
                ("marker", Figure.Object(("size", 16), ("symbol", "square"), ("color", ChartTheme.Palette[k % (ChartTheme.Palette.Count - 1)]),
                    ("line", Figure.Object(("color", "#333"), ("width", 1)))))));
        }
        traces.Add(ValueTrace("inputs", structure.Inputs, inputPositions, "triangle-right", Side(0), labelChars));
        traces.Add(ValueTrace("outputs", structure.Outputs, outputPositions, "diamond", Side(maxDepth + 2), labelChars));

        int widest = Math.Max(1, new[] { structure.Inputs.Length, structure.Outputs.Length }
            .Concat(Enumerable.Range(0, structure.Nodes.Length).GroupBy(n => depths[n]).Select(g => g.Count())).Max());
        var layout = Figure.Layout(
            ("title", Figure.Title($"{PlotText.Escape(structure.Name)}: {structure.Nodes.Length} nodes, {structure.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)} parameters ({PlotText.Escape(structure.Format)})")),
            ("xaxis", Figure.Axis("depth (inputs on the left)", ("showgrid", false), ("zeroline", false), ("dtick", 1))),
            ("yaxis", Figure.Axis("", ("showgrid", false), ("zeroline", false), ("showticklabels", false))),
            ("height", Math.Clamp(160 + 60 * widest, 320, 900)),
            ("legend", Figure.Object(("title", Figure.Title("operator")))));
        return Figure.Chart(traces, layout);
    }

    /// <summary>Histograms of the parameter tensors' values, one tensor at a time, chosen with a dropdown (largest tensors first).</summary>
    public static GenericChart ParameterHistograms(ModelStructure structure, int maxTensors = 30)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var tensors = structure.Parameters.Where(p => !p.Values.IsDefaultOrEmpty && p.Values.Length > 1)
            .OrderByDescending(p => p.ValueCount).ThenBy(p => p.Name, StringComparer.Ordinal).Take(maxTensors).ToArray();
        var traces = new List<Trace>();
        var buttons = new List<DynamicObj.DynamicObj>();
        for (int i = 0; i < tensors.Length; i++)
        {
            var t = tensors[i];
            string name = PlotText.Escape(t.Name);
            traces.Add(Figure.Trace("histogram", ("x", t.Values.ToArray()), ("name", name), ("visible", i == 0), ("nbinsx", 60),
                ("marker", Figure.Object(("color", ChartTheme.Palette[0]))),
                ("hovertemplate", $"{name}<br>%{{x}}: %{{y}} values<extra></extra>")));
            string title = TensorTitle(t);
            buttons.Add(Figure.Object(("label", name), ("method", "update"),
                ("args", new object[] { new Dictionary<string, object> { ["visible"] = tensors.Select((_, j) => (object)(j == i)).ToArray() }, new Dictionary<string, object> { ["title.text"] = title } })));
        }
        var layout = Figure.Layout(
            ("title", Figure.Title(tensors.Length == 0 ? "No stored numeric parameters" : TensorTitle(tensors[0]))),
            ("xaxis", Figure.Axis("parameter value")),
            ("yaxis", Figure.Axis("count")),
            ("bargap", 0.02),
            ("showlegend", false));
        if (tensors.Length > 1)
            layout.SetProperty("updatemenus", new[] { Figure.Object(("type", "dropdown"), ("buttons", buttons), ("active", 0), ("x", 1.0), ("xanchor", "right"), ("y", 1.12), ("yanchor", "bottom")) });
        return Figure.Chart(traces, layout);
    }

    private static string TensorTitle(StructureTensor tensor)
    {
        var (mean, std, min, max) = tensor.Summary()!.Value;
        return $"{PlotText.Escape(tensor.Name)} [{string.Join(" x ", tensor.Shape)}]: mean {Figure.Number(mean)}, std {Figure.Number(std)}, min {Figure.Number(min)}, max {Figure.Number(max)}";
    }

    /// <summary>Legend entries (operator names) are cut to this many characters; hover shows the whole name.</summary>
    private const int LegendChars = 40;

    /// <summary>The text cut to <paramref name="max"/> characters with an ellipsis (the whole name is in the hover text).</summary>
    internal static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static Trace ValueTrace(string name, IReadOnlyList<StructureValue> values, (double X, double Y)[] positions, string symbol, string side, int labelChars)
        => Figure.Trace("scatter", ("mode", "markers+text"), ("name", name),
            ("x", positions.Select(p => p.X).ToArray()), ("y", positions.Select(p => p.Y).ToArray()),
            ("text", values.Select(v => PlotText.Escape(Shorten(v.Name, labelChars))).ToArray()), ("textposition", side),
            ("hovertext", values.Select(v => $"{name[..^1]} {PlotText.Escape(v.Name)}<br>{PlotText.Escape(v.ElementType)} {PlotText.Escape(v.ShapeText)}").ToArray()),
            ("hoverinfo", "text"),
            ("marker", Figure.Object(("size", 16), ("symbol", symbol), ("color", "#FFFFFF"), ("line", Figure.Object(("color", "#333"), ("width", 1.5))))));

    private static string NodeHover(StructureNode node, int index, IReadOnlyDictionary<string, StructureTensor> parameters)
    {
        var lines = new List<string> { $"<b>{PlotText.Escape(node.Operator)}</b> #{index} {PlotText.Escape(node.Name)}" };
        foreach (var input in node.Inputs)
            lines.Add(parameters.TryGetValue(input, out var p)
                ? $"param {PlotText.Escape(input)} [{string.Join(" x ", p.Shape)}]"
                : $"in {PlotText.Escape(input)}");
        foreach (var output in node.Outputs) lines.Add($"out {PlotText.Escape(output)}");
        foreach (var (key, value) in node.Attributes.Take(8)) lines.Add($"{PlotText.Escape(key)} = {PlotText.Escape(Truncate(value, 60))}");
        return string.Join("<br>", lines);
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private static double Centred(int index, int count) => index - (count - 1) / 2.0;
}
