using System.Text.Json;
using Interactive.Xai.Charts;
using Plotly.NET;

namespace Interactive.Xai.Charts.Tests;

/// <summary>Explanations with analytic answers, and helpers to read a chart's figure JSON.</summary>
internal static class Fixtures
{
    public const string XssName = "<img src=x onerror=alert(1)>";

    /// <summary>Rows of uniform(-1, 1) values, seeded.</summary>
    public static FeatureTable Table(int rows, int features, int seed, IReadOnlyList<string>? names = null)
    {
        var random = new Random(seed);
        var values = new float[rows, features];
        for (int r = 0; r < rows; r++)
            for (int f = 0; f < features; f++) values[r, f] = (float)(random.NextDouble() * 2 - 1);
        return FeatureTable.FromArray(values, names ?? Enumerable.Range(0, features).Select(f => $"x{f}").ToArray());
    }

    /// <summary>Exact Shapley values of a linear model: value(r, f) = w_f (x_rf - mean_f) over the background.</summary>
    public static AttributionExplanation LinearShap(int rows, float[] weights, IReadOnlyList<string>? names = null, int seed = 1)
    {
        var table = Table(rows, weights.Length, seed, names);
        var model = DelegateModel.Linear(weights, 0.5f, table.FeatureNames);
        var background = WeightedBackground.FromTable(Table(20, weights.Length, seed + 100, table.FeatureNames));
        return new ExactShapleyExplainer(model, background).Explain(table);
    }

    /// <summary>A two-output model: output a = linear in x, output b = - the same.</summary>
    public static AttributionExplanation TwoOutputShap(int rows, float[] weights)
    {
        var table = Table(rows, weights.Length, 7);
        var model = DelegateModel.FromRowFunction(weights.Length, ["up", "down"], (x, y) =>
        {
            float s = 0;
            for (int f = 0; f < weights.Length; f++) s += weights[f] * x[f];
            y[0] = s;
            y[1] = -2 * s;
        }, table.FeatureNames);
        return new ExactShapleyExplainer(model, WeightedBackground.FromTable(Table(10, weights.Length, 8))).Explain(table, OutputTarget.All);
    }

    public static JsonElement Json(GenericChart chart) => JsonDocument.Parse(GenericChart.toFigureJson(chart)).RootElement;

    public static JsonElement[] Traces(GenericChart chart) => Json(chart).GetProperty("data").EnumerateArray().ToArray();

    public static JsonElement Layout(GenericChart chart) => Json(chart).GetProperty("layout");

    public static double[] Numbers(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();
}
