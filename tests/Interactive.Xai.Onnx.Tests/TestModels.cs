using System.Text.Json;

namespace Interactive.Xai.Onnx.Tests;

/// <summary>The committed test models (tests/models, copied next to the test assembly) and their PyTorch reference outputs.</summary>
internal static class TestModels
{
    private static readonly Lazy<JsonElement> LazyReference = new(() =>
        JsonDocument.Parse(File.ReadAllText(PathOf("reference_outputs.json"))).RootElement);

    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "models", file);

    public static JsonElement Reference => LazyReference.Value;

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    public static float[] FlatRows(JsonElement rows) => rows.EnumerateArray().SelectMany(row => row.EnumerateArray().Select(v => v.GetSingle())).ToArray();

    public static string[] Strings(JsonElement array) => array.EnumerateArray().Select(v => v.GetString()!).ToArray();

    public static float[] RandomRows(int rows, int features, int seed, float scale = 1)
    {
        var random = new Random(seed);
        var values = new float[rows * features];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>Random rows spread like the diabetes data (each feature around its mean, within about two standard deviations).</summary>
    public static float[] DiabetesLikeRows(int rows, int seed)
    {
        var data = Datasets.Diabetes().Features;
        int features = data.ColumnCount;
        var random = new Random(seed);
        var values = new float[rows * features];
        for (int r = 0; r < rows; r++)
        {
            int source = random.Next(data.RowCount);
            for (int f = 0; f < features; f++)
                values[r * features + f] = data.Values[source * features + f] * (float)(0.9 + 0.2 * random.NextDouble());
        }
        return values;
    }
}
