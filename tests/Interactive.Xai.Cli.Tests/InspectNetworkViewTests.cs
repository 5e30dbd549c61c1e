using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Interactive.Xai.Cli.Tests;

public class InspectNetworkViewTests
{
    private static string DigitsCsv(TempFolder folder)
    {
        var reference = JsonDocument.Parse(File.ReadAllText(CliRunner.ModelPath("torch_reference.json"))).RootElement.GetProperty("digits_cnn");
        var csv = new StringBuilder(string.Join(",", Enumerable.Range(0, 64).Select(i => $"p{i}"))).Append('\n');
        foreach (var row in reference.GetProperty("inputs").EnumerateArray())
            csv.Append(string.Join(",", row.EnumerateArray().Select(v => v.GetSingle().ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        return folder.File("digits.csv", csv.ToString());
    }

    [Fact]
    public void Inspect_draws_a_torchscript_cnns_inner_layer_gradient_and_activation_functions_from_a_csv()
    {
        using var folder = new TempFolder();
        string data = DigitsCsv(folder);
        string json = folder.File("g.json"), html = folder.File("g.html");
        var (code, output, error) = CliRunner.Run("inspect", "--model", CliRunner.ModelPath("digits_cnn.pt"), "--input-shape", "1,8,8", "--what", "layer-gradient",
            "--layer", "conv2", "--data", data, "--rows", "0-3", "--json", json, "--html", html);
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal("Conv2d", root.GetProperty("layerType").GetString());
        Assert.Equal([16, 4, 4], root.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray());
        Assert.Equal(4, root.GetProperty("targets").GetArrayLength());
        Assert.Equal(4 * 16 * 16, root.GetProperty("values").GetArrayLength());
        string page = File.ReadAllText(html);
        Assert.Contains("Gradient of the output with respect to conv2", page);

        (code, output, error) = CliRunner.Run("inspect", "--model", CliRunner.ModelPath("digits_cnn.pt"), "--input-shape", "1,8,8", "--what", "activation-functions", "--data", data);
        Assert.True(code == 0, error);
        Assert.Contains("relu1 (ReLU) inputs", output);
        Assert.Contains("relu2 (ReLU) inputs", output);
    }

    [Theory]
    [InlineData(new[] { "--what", "layer-gradient", "--layer", "conv9" }, "conv9")]
    [InlineData(new[] { "--what", "layer-gradient", "--layer", "fc" }, "feature maps")]
    [InlineData(new[] { "--what", "layer-gradient" }, "--layer")]
    [InlineData(new[] { "--what", "weights-over-time" }, "--what weights-over-time")]
    public void Bad_network_view_options_give_one_line_and_no_output_file(string[] extra, string expected)
    {
        using var folder = new TempFolder();
        string data = DigitsCsv(folder);
        string json = folder.File("out.json");
        var (code, _, error) = CliRunner.Run([.. new[] { "inspect", "--model", CliRunner.ModelPath("digits_cnn.pt"), "--input-shape", "1,8,8", "--data", data, "--json", json }, .. extra]);
        BadInputTests.AssertOneErrorLine(code, error, expected, expected);
        Assert.False(File.Exists(json));
    }
}
