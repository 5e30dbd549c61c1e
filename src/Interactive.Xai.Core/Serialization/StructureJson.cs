using System.Text;
using System.Text.Json;
using Interactive.Xai.Inspection;

namespace Interactive.Xai;

/// <summary>
/// The JSON form of a <see cref="ModelStructure"/> (`xai inspect --json`): every node with its index, name, operator,
/// inputs, outputs and attributes; inputs and outputs with types and shapes; parameters with shape, count and
/// summary statistics (not their values).
/// </summary>
public static class StructureJson
{
    /// <summary>The structure as a JSON document.</summary>
    public static string Serialize(ModelStructure structure, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(structure);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
            Write(writer, structure);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes the structure as one JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, ModelStructure structure)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(structure);
        writer.WriteStartObject();
        writer.WriteString("name", structure.Name);
        writer.WriteString("format", structure.Format);
        writer.WriteStartObject("properties");
        foreach (var (key, value) in structure.Properties) writer.WriteString(key, value);
        writer.WriteEndObject();
        WriteValues(writer, "inputs", structure.Inputs);
        WriteValues(writer, "outputs", structure.Outputs);
        writer.WriteNumber("nodeCount", structure.Nodes.Length);
        writer.WriteNumber("parameterCount", structure.ParameterCount);
        writer.WriteNumber("trainableParameterCount", structure.TrainableParameterCount);
        writer.WriteNumber("parameterBytes", structure.ParameterByteCount);
        if (structure.InputByteCount is { } inputBytes) writer.WriteNumber("inputBytes", inputBytes);
        if (structure.ActivationByteCount is { } activationBytes) writer.WriteNumber("activationBytes", activationBytes);
        writer.WriteStartArray("nodes");
        for (int n = 0; n < structure.Nodes.Length; n++)
        {
            var node = structure.Nodes[n];
            writer.WriteStartObject();
            writer.WriteNumber("index", n);
            writer.WriteString("name", node.Name);
            writer.WriteString("operator", node.Operator);
            WriteStrings(writer, "inputs", node.Inputs);
            WriteStrings(writer, "outputs", node.Outputs);
            writer.WriteStartObject("attributes");
            foreach (var (key, value) in node.Attributes) writer.WriteString(key, value);
            writer.WriteEndObject();
            if (!node.OutputShapes.IsDefaultOrEmpty)
            {
                writer.WriteStartArray("outputShapes");
                foreach (var shape in node.OutputShapes)
                {
                    writer.WriteStartArray();
                    foreach (long d in shape) writer.WriteNumberValue(d);
                    writer.WriteEndArray();
                }
                writer.WriteEndArray();
            }
            if (node.ParameterCount > 0)
            {
                writer.WriteNumber("parameterCount", node.ParameterCount);
                writer.WriteNumber("trainableParameterCount", node.TrainableParameterCount);
            }
            if (!node.Containers.IsDefaultOrEmpty) WriteStrings(writer, "containers", node.Containers);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteStartArray("parameters");
        foreach (var p in structure.Parameters)
        {
            writer.WriteStartObject();
            writer.WriteString("name", p.Name);
            writer.WriteString("elementType", p.ElementType);
            writer.WriteStartArray("shape");
            foreach (long d in p.Shape) writer.WriteNumberValue(d);
            writer.WriteEndArray();
            writer.WriteNumber("count", p.ValueCount);
            writer.WriteNumber("bytes", p.ByteCount);
            writer.WriteBoolean("trainable", p.Trainable);
            if (p.Owner is not null) writer.WriteString("owner", p.Owner);
            if (p.Summary() is { } summary && double.IsFinite(summary.Mean) && double.IsFinite(summary.StandardDeviation))
            {
                writer.WriteNumber("mean", summary.Mean);
                writer.WriteNumber("std", summary.StandardDeviation);
                writer.WriteNumber("min", summary.Min);
                writer.WriteNumber("max", summary.Max);
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteValues(Utf8JsonWriter writer, string name, IEnumerable<StructureValue> values)
    {
        writer.WriteStartArray(name);
        foreach (var v in values)
        {
            writer.WriteStartObject();
            writer.WriteString("name", v.Name);
            writer.WriteString("elementType", v.ElementType);
            WriteStrings(writer, "shape", v.Shape);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var v in values) writer.WriteStringValue(v);
        writer.WriteEndArray();
    }
}
