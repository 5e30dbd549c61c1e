using System.Text.Json;

namespace Interactive.Xai.Torch.Tests;

/// <summary>The committed test models (tests/models, copied next to the test assembly) and PyTorch's reference values.</summary>
internal static class TestFiles
{
    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "models", file);

    private static readonly Lazy<JsonDocument> Reference = new(() => JsonDocument.Parse(File.ReadAllText(PathOf("torch_reference.json"))));

    public static JsonElement Model(string name) => Reference.Value.RootElement.GetProperty(name);

    public static float[] Flat(JsonElement element, string property)
        => element.GetProperty(property).EnumerateArray().SelectMany(row => row.ValueKind == JsonValueKind.Array
            ? row.EnumerateArray().Select(v => v.GetSingle())
            : [row.GetSingle()]).ToArray();

    public static int[] Ints(JsonElement element, string property)
        => element.GetProperty(property).EnumerateArray().Select(v => v.GetInt32()).ToArray();

    public static string[] Strings(JsonElement element, string property)
        => element.GetProperty(property).EnumerateArray().Select(v => v.GetString()!).ToArray();
}
