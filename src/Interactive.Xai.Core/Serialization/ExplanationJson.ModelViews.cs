using System.Text;
using System.Text.Json;

namespace Interactive.Xai;

/// <summary>The JSON of feature-output correlations, global surrogate trees and tree gain importance (see <see cref="ExplanationJson"/>).</summary>
public static partial class ExplanationJson
{
    /// <summary>Feature-output correlations as JSON (null where a coefficient is undefined).</summary>
    public static string Serialize(OutputCorrelation correlation, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(correlation);
        return Document(indented, writer =>
        {
            writer.WriteString("method", OutputCorrelation.MethodName);
            writer.WritePropertyName("featureNames");
            WriteStrings(writer, correlation.FeatureNames);
            writer.WriteNumber("target", correlation.Target);
            writer.WriteString("outputName", correlation.OutputName);
            writer.WriteNumber("rowCount", correlation.RowCount);
            writer.WritePropertyName("pearson");
            writer.WriteStartArray();
            foreach (var r in correlation.Pearson) WriteNumberOrNull(writer, r);
            writer.WriteEndArray();
            writer.WritePropertyName("spearman");
            writer.WriteStartArray();
            foreach (var r in correlation.Spearman) WriteNumberOrNull(writer, r);
            writer.WriteEndArray();
            writer.WriteNumber("elapsedSeconds", correlation.Elapsed.TotalSeconds);
            writer.WriteNumber("modelEvaluations", correlation.ModelEvaluations);
        });
    }

    /// <summary>A global surrogate tree as JSON: its nodes (split feature, threshold, children, value, rows) and fidelity.</summary>
    public static string Serialize(SurrogateTree surrogate, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(surrogate);
        return Document(indented, writer =>
        {
            writer.WriteString("method", SurrogateTree.MethodName);
            writer.WritePropertyName("featureNames");
            WriteStrings(writer, surrogate.FeatureNames);
            writer.WriteString("task", surrogate.Task == SurrogateTask.Regression ? "regression" : "classification");
            writer.WriteString("output", surrogate.OutputName);
            if (surrogate.Task == SurrogateTask.Classification)
            {
                writer.WritePropertyName("classNames");
                WriteStrings(writer, surrogate.ClassNames);
            }
            writer.WriteNumber("maxDepth", surrogate.MaxDepth);
            writer.WriteString("fidelityMeasure", surrogate.Task == SurrogateTask.Regression ? "r2" : "accuracy");
            writer.WriteNumber("fidelity", surrogate.Fidelity);
            writer.WriteNumber("rowCount", surrogate.RowCount);
            writer.WritePropertyName("nodes");
            writer.WriteStartArray();
            var tree = surrogate.Tree;
            for (int n = 0; n < tree.NodeCount; n++)
            {
                writer.WriteStartObject();
                if (!tree.IsLeaf(n))
                {
                    writer.WriteString("feature", surrogate.FeatureNames[tree.Feature[n]]);
                    writer.WriteNumber("threshold", tree.Threshold[n]);
                    writer.WriteNumber("left", tree.Left[n]);
                    writer.WriteNumber("right", tree.Right[n]);
                }
                writer.WriteNumber("value", tree.Value[n]);
                writer.WriteNumber("rows", tree.Cover[n]);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteNumber("elapsedSeconds", surrogate.Elapsed.TotalSeconds);
            writer.WriteNumber("modelEvaluations", surrogate.ModelEvaluations);
        });
    }

    /// <summary>A tree ensemble's split counts and gains per feature as JSON.</summary>
    public static string Serialize(TreeFeatureImportance importance, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(importance);
        return Document(indented, writer =>
        {
            writer.WriteString("method", "tree-gain");
            writer.WritePropertyName("featureNames");
            WriteStrings(writer, importance.FeatureNames);
            writer.WriteNumber("treeCount", importance.TreeCount);
            writer.WriteString("coverSource", importance.CoverSource);
            writer.WritePropertyName("splitCounts");
            writer.WriteStartArray();
            foreach (var c in importance.SplitCounts) writer.WriteNumberValue(c);
            writer.WriteEndArray();
            writer.WritePropertyName("gains");
            WriteNumbers(writer, importance.Gains);
            writer.WritePropertyName("normalizedGains");
            WriteNumbers(writer, importance.NormalizedGains);
        });
    }

    private static string Document(bool indented, Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
