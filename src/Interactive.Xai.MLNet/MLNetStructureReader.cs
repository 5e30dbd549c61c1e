using System.Collections.Immutable;
using System.Globalization;
using Interactive.Xai.Inspection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interactive.Xai.MLNet;

/// <summary>
/// Describes an ML.NET pipeline as a <see cref="ModelStructure"/>: one node per transformer in order (nested chains
/// flattened), each with the columns it adds and, for predictors, the feature column and the model type. Stages are
/// linked in pipeline order (each reads the data view the previous one produced).
/// </summary>
public static class MLNetStructureReader
{
    /// <summary>Reads the pipeline saved in an ML.NET .zip file.</summary>
    public static ModelStructure Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new XaiException($"{path}: model file not found");
        ITransformer model;
        DataViewSchema schema;
        try
        {
            model = new MLContext(0).Model.Load(path, out schema);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new XaiException($"{path}: not a loadable ML.NET model: {e.GetBaseException().Message.Split('\n')[0]}");
        }
        return Read(model, schema, Path.GetFileName(path));
    }

    /// <summary>Describes a fitted pipeline given the schema of its input data.</summary>
    public static ModelStructure Read(ITransformer model, DataViewSchema inputSchema, string name = "ML.NET model")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        var stages = new List<ITransformer>();
        Flatten(model, stages);
        var nodes = new List<StructureNode>();
        var current = inputSchema;
        var used = UsedColumns(model, inputSchema);
        var inputNames = used.Select(c => c.Name).ToImmutableArray();
        var added = new List<StructureValue>();
        var previous = inputNames;
        for (int k = 0; k < stages.Count; k++)
        {
            var stage = stages[k];
            DataViewSchema output;
            try
            {
                output = stage.GetOutputSchema(current);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new XaiException($"{name}: stage {k} ({TypeName(stage.GetType())}) does not accept its input: {e.Message.Split('\n')[0]}");
            }
            var newColumns = output.Where(c => c.Index >= current.Count && !c.IsHidden).ToArray();
            var attributes = new List<KeyValuePair<string, string>>();
            foreach (var column in newColumns) attributes.Add(new("adds " + column.Name, column.Type.ToString() ?? "?"));
            if (stage is ISingleFeaturePredictionTransformer<object> predictor)
            {
                attributes.Add(new("feature column", predictor.FeatureColumnName));
                attributes.Add(new("model", TypeName(predictor.Model.GetType())));
            }
            string marker = $"view {k + 1}";
            nodes.Add(new StructureNode($"stage {k}", TypeName(stage.GetType()), previous,
                [.. newColumns.Select(c => c.Name), marker]) { Attributes = [.. attributes] });
            added.AddRange(newColumns.Select(c => new StructureValue(c.Name, c.Type.ToString() ?? "?", [])));
            previous = [marker];
            current = output;
        }
        // The pipeline's outputs: the last version of every column it added.
        var outputs = added.GroupBy(v => v.Name, StringComparer.Ordinal).Select(g => g.Last()).ToList();
        return new ModelStructure
        {
            Name = name,
            Format = "ML.NET pipeline",
            Properties = [new("stages", stages.Count.ToString(CultureInfo.InvariantCulture))],
            Inputs = [.. used.Select(c => new StructureValue(c.Name, c.Type.ToString() ?? "?", []))],
            Outputs = [.. outputs],
            Nodes = [.. nodes],
        };
    }

    /// <summary>
    /// The visible input columns the fitted pipeline needs: those without which it no longer accepts its input. A label
    /// column (needed to train, not to predict) and any other column it passes through untouched are left out.
    /// </summary>
    private static DataViewSchema.Column[] UsedColumns(ITransformer model, DataViewSchema schema)
    {
        var visible = schema.Where(c => !c.IsHidden).ToArray();
        var used = new List<DataViewSchema.Column>();
        foreach (var column in visible)
        {
            var builder = new DataViewSchema.Builder();
            foreach (var other in visible)
                if (other.Index != column.Index) builder.AddColumn(other.Name, other.Type, other.Annotations);
            try
            {
                model.GetOutputSchema(builder.ToSchema());
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                used.Add(column);
            }
        }
        // A pipeline that fails without any single column still needs something: keep every column rather than none.
        return used.Count > 0 ? [.. used] : visible;
    }

    private static void Flatten(ITransformer transformer, List<ITransformer> into)
    {
        if (transformer is IEnumerable<ITransformer> chain)
            foreach (var inner in chain) Flatten(inner, into);
        else into.Add(transformer);
    }

    private static string TypeName(Type type)
    {
        if (!type.IsGenericType) return type.Name;
        string name = type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)];
        return $"{name}<{string.Join(", ", type.GetGenericArguments().Select(TypeName))}>";
    }
}
