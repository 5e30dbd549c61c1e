using System.Text.Json;

namespace Interactive.Xai;

/// <summary>The JSON of LIME, counterfactual and feature-selection results (see <see cref="ExplanationJson"/>).</summary>
public static partial class ExplanationJson
{
    private static void WriteNumberOrNull(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }

    private static void WriteNumberOrNull(Utf8JsonWriter writer, string name, double value)
    {
        writer.WritePropertyName(name);
        WriteNumberOrNull(writer, value);
    }

    private static void WriteDetails(Utf8JsonWriter writer, IReadOnlyDictionary<string, string> details)
    {
        if (details.Count == 0) return;
        writer.WritePropertyName("details");
        writer.WriteStartObject();
        foreach (var (key, value) in details.OrderBy(p => p.Key, StringComparer.Ordinal)) writer.WriteString(key, value);
        writer.WriteEndObject();
    }

    private static void WriteLime(Utf8JsonWriter writer, LimeExplanation e)
    {
        writer.WritePropertyName("featureNames");
        WriteStrings(writer, e.FeatureNames);
        WriteCommon(writer, e);
        int t = e.TargetCount, m = e.FeatureCount;
        void RowFeature(string name, Func<int, int, int, double> value)
        {
            writer.WritePropertyName(name);
            writer.WriteStartArray();
            for (int r = 0; r < e.RowCount; r++)
            {
                writer.WriteStartArray();
                for (int f = 0; f < m; f++)
                {
                    if (t == 1) WriteNumberOrNull(writer, value(r, f, 0));
                    else
                    {
                        writer.WriteStartArray();
                        for (int s = 0; s < t; s++) WriteNumberOrNull(writer, value(r, f, s));
                        writer.WriteEndArray();
                    }
                }
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
        }
        void RowTarget(string name, Func<int, int, double> value)
        {
            writer.WritePropertyName(name);
            writer.WriteStartArray();
            for (int r = 0; r < e.RowCount; r++)
            {
                if (t == 1) WriteNumberOrNull(writer, value(r, 0));
                else
                {
                    writer.WriteStartArray();
                    for (int s = 0; s < t; s++) WriteNumberOrNull(writer, value(r, s));
                    writer.WriteEndArray();
                }
            }
            writer.WriteEndArray();
        }
        RowFeature("values", e.Value);
        RowTarget("intercept", e.Intercept);
        RowTarget("fidelity", e.RowFidelity);
        RowTarget("localPredictions", e.LocalPrediction);
        RowTarget("predictions", e.Prediction);
        RowFeature("coefficients", e.Coefficient);
        writer.WritePropertyName("selectedFeatures");
        writer.WriteStartArray();
        for (int r = 0; r < e.RowCount; r++)
        {
            if (t > 1) writer.WriteStartArray();
            for (int s = 0; s < t; s++) WriteStrings(writer, e.Selected(r, s).Select(f => e.FeatureNames[f]));
            if (t > 1) writer.WriteEndArray();
        }
        writer.WriteEndArray();
        writer.WritePropertyName("featureDescriptions");
        writer.WriteStartArray();
        for (int r = 0; r < e.RowCount; r++) WriteStrings(writer, Enumerable.Range(0, m).Select(f => e.FeatureDescription(r, f)));
        writer.WriteEndArray();
        writer.WriteNumber("kernelWidth", e.KernelWidth);
        writer.WriteNumber("samples", e.Samples);
        writer.WriteBoolean("discretized", e.Discretized);
        writer.WriteNumber("stabilityRuns", e.StabilityRuns);
        if (!e.StabilityJaccard.IsDefaultOrEmpty)
        {
            RowTarget("stabilityJaccard", (r, s) => e.StabilityJaccard[r * t + s]);
            RowFeature("valueStd", e.ValueStandardDeviation);
        }
        WriteDetails(writer, e.Details);
    }

    private static void WriteCounterfactual(Utf8JsonWriter writer, CounterfactualExplanation e)
    {
        writer.WritePropertyName("featureNames");
        WriteStrings(writer, e.FeatureNames);
        writer.WritePropertyName("outputNames");
        WriteStrings(writer, e.OutputNames);
        writer.WritePropertyName("goal");
        writer.WriteStartObject();
        if (e.Goal.DesiredClass is { } c) writer.WriteNumber("desiredClass", c);
        else
        {
            writer.WriteNumber("output", e.Goal.Output);
            writer.WritePropertyName("desiredRange");
            WriteNumbers(writer, [e.Goal.Low, e.Goal.High]);
        }
        writer.WriteEndObject();
        writer.WriteNumber("count", e.RequestedCount);
        writer.WritePropertyName("scales");
        WriteNumbers(writer, e.Scales);
        if (e.RowCount == 1) WriteCounterfactualSet(writer, e, e.Sets[0]);
        else
        {
            writer.WritePropertyName("rows");
            writer.WriteStartArray();
            foreach (var set in e.Sets)
            {
                writer.WriteStartObject();
                WriteCounterfactualSet(writer, e, set);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        WriteDetails(writer, e.Details);
    }

    private static void WriteCounterfactualSet(Utf8JsonWriter writer, CounterfactualExplanation e, CounterfactualSet set)
    {
        int k = set.OriginalPrediction.Length;
        writer.WriteNumber("row", e.SourceRow(set));
        if (set.AlreadyMeetsGoal) writer.WriteBoolean("alreadyMeetsGoal", true);
        writer.WritePropertyName("original");
        WriteNumbers(writer, e.Data.Row(set.Row).ToArray().Select(v => (double)v));
        writer.WritePropertyName("originalPrediction");
        WriteNumbers(writer, set.OriginalPrediction);
        writer.WritePropertyName("counterfactuals");
        writer.WriteStartArray();
        for (int i = 0; i < set.Count; i++) WriteNumbers(writer, set.Counterfactuals.Row(i).ToArray().Select(v => (double)v));
        writer.WriteEndArray();
        writer.WritePropertyName("predictions");
        writer.WriteStartArray();
        for (int i = 0; i < set.Count; i++) WriteNumbers(writer, Enumerable.Range(0, k).Select(o => set.Prediction(i, o)));
        writer.WriteEndArray();
        writer.WritePropertyName("valid");
        writer.WriteStartArray();
        foreach (var v in set.Valid) writer.WriteBooleanValue(v);
        writer.WriteEndArray();
        writer.WritePropertyName("changedFeatures");
        writer.WriteStartArray();
        foreach (var changed in set.ChangedFeatures) WriteStrings(writer, changed.Select(f => e.FeatureNames[f]));
        writer.WriteEndArray();
        writer.WritePropertyName("distances");
        WriteNumbers(writer, set.Distances);
        writer.WriteNumber("validity", set.Validity);
        WriteNumberOrNull(writer, "proximity", set.Proximity);
        WriteNumberOrNull(writer, "sparsity", set.Sparsity);
        WriteNumberOrNull(writer, "meanChangedFeatures", set.MeanChangedFeatures);
        writer.WriteNumber("diversity", set.Diversity);
    }

    private static void WriteCorrelation(Utf8JsonWriter writer, CorrelationMatrix e)
    {
        writer.WritePropertyName("featureNames");
        WriteStrings(writer, e.FeatureNames);
        writer.WriteString("correlation", e.Correlation == CorrelationMethod.Spearman ? "spearman" : "pearson");
        writer.WritePropertyName("values");
        writer.WriteStartArray();
        for (int a = 0; a < e.FeatureCount; a++)
        {
            writer.WriteStartArray();
            for (int b = 0; b < e.FeatureCount; b++) WriteNumberOrNull(writer, e.Value(a, b));
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
        writer.WritePropertyName("order");
        WriteStrings(writer, e.Order.Select(f => e.FeatureNames[f]));
        writer.WriteNumber("rows", e.RowCount);
    }

    private static void WriteElimination(Utf8JsonWriter writer, FeatureEliminationResult e)
    {
        writer.WritePropertyName("featureNames");
        WriteStrings(writer, e.FeatureNames);
        writer.WritePropertyName("selectedFeatures");
        WriteStrings(writer, e.SelectedNames);
        writer.WritePropertyName("ranking");
        WriteIntegers(writer, e.Ranking);
        writer.WritePropertyName("eliminationOrder");
        WriteStrings(writer, e.EliminationOrder.Select(f => e.FeatureNames[f]));
        writer.WritePropertyName("featureCounts");
        WriteIntegers(writer, e.FeatureCounts);
        writer.WritePropertyName("meanScores");
        WriteNumbers(writer, e.MeanScores);
        writer.WritePropertyName("scoreStd");
        WriteNumbers(writer, e.ScoreStandardDeviations);
        int folds = Math.Max(e.Folds, 1);
        writer.WritePropertyName("foldScores");
        writer.WriteStartArray();
        for (int s = 0; s < e.FeatureCounts.Length; s++) WriteNumbers(writer, e.FoldScores.Skip(s * folds).Take(folds));
        writer.WriteEndArray();
        writer.WriteNumber("folds", e.Folds);
        writer.WriteNumber("step", e.Step);
    }
}
