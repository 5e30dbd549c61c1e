using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Interactive.Xai.Charts;
using Interactive.Xai.Inspection;
using Interactive.Xai.MLNet;
using Interactive.Xai.Onnx;
using Microsoft.ML;

namespace Interactive.Xai.Notebook;

/// <summary>A model's parameters shown as a table and weight histograms (#!xai-inspect --what weights).</summary>
/// <param name="Structure">The model's structure, with its parameter tensors.</param>
public sealed record WeightsView(ModelStructure Structure);

/// <summary>
/// Describes model objects as a <see cref="ModelStructure"/>: ONNX models (their graph, read from the file they were
/// loaded from), ML.NET models (their pipeline stages) and any type an adapter registers with
/// <see cref="Register{T}"/> (the TorchSharp adapter registers its modules here).
/// </summary>
public static class ModelStructures
{
    private static readonly ConcurrentDictionary<Type, Func<object, ModelStructure?>> Describers = new();

    /// <summary>Adds (or replaces) the describer for models of type <typeparamref name="T"/> and types derived from it.</summary>
    public static void Register<T>(Func<T, ModelStructure?> describe) where T : class
    {
        ArgumentNullException.ThrowIfNull(describe);
        Describers[typeof(T)] = value => describe((T)value);
    }

    /// <summary>The structure of <paramref name="model"/>, or null when nothing is known about its insides.</summary>
    public static ModelStructure? TryDescribe(object model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (type, describe) in Describers)
            if (type.IsInstanceOfType(model)) return describe(model);
        return model switch
        {
            ModelStructure structure => structure,
            OnnxModel onnx when File.Exists(onnx.Source) => OnnxGraphReader.Read(onnx.Source),
            MLNetModel mlnet => MLNetStructureReader.Read(mlnet.Transformer, mlnet.InputSchema, Path.GetFileName(mlnet.Source)),
            _ => null,
        };
    }

    /// <summary>What is known of any model: its type, inputs and outputs (and trees for tree ensembles).</summary>
    public static ModelSummary Summarize(IModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = model.FeatureNames?.ToList() ?? Enumerable.Range(0, model.FeatureCount).Select(i => "x" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        var details = new List<(string, string)>
        {
            ("inputs", model.FeatureCount.ToString(CultureInfo.InvariantCulture)),
            ("outputs", model.OutputCount().ToString(CultureInfo.InvariantCulture)),
            ("thread-safe", model.IsThreadSafe ? "yes" : "no"),
        };
        var trees = model as TreeEnsemble ?? (model as ITreeEnsembleSource)?.TreeEnsemble;
        if (trees is not null)
        {
            details.Add(("trees", trees.Trees.Length.ToString(CultureInfo.InvariantCulture)));
            details.Add(("leaves", trees.Trees.Sum(t => t.LeafCount).ToString(CultureInfo.InvariantCulture)));
            details.Add(("max depth", trees.Trees.Max(t => t.Depth).ToString(CultureInfo.InvariantCulture)));
        }
        return new ModelSummary(model.GetType().Name, [.. names], [.. model.OutputNames], [.. details]);
    }
}

/// <summary>HTML for model structures, summaries and weights.</summary>
public static class ModelViews
{
    /// <summary>Nodes listed in a structure's node table.</summary>
    public const int MaxListedNodes = 60;

