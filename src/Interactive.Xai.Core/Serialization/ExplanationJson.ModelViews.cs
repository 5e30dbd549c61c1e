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
        return ModelView(indented, OutputCorrelation.MethodName, correlation.FeatureNames, writer =>
        {
            writer.WriteNumber("target", correlation.Target);
            writer.WriteString("outputName", correlation.OutputName);
            writer.WriteNumber("rowCount", correlation.RowCount);
            writer.WritePropertyName("pearson");
            WriteNumbersOrNulls(writer, correlation.Pearson);
            writer.WritePropertyName("spearman");
            WriteNumbersOrNulls(writer, correlation.Spearman);
        }, (correlation.Elapsed, correlation.ModelEvaluations));
    }

    /// <summary>A global surrogate tree as JSON: its nodes (split feature, threshold, children, value, rows) and fidelity.</summary>
    public static string Serialize(SurrogateTree surrogate, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(surrogate);
        return ModelView(indented, SurrogateTree.MethodName, surrogate.FeatureNames, writer =>
        {
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
        }, (surrogate.Elapsed, surrogate.ModelEvaluations));
    }

    /// <summary>A tree ensemble's split counts and gains per feature as JSON.</summary>
    public static string Serialize(TreeFeatureImportance importance, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(importance);
        return ModelView(indented, "tree-gain", importance.FeatureNames, writer =>
        {
            writer.WriteNumber("treeCount", importance.TreeCount);
            writer.WriteString("coverSource", importance.CoverSource);
            writer.WritePropertyName("splitCounts");
            WriteIntegers(writer, importance.SplitCounts);
            writer.WritePropertyName("gains");
            WriteNumbers(writer, importance.Gains);
            writer.WritePropertyName("normalizedGains");
            WriteNumbers(writer, importance.NormalizedGains);
        });
    }

    // One model view as a JSON object: its method and feature names, what body writes, then its cost when it has one
    // (elapsedSeconds, modelEvaluations).
    private static string ModelView(bool indented, string method, IEnumerable<string> featureNames, Action<Utf8JsonWriter> body,
        (TimeSpan Elapsed, long ModelEvaluations)? cost = null)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
        {
            writer.WriteStartObject();
            writer.WriteString("method", method);
            writer.WritePropertyName("featureNames");
            WriteStrings(writer, featureNames);
            body(writer);
            if (cost is { } c)
            {
                writer.WriteNumber("elapsedSeconds", c.Elapsed.TotalSeconds);
                writer.WriteNumber("modelEvaluations", c.ModelEvaluations);
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteNumbersOrNulls(Utf8JsonWriter writer, IEnumerable<double> values)
    {
        writer.WriteStartArray();
        foreach (var v in values) WriteNumberOrNull(writer, v);
        writer.WriteEndArray();
    }
}
