using System.Globalization;
using Interactive.Xai.Inspection;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>Attention weights as a query × key heatmap with token labels, one head at a time (or their mean), chosen with a dropdown.</summary>
public static class AttentionCharts
{
    /// <summary>
    /// The attention of input <paramref name="sample"/>: queries down, keys across, weights in [0, 1]. One trace per
    /// head plus the head average; <paramref name="head"/> (null for the average) is shown first and a dropdown switches.
    /// </summary>
    /// <exception cref="XaiException">The input or head does not exist.</exception>
    public static GenericChart Heatmap(AttentionWeights attention, int sample = 0, int? head = 0)
    {
        ArgumentNullException.ThrowIfNull(attention);
        attention.Matrix(sample, head); // validates
        var keys = Labels(attention.KeyLabels, attention.KeyLength);
        var queries = Labels(attention.QueryLabels, attention.QueryLength);
        var options = Enumerable.Range(0, attention.HeadCount).Select(h => (int?)h).Append(null).ToArray();
        var traces = new List<Trace>();
        var buttons = new List<DynamicObj.DynamicObj>();
        for (int i = 0; i < options.Length; i++)
        {
            var m = attention.Matrix(sample, options[i]);
            var z = new float[attention.QueryLength][];
            for (int q = 0; q < attention.QueryLength; q++) z[q] = m.AsSpan(q * attention.KeyLength, attention.KeyLength).ToArray();
            string label = options[i] is { } h ? $"head {h}" : "mean of heads";
            traces.Add(Figure.Trace("heatmap", ("z", z), ("x", keys), ("y", queries), ("name", label), ("visible", options[i] == head),
                ("colorscale", ChartTheme.SequentialScale), ("zmin", 0.0), ("zmax", 1.0),
                ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("weight")), ("thickness", 12))),
                ("hovertemplate", $"{label}<br>query %{{y}} → key %{{x}}: %{{z:.3f}}<extra></extra>")));
            buttons.Add(Figure.Object(("label", label), ("method", "update"),
                ("args", new object[] { new Dictionary<string, object> { ["visible"] = options.Select((_, j) => (object)(j == i)).ToArray() }, new Dictionary<string, object> { ["title.text"] = Title(attention, sample, label) } })));
        }
        var layout = Figure.Layout(
            ("title", Figure.Title(Title(attention, sample, head is { } first ? $"head {first}" : "mean of heads"))),
            ("xaxis", Figure.Axis("key (attended to)", ("type", "category"))),
            ("yaxis", Figure.Axis("query", ("type", "category"), ("autorange", "reversed"))),
            ("height", Math.Clamp(220 + 22 * attention.QueryLength, 320, 1000)),
            ("updatemenus", new[] { Figure.Object(("type", "dropdown"), ("buttons", buttons), ("active", Array.IndexOf(options, head)), ("x", 1.0), ("xanchor", "right"), ("y", 1.15), ("yanchor", "bottom")) }));
        return Figure.Chart(traces, layout);
    }

    private static string Title(AttentionWeights attention, int sample, string head)
        => $"{PlotText.Escape(attention.Layer)}: attention weights, {head}, input {sample}";

    /// <summary>Position labels: the tokens, made unique with their position when repeated (plotly merges equal categories), or position numbers.</summary>
    private static string[] Labels(IReadOnlyList<string> tokens, int length)
    {
        if (tokens.Count != length) return Enumerable.Range(0, length).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var counts = tokens.GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return tokens.Select((t, i) => PlotText.Escape(counts[t] > 1 ? $"{t} ({i})" : t)).ToArray();
    }
}