    /// <summary>A structure: facts, inputs and outputs, the graph chart, the first nodes and the parameters.</summary>
    public static string Html(ModelStructure structure)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var html = new StringBuilder(NotebookHtml.PlotlyBootstrap()).Append(NotebookHtml.Style).Append("<div class=\"xai-view xai-model\">");
        html.Append("<h3>").Append(NotebookHtml.Encode($"{structure.Name} ({structure.Format})")).Append("</h3>\n");
        var facts = new List<(string, string)>
        {
            ("nodes", structure.Nodes.Length.ToString(CultureInfo.InvariantCulture)),
            ("parameters", structure.ParameterCount.ToString("N0", CultureInfo.InvariantCulture) + $" in {structure.Parameters.Length} tensors"),
        };
        facts.AddRange(structure.Properties.Select(p => (p.Key, p.Value)));
        NotebookHtml.AppendFacts(html, facts);
        NotebookHtml.AppendTable(html, ["", "name", "type", "shape"],
            structure.Inputs.Select(v => (IReadOnlyList<string>)["input", v.Name, v.ElementType, v.ShapeText])
                .Concat(structure.Outputs.Select(v => (IReadOnlyList<string>)["output", v.Name, v.ElementType, v.ShapeText])), "Inputs and outputs");
        if (structure.Nodes.Length > 0) NotebookHtml.AppendChart(html, StructureCharts.Graph(structure));
        NotebookHtml.AppendTable(html, ["#", "operator", "name", "inputs", "outputs"],
            structure.Nodes.Take(MaxListedNodes).Select((n, i) => (IReadOnlyList<string>)
                [i.ToString(CultureInfo.InvariantCulture), n.Operator, n.Name, string.Join(", ", n.Inputs), string.Join(", ", n.Outputs)]),
            structure.Nodes.Length > MaxListedNodes ? $"Nodes (first {MaxListedNodes} of {structure.Nodes.Length})" : "Nodes");
        AppendParameters(html, structure);
        return html.Append("</div>").ToString();
    }

    /// <summary>A structure's parameters: table and weight histograms.</summary>
    public static string Html(WeightsView weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var html = new StringBuilder(NotebookHtml.PlotlyBootstrap()).Append(NotebookHtml.Style).Append("<div class=\"xai-view xai-weights\">");
        html.Append("<h3>").Append(NotebookHtml.Encode($"Weights of {weights.Structure.Name}")).Append("</h3>\n");
        if (weights.Structure.Parameters.Length == 0) html.Append("<p class=\"xai-hint\">The model has no parameter tensors.</p>");
        AppendParameters(html, weights.Structure);
        return html.Append("</div>").ToString();
    }

    /// <summary>A summary: model type, inputs, outputs and further facts.</summary>
    public static string Html(ModelSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var html = new StringBuilder(NotebookHtml.Style).Append("<div class=\"xai-view xai-model\">");
        html.Append("<h3>").Append(NotebookHtml.Encode(summary.ModelType)).Append("</h3>\n");
        NotebookHtml.AppendFacts(html, summary.Details.Select(d => (d.Name, d.Value))
            .Append(("features", string.Join(", ", summary.FeatureNames.Take(40)) + (summary.FeatureNames.Length > 40 ? ", ..." : "")))
            .Append(("output names", string.Join(", ", summary.OutputNames))));
        return html.Append("</div>").ToString();
    }

    /// <summary>An ML.NET transformer without its input schema: its stages in order.</summary>
    public static string Html(ITransformer transformer)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        var stages = new List<ITransformer>();
        Flatten(transformer, stages);
        var html = new StringBuilder(NotebookHtml.Style).Append("<div class=\"xai-view xai-model\">");
        html.Append("<h3>").Append(NotebookHtml.Encode($"ML.NET pipeline ({stages.Count} stages)")).Append("</h3>\n");
        NotebookHtml.AppendTable(html, ["#", "stage"], stages.Select((s, i) => (IReadOnlyList<string>)[i.ToString(CultureInfo.InvariantCulture), TypeName(s.GetType())]));
        html.Append("<p class=\"xai-hint\">Wrap it in an MLNetModel (with the input schema) to see the columns each stage adds, and to explain it.</p>");
        return html.Append("</div>").ToString();
    }

    private static void AppendParameters(StringBuilder html, ModelStructure structure)
    {
        if (structure.Parameters.Length == 0) return;
        NotebookHtml.AppendTable(html, ["parameter", "type", "shape", "values", "mean", "std", "min", "max"],
            structure.Parameters.Select(p =>
            {
                var s = p.Summary();
                return (IReadOnlyList<string>)
                [
                    p.Name, p.ElementType, "[" + string.Join(", ", p.Shape) + "]", p.ValueCount.ToString("N0", CultureInfo.InvariantCulture),
                    Format(s?.Mean), Format(s?.StandardDeviation), Format(s?.Min), Format(s?.Max),
                ];
            }), "Parameters");
        if (structure.Parameters.Any(p => !p.Values.IsDefaultOrEmpty)) NotebookHtml.AppendChart(html, StructureCharts.ParameterHistograms(structure));
    }

    private static void Flatten(ITransformer transformer, List<ITransformer> into)
    {
        if (transformer is IEnumerable<ITransformer> chain)
            foreach (var inner in chain) Flatten(inner, into);
        else into.Add(transformer);
    }

    private static string TypeName(Type type) => type.IsGenericType ? type.Name.Split('`')[0] + "<" + string.Join(", ", type.GetGenericArguments().Select(a => a.Name)) + ">" : type.Name;

    private static string Format(double? value) => value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "";
}
