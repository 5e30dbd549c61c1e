using System.Globalization;
using System.Text;
using System.Text.Json;
using Interactive.Xai.Hosting;
using Interactive.Xai.Onnx;

namespace Interactive.Xai.Cli.Tests;

/// <summary>Issue 13.1: data columns meet the model's inputs by name whenever the model records its feature names.</summary>
public class ColumnMatchingTests
{
    private static readonly string[] Diabetes = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"];

    // The first rows of the diabetes data with the columns in the given order under the given header names.
    private static string DiabetesCsv(TempFolder folder, string name, int[] order, string[] header, bool extraColumn = false)
    {
        var data = Datasets.Diabetes().Features;
        var text = new StringBuilder(string.Join(',', header) + (extraColumn ? ",target" : "")).Append('\n');
        for (int r = 0; r < 12; r++)
        {
            var row = data.Row(r).ToArray();
            text.Append(string.Join(',', order.Select(c => row[c].ToString("R", CultureInfo.InvariantCulture))));
            if (extraColumn) text.Append(",100");
            text.Append('\n');
        }
        return folder.File(name, text.ToString());
    }

    private static readonly int[] InOrder = Enumerable.Range(0, 10).ToArray();
    private static readonly int[] SexFirst = [1, 0, 2, 3, 4, 5, 6, 7, 8, 9];

    private static string[] Reordered(string[] names, int[] order) => order.Select(i => names[i]).ToArray();

    private static string Ice(TempFolder folder, string model, string data, params string[] extra)
    {
        var json = folder.File("out-" + Guid.NewGuid().ToString("N") + ".json");
        var (code, _, error) = CliRunner.Run(["explain", "--model", CliRunner.ModelPath(model), "--data", data, "--method", "pdp",
            "--feature", "bmi", "--grid", "20,30", "--ice", .. extra, "--json", json]);
        Assert.True(code == 0, error);
        return JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("ice").GetRawText();
    }

    [Theory]
    [InlineData("mlp10.onnx")]
    [InlineData("diabetes_mlp.onnx")]
    [InlineData("diabetes_fasttree.zip")]
    public void SwappedColumnsUnderTheirOwnNames_AreReorderedAndGiveTheSamePredictions(string model)
    {
        using var folder = new TempFolder();
        var straight = Ice(folder, model, DiabetesCsv(folder, "straight.csv", InOrder, Diabetes));
        var swapped = Ice(folder, model, DiabetesCsv(folder, "swapped.csv", SexFirst, Reordered(Diabetes, SexFirst)));
        Assert.Equal(straight, swapped);
    }

    [Theory]
    [InlineData("mlp10.onnx")]
    [InlineData("diabetes_mlp.onnx")]
    [InlineData("diabetes_fasttree.zip")]
    public void AHeaderWithAnUnknownName_IsRefusedNamingTheUnknownAndMissingColumns(string model)
    {
        using var folder = new TempFolder();
        var header = Reordered(Diabetes, SexFirst);
        header[1] = "Age";
        var data = DiabetesCsv(folder, "swapped.csv", SexFirst, header);
        var json = folder.File("result.json");
        var (code, output, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath(model), "--data", data,
            "--method", "pdp", "--feature", "bmi", "--grid", "20", "--json", json);
        BadInputTests.AssertOneErrorLine(code, error, "swapped.csv", "missing 'age'; unknown 'Age'");
        Assert.False(File.Exists(json));
        Assert.Equal("", output);
    }

    [Fact]
    public void GenericNames_AreRefusedByDefault_AndFedByPositionOnlyWhenAsked()
    {
        using var folder = new TempFolder();
        var generic = Enumerable.Range(0, 10).Select(i => $"f{i}").ToArray();
        var data = DiabetesCsv(folder, "generic.csv", InOrder, generic);
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("mlp10.onnx"), "--data", data,
            "--method", "exact-shap", "--background-size", "2");
        BadInputTests.AssertOneErrorLine(code, error, "generic.csv", "unknown 'f0', 'f1'");
        Assert.Contains("--match-columns position", error);

        var straight = Ice(folder, "mlp10.onnx", DiabetesCsv(folder, "straight.csv", InOrder, Diabetes));
        var byPosition = Ice(folder, "mlp10.onnx", data, "--match-columns", "position");
        Assert.Equal(straight, byPosition);
    }

    [Fact]
    public void AnExtraColumnNotMarkedAsLabel_IsRefusedWithAHintToUseLabel()
    {
        using var folder = new TempFolder();
        var data = DiabetesCsv(folder, "labelled.csv", InOrder, Diabetes, extraColumn: true);
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("mlp10.onnx"), "--data", data,
            "--method", "pdp", "--feature", "bmi", "--grid", "20");
        BadInputTests.AssertOneErrorLine(code, error, "labelled.csv", "--label target");
        Assert.Equal(Ice(folder, "mlp10.onnx", DiabetesCsv(folder, "straight.csv", InOrder, Diabetes)),
            Ice(folder, "mlp10.onnx", data, "--label", "target"));
    }

    [Fact]
    public void ByPositionWithTheWrongColumnCount_IsRefused()
    {
        using var folder = new TempFolder();
        var data = folder.File("short.csv", "x,y,z\n1,2,3\n");
        var (code, _, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("mlp10.onnx"), "--data", data,
            "--method", "pdp", "--feature", "x", "--match-columns", "position");
        BadInputTests.AssertOneErrorLine(code, error, "short.csv", "3 feature columns but the model takes 10");
    }

    [Fact]
    public void AModelWithoutNames_StillTakesColumnsByPosition()
    {
        using var folder = new TempFolder();
        var data = folder.File("any.csv", "p,q,r,s\n1,2,3,4\n");
        var (code, output, error) = CliRunner.Run("explain", "--model", CliRunner.ModelPath("linear4.onnx"), "--data", data,
            "--method", "pdp", "--feature", "r", "--grid", "0", "--json", "-");
        Assert.True(code == 0, error);
        // y = 1.5 a - 2 b + 0.25 c + 3 d + 0.5 with c set to 0.
        Assert.Equal(1.5 - 4 + 12 + 0.5, JsonDocument.Parse(output).RootElement.GetProperty("average")[0].GetDouble(), 4);
    }

    [Fact]
    public void Counterfactual_RefusesUnknownNamesToo()
    {
        using var folder = new TempFolder();
        var data = folder.File("iris.csv", "sepal_width,sepal_length,petal_length,Petal_Width\n3.5,5.1,1.4,0.2\n3.0,4.9,1.4,0.2\n");
        var (code, _, error) = CliRunner.Run("counterfactual", "--model", CliRunner.ModelPath("classifier4.onnx"), "--data", data,
            "--row", "0", "--desired", "2");
        BadInputTests.AssertOneErrorLine(code, error, "iris.csv", "missing 'petal_width'; unknown 'Petal_Width'");
    }

    [Fact]
    public void TheNotebookPath_SharesTheRule()
    {
        using var model = OnnxModel.Load(CliRunner.ModelPath("mlp10.onnx"));
        var wrong = FeatureTable.FromRowMajor(new float[10], 1, 10, Enumerable.Range(0, 10).Select(i => $"f{i}").ToArray());
        var e = Assert.Throws<XaiException>(() => ExplanationRunner.MatchModelColumns(wrong, model, "--data frame"));
        Assert.Contains("unknown 'f0'", e.Message);
        var byPosition = ExplanationRunner.MatchModelColumns(wrong, model, "--data frame", ColumnMatching.Position);
        Assert.Equal(Diabetes, byPosition.FeatureNames);
    }
}
