using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Interactive.Xai.Cli.Tests;

/// <summary>`xai explain --method force | surrogate | output-correlation` and tree gains in `xai inspect`.</summary>
public class ModelViewCommandTests
{
    // linear4.onnx: y = 1.5 a - 2 b + 0.25 c + 3 d (+ bias). Only d varies: d = (i + 0.5) / 20, i = 0..19.
    private static string OnlyDVaries(TempFolder folder)
    {
        var text = new StringBuilder("a,b,c,d\n");
        for (int i = 0; i < 20; i++) text.Append(CultureInfo.InvariantCulture, $"1,2,0.5,{(i + 0.5) / 20}\n");
        return folder.File("d.csv", text.ToString());
    }

    private static JsonElement RunJson(TempFolder folder, params string[] args)
    {
        var json = folder.File("out.json");
        var (code, _, error) = CliRunner.Run([.. args, "--json", json, "-q"]);
        Assert.True(code == 0, error);
        return JsonDocument.Parse(File.ReadAllText(json)).RootElement;
    }

    [Fact]
    public void A_depth_one_surrogate_of_a_linear_model_splits_its_varying_feature_in_the_middle()
    {
        using var folder = new TempFolder();
        var json = RunJson(folder, "explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", OnlyDVaries(folder), "--method", "surrogate", "--depth", "1");
        Assert.Equal("surrogate", json.GetProperty("method").GetString());
        var nodes = json.GetProperty("nodes");
        Assert.Equal(3, nodes.GetArrayLength());
        Assert.Equal("d", nodes[0].GetProperty("feature").GetString());
        Assert.Equal(0.5, nodes[0].GetProperty("threshold").GetDouble(), 6);
        Assert.Equal(20, nodes[0].GetProperty("rows").GetDouble());
        // y = 3 d + const: R^2 = 1 - (variance within a half) / (variance). The variance of (i + 0.5) / 20 over 20 points is
        // (20^2 - 1) / (12 * 20^2); within a half (10 points, same spacing) (10^2 - 1) / (12 * 20^2): R^2 = 1 - 99 / 399.
        Assert.Equal(1 - 99.0 / 399.0, json.GetProperty("fidelity").GetDouble(), 5);
        Assert.Equal("r2", json.GetProperty("fidelityMeasure").GetString());
    }

    [Fact]
    public void Output_correlation_is_one_for_the_varying_feature_and_null_for_constant_ones()
    {
        using var folder = new TempFolder();
        var json = RunJson(folder, "explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", OnlyDVaries(folder), "--method", "output-correlation");
        Assert.Equal(20, json.GetProperty("rowCount").GetInt32());
        var pearson = json.GetProperty("pearson");
        Assert.Equal(JsonValueKind.Null, pearson[0].ValueKind);
        Assert.Equal(1.0, pearson[3].GetDouble(), 5);
        Assert.Equal(1.0, json.GetProperty("spearman")[3].GetDouble(), 12);
    }

    [Fact]
    public void Force_writes_shap_values_and_a_report_with_stacked_and_single_row_force_plots()
    {
        using var folder = new TempFolder();
        var html = folder.File("force.html");
        string data = OnlyDVaries(folder);
        var json = RunJson(folder, "explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--background", data, "--method", "force",
            "--rows", "0-6", "--order", "prediction", "--html", html);
        Assert.Equal("exact-shap", json.GetProperty("method").GetString());
        // only d varies, so only d has a value: 3 (d - mean d), the background being the whole data (mean d = 0.5)
        Assert.Equal(3 * ((0 + 0.5) / 20 - 0.5), json.GetProperty("values")[0][3].GetDouble(), 4);
        string page = File.ReadAllText(html);
        Assert.Contains("Stacked force plots of 7 rows", page);
        Assert.Contains("Force plot of row 4", page);
        Assert.DoesNotContain("Force plot of row 5", page); // five single-row plots at most
    }

    [Fact]
    public void Bad_model_view_options_are_one_line_and_a_nonzero_exit()
    {
        using var folder = new TempFolder();
        string data = OnlyDVaries(folder);
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "surrogate", "--depth", "7");
        Assert.NotEqual(0, code);
        Assert.Contains("--depth 7: a surrogate tree's depth is 1 to 6", error);
        Assert.DoesNotContain("   at ", error);
        (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "force", "--order", "random");
        Assert.NotEqual(0, code);
        Assert.Contains("--order", error);
        (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data, "--method", "output-correlation", "--target", "all");
        Assert.NotEqual(0, code);
        Assert.Contains("name one output", error);
    }

    [Fact]
    public void Inspect_shows_a_tree_models_gain_importance_with_data_and_says_what_it_needs_without()
    {
        using var folder = new TempFolder();
        var diabetes = Datasets.Diabetes();
        var text = new StringBuilder(string.Join(',', diabetes.Features.FeatureNames) + ",target\n");
        for (int r = 0; r < diabetes.Features.RowCount; r++)
            text.Append(string.Join(',', diabetes.Features.Row(r).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append(',')
                .Append(diabetes.Labels[r].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        string data = folder.File("diabetes.csv", text.ToString()), html = folder.File("inspect.html");
        var (code, output, error) = CliRunner.Run("inspect", "--model", CliRunner.ModelPath("diabetes_fasttree.zip"));
        Assert.True(code == 0, error);
        Assert.Contains("gain importance needs --data", output);
        (code, output, error) = CliRunner.Run("inspect", "--model", CliRunner.ModelPath("diabetes_fasttree.zip"), "--data", data, "--html", html);
        Assert.True(code == 0, error);
        Assert.Contains("largest share of split gain: ", output);
        Assert.Contains("share of total gain", File.ReadAllText(html));
        (code, _, error) = CliRunner.Run("inspect", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data);
        Assert.NotEqual(0, code);
        Assert.Contains("only for tree-ensemble models", error);
    }
}
