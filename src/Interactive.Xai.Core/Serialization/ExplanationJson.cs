using System.Text;
using System.Text.Json;

namespace Interactive.Xai;

/// <summary>
/// The stable JSON form of explanations (camelCase keys), shared by the command line, reports and notebooks.
/// Every result has <c>method</c>, <c>elapsedSeconds</c> (the explain call alone) and <c>modelEvaluations</c>.
/// With one target, per-target arrays have no output dimension; with several targets (<c>--target all</c>),
/// every per-target array gains a trailing output dimension and <c>baseValue</c> becomes one value per output.
/// Gradient attributions add <c>inputShape</c> (for flattened images), <c>rowTargets</c> with <c>target</c>
/// "predicted" (each row's own top output), and for Integrated Gradients <c>convergenceDelta</c> ([row], or
/// [row][output] for several targets).
/// </summary>
public static partial class ExplanationJson
{
    /// <summary>The explanation as an indented JSON document.</summary>
    public static string Serialize(Explanation explanation, bool indented = true)
        => Serialize(explanation, indented, includeIceCurves: true);

    /// <summary>
    /// The explanation as a JSON document; with <paramref name="includeIceCurves"/> false, one-feature partial
    /// dependence leaves out its per-row <c>ice</c> array (rows x grid values) and keeps the average curve.
    /// </summary>
    public static string Serialize(Explanation explanation, bool indented, bool includeIceCurves)
    {
        using var stream = new MemoryStream();
        Write(stream, explanation, indented, includeIceCurves);
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>Writes the explanation as UTF-8 JSON straight to <paramref name="stream"/> (no string in memory).</summary>
    public static void Write(Stream stream, Explanation explanation, bool indented = true, bool includeIceCurves = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented });
        Write(writer, explanation, includeIceCurves);
    }

    /// <summary>Writes the explanation as one JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, Explanation explanation) => Write(writer, explanation, includeIceCurves: true);

    /// <summary>Writes the explanation as one JSON object; see <see cref="Serialize(Explanation, bool, bool)"/> for <paramref name="includeIceCurves"/>.</summary>
    public static void Write(Utf8JsonWriter writer, Explanation explanation, bool includeIceCurves)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(explanation);
        writer.WriteStartObject();
        writer.WriteString("method", explanation.Method);
        switch (explanation)
        {
            case AttributionExplanation a: WriteAttribution(writer, a); break;
            case PermutationImportanceExplanation p: WritePermutation(writer, p); break;
            case PartialDependenceExplanation d: WritePartialDependence(writer, d, includeIceCurves); break;
            case PartialDependence2DExplanation d2: WritePartialDependence2D(writer, d2); break;
            case AccumulatedLocalEffectsExplanation e: WriteAle(writer, e); break;
            case LimeExplanation l: WriteLime(writer, l); break;
            case CounterfactualExplanation c: WriteCounterfactual(writer, c); break;
            case CorrelationMatrix r: WriteCorrelation(writer, r); break;
            case FeatureEliminationResult f: WriteElimination(writer, f); break;
            default: WriteCommon(writer, explanation); break;
        }
        writer.WriteNumber("elapsedSeconds", explanation.Elapsed.TotalSeconds);
        writer.WriteNumber("modelEvaluations", explanation.ModelEvaluations);
        writer.WriteEndObject();
    }

    private static void WriteCommon(Utf8JsonWriter writer, Explanation e)
    {
        if (e is AttributionExplanation { RowTargets.IsDefaultOrEmpty: false }) writer.WriteString("target", "predicted");
        else if (e.TargetCount == 1) writer.WriteNumber("target", e.Targets[0]);
        else writer.WriteString("target", "all");
        writer.WritePropertyName("outputNames");
        WriteStrings(writer, e.OutputNames);
    }

    private static void WriteAttribution(Utf8JsonWriter writer, AttributionExplanation a)
    {
        writer.WritePropertyName("featureNames");
        WriteStrings(writer, a.FeatureNames);
        WriteCommon(writer, a);
        bool single = a.TargetCount == 1;
        writer.WritePropertyName("baseValue");
        if (single) writer.WriteNumberValue(a.BaseValue());
        else WriteNumbers(writer, a.BaseValues);
        writer.WritePropertyName("values");
        WriteRowFeatureTarget(writer, a, (r, f, t) => a.Value(r, f, t));
        writer.WritePropertyName("predictions");
        writer.WriteStartArray();
        for (int r = 0; r < a.RowCount; r++)
        {
            if (single) writer.WriteNumberValue(a.Prediction(r));
            else
            {
                writer.WriteStartArray();
                for (int t = 0; t < a.TargetCount; t++) writer.WriteNumberValue(a.Prediction(r, t));
                writer.WriteEndArray();
            }
        }
        writer.WriteEndArray();
        writer.WriteNumber("additivityError", a.AdditivityError);
        WriteGradientFacts(writer, a);
        if (!a.StandardErrors.IsDefaultOrEmpty)
        {
            writer.WritePropertyName("standardErrors");
            WriteRowFeatureTarget(writer, a, (r, f, t) => a.StandardError(r, f, t));
        }
        if (a.Details.Count > 0)
        {
            writer.WritePropertyName("details");
            writer.WriteStartObject();
            foreach (var (key, value) in a.Details.OrderBy(p => p.Key, StringComparer.Ordinal)) writer.WriteString(key, value);
            writer.WriteEndObject();
        }
    }

    // Image shape, each row's own target (--target predicted) and Integrated Gradients' convergence deltas.
    private static void WriteGradientFacts(Utf8JsonWriter writer, AttributionExplanation a)
    {
        if (!a.InputShape.IsDefaultOrEmpty)
        {
            writer.WritePropertyName("inputShape");
            WriteIntegers(writer, a.InputShape);
        }
        if (!a.RowTargets.IsDefaultOrEmpty)
        {
            writer.WritePropertyName("rowTargets");
            WriteIntegers(writer, a.RowTargets);
        }
        if (!a.ConvergenceDeltas.IsDefaultOrEmpty)
        {
            writer.WritePropertyName("convergenceDelta");
            writer.WriteStartArray();
            for (int r = 0; r < a.RowCount; r++) WriteTargets(writer, a.ConvergenceDeltas, r * a.TargetCount, a.TargetCount);
            writer.WriteEndArray();
        }
    }

    private static void WriteRowFeatureTarget(Utf8JsonWriter writer, AttributionExplanation a, Func<int, int, int, double> value)
    {
        writer.WriteStartArray();
        for (int r = 0; r < a.RowCount; r++)
        {
            writer.WriteStartArray();
            for (int f = 0; f < a.FeatureCount; f++)
            {
                if (a.TargetCount == 1) writer.WriteNumberValue(value(r, f, 0));
                else
                {
                    writer.WriteStartArray();
                    for (int t = 0; t < a.TargetCount; t++) writer.WriteNumberValue(value(r, f, t));
                    writer.WriteEndArray();
                }
            }
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
    }

    private static void WritePermutation(Utf8JsonWriter writer, PermutationImportanceExplanation p)
    {
        writer.WritePropertyName("featureNames");
        WriteStrings(writer, p.FeatureNames);
        WriteCommon(writer, p);
        writer.WriteString("metric", MetricName(p.Metric));
        writer.WriteNumber("repeats", p.Repeats);
        writer.WriteNumber("baselineScore", p.BaselineScore);
        writer.WritePropertyName("mean");
        WriteNumbers(writer, p.Mean);
        writer.WritePropertyName("std");
        WriteNumbers(writer, p.StandardDeviation);
        writer.WritePropertyName("values");
        writer.WriteStartArray();
        foreach (var repeats in p.Values) WriteNumbers(writer, repeats);
        writer.WriteEndArray();
        writer.WriteNumber("rows", p.RowCount);
    }

    private static void WritePartialDependence(Utf8JsonWriter writer, PartialDependenceExplanation d, bool includeIce)
    {
        writer.WriteString("feature", d.Feature);
        WriteCommon(writer, d);
        writer.WritePropertyName("grid");
        WriteNumbers(writer, d.Grid);
        int g = d.Grid.Length, t = d.TargetCount;
        writer.WritePropertyName("average");
        writer.WriteStartArray();
        for (int p = 0; p < g; p++) WriteTargets(writer, d.AverageValues, p * t, t);
        writer.WriteEndArray();
        writer.WriteNumber("rows", d.RowCount);
        if (!includeIce) return;
        int curves = d.IceCurveCount;
        if (curves < d.RowCount)
        {
            // Only some rows' curves were kept (PartialDependenceOptions.MaxIceCurves): say which.
            writer.WritePropertyName("iceRows");
            writer.WriteStartArray();
            foreach (int row in d.IceRows) writer.WriteNumberValue(row);
            writer.WriteEndArray();
        }
        writer.WritePropertyName("ice");
        writer.WriteStartArray();
        // Curves a chunk at a time through two small buffers, wherever the explanation holds them (memory or a
        // temporary file): writing every row's curve of a large table costs no more memory than a few curves.
        int width = Math.Max(g * t, 1), chunk = Math.Max(1, 4096 / width);
        var values = new double[Math.Min(chunk, Math.Max(curves, 1)) * width];
        var scratch = new float[values.Length];
        for (int first = 0; first < curves; first += chunk)
        {
            int count = Math.Min(chunk, curves - first);
            d.CopyIce(first, count, values, scratch);
            for (int c = 0; c < count; c++)
            {
                writer.WriteStartArray();
                for (int p = 0; p < g; p++) WriteSpanTargets(writer, values, (c * g + p) * t, t);
                writer.WriteEndArray();
                if (writer.BytesPending > 1 << 16) writer.Flush();
            }
        }
        writer.WriteEndArray();
    }

    private static void WritePartialDependence2D(Utf8JsonWriter writer, PartialDependence2DExplanation d)
    {
        writer.WritePropertyName("features");
        WriteStrings(writer, d.Features);
        WriteCommon(writer, d);
        writer.WritePropertyName("gridX");
        WriteNumbers(writer, d.GridX);
        writer.WritePropertyName("gridY");
        WriteNumbers(writer, d.GridY);
        int t = d.TargetCount;
        writer.WritePropertyName("average");
        writer.WriteStartArray();
        for (int i = 0; i < d.GridX.Length; i++)
        {
            writer.WriteStartArray();
            for (int j = 0; j < d.GridY.Length; j++) WriteTargets(writer, d.AverageValues, (i * d.GridY.Length + j) * t, t);
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
        writer.WriteNumber("rows", d.RowCount);
    }

    private static void WriteAle(Utf8JsonWriter writer, AccumulatedLocalEffectsExplanation e)
    {
        writer.WriteString("feature", e.Feature);
        WriteCommon(writer, e);
        writer.WritePropertyName("edges");
        WriteNumbers(writer, e.Edges);
        writer.WritePropertyName("values");
        writer.WriteStartArray();
        for (int p = 0; p < e.Edges.Length; p++) WriteTargets(writer, e.EffectValues, p * e.TargetCount, e.TargetCount);
        writer.WriteEndArray();
        writer.WritePropertyName("binCounts");
        WriteIntegers(writer, e.BinCounts);
    }

    /// <summary>The command-line name of a permutation metric.</summary>
    public static string MetricName(PermutationMetric metric) => metric switch
    {
        PermutationMetric.MeanSquaredError => "mse",
        PermutationMetric.MeanAbsoluteError => "mae",
        PermutationMetric.R2 => "r2",
        PermutationMetric.Accuracy => "accuracy",
        PermutationMetric.LogLoss => "log-loss",
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };

    private static void WriteTargets(Utf8JsonWriter writer, IReadOnlyList<double> values, int offset, int targets)
    {
        if (targets == 1) { writer.WriteNumberValue(values[offset]); return; }
        writer.WriteStartArray();
        for (int t = 0; t < targets; t++) writer.WriteNumberValue(values[offset + t]);
        writer.WriteEndArray();
    }

    private static void WriteSpanTargets(Utf8JsonWriter writer, ReadOnlySpan<double> values, int offset, int targets)
    {
        if (targets == 1) { writer.WriteNumberValue(values[offset]); return; }
        writer.WriteStartArray();
        for (int t = 0; t < targets; t++) writer.WriteNumberValue(values[offset + t]);
        writer.WriteEndArray();
    }

    private static void WriteNumbers(Utf8JsonWriter writer, IEnumerable<double> values)
    {
        writer.WriteStartArray();
        foreach (var v in values) writer.WriteNumberValue(v);
        writer.WriteEndArray();
    }

    private static void WriteIntegers(Utf8JsonWriter writer, IEnumerable<int> values)
    {
        writer.WriteStartArray();
        foreach (var v in values) writer.WriteNumberValue(v);
        writer.WriteEndArray();
    }

    private static void WriteStrings(Utf8JsonWriter writer, IEnumerable<string> values)
    {
        writer.WriteStartArray();
        foreach (var v in values) writer.WriteStringValue(v);
        writer.WriteEndArray();
    }
}
