using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Interactive.Xai.Cli.Tests;

/// <summary>Issue 13.6: counterfactuals say what they found.</summary>
public class CounterfactualHonestyTests
{
    private static string DiabetesCsv(TempFolder folder)
    {
        var data = Datasets.Diabetes().Features;
        var text = new StringBuilder(string.Join(',', data.FeatureNames)).Append('\n');
        for (int r = 0; r < 60; r++)
            text.Append(string.Join(',', data.Row(r).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        return folder.File("diabetes.csv", text.ToString());
    }

    private static string IrisCsv(TempFolder folder)
    {
        var iris = Datasets.Iris().Features;
        var text = new StringBuilder("sepal_length,sepal_width,petal_length,petal_width\n");
        for (int r = 0; r < iris.RowCount; r++)
            text.Append(string.Join(',', iris.Row(r).ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))).Append('\n');
        return folder.File("iris.csv", text.ToString());
    }

    [Theory]
    [InlineData("mlp10.onnx")]
    [InlineData("diabetes_fasttree.zip")]
    public void AClassGoalOnARegressor_IsRefused(string model)
    {
        using var folder = new TempFolder();
        var json = folder.File("cf.json");
        var (code, output, error) = CliRunner.Run("counterfactual", "--model", CliRunner.ModelPath(model), "--data", DiabetesCsv(folder),
            "--row", "3", "--desired", "1", "--json", json);
        BadInputTests.AssertOneErrorLine(code, error, "not a probability", "--desired-range");
        Assert.False(File.Exists(json));
        Assert.Equal("", output);
    }

    [Fact]
    public void ARowThatAlreadyMeetsTheGoal_IsReportedAsSuch()
    {
        using var folder = new TempFolder();
        var json = folder.File("cf.json");
        var (code, output, error) = CliRunner.Run("counterfactual", "--model", CliRunner.ModelPath("mlp10.onnx"), "--data", DiabetesCsv(folder),
            "--row", "3", "--desired-range", "-100000,100000", "--json", json);
        Assert.True(code == 0, error);
        Assert.Contains("row 3 already meets the goal", output);
        var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.True(root.GetProperty("alreadyMeetsGoal").GetBoolean());
        Assert.Equal(0, root.GetProperty("counterfactuals").GetArrayLength());
    }

    [Fact]
    public void TheJsonRow_IsTheRequestedRow()
    {
        using var folder = new TempFolder();
        var json = folder.File("cf.json");
        var (code, _, error) = CliRunner.Run("counterfactual", "--model", CliRunner.ModelPath("classifier4.onnx"), "--data", IrisCsv(folder),
            "--row", "3", "--desired", "2", "--count", "2", "--generations", "10", "--json", json);
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.Equal(3, root.GetProperty("row").GetInt32());
        var iris = Datasets.Iris().Features.Row(3).ToArray();
        Assert.Equal(iris.Select(v => (double)v), root.GetProperty("original").EnumerateArray().Select(v => v.GetDouble()));
    }

    [Fact]
    public void MoreThanCanBeFound_ReportsFoundAndValidHonestly()
    {
        using var folder = new TempFolder();
        var json = folder.File("cf.json");
        var (code, output, error) = CliRunner.Run("counterfactual", "--model", CliRunner.ModelPath("classifier4.onnx"), "--data", IrisCsv(folder),
            "--row", "0", "--desired", "2", "--count", "100000", "--generations", "5", "--json", json);
        Assert.True(code == 0, error);
        var root = JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        int found = root.GetProperty("counterfactuals").GetArrayLength();
        int valid = root.GetProperty("valid").EnumerateArray().Count(v => v.GetBoolean());
        Assert.InRange(found, 1, 99_999);
        Assert.Contains($"found {found} of 100000 requested (the search found no more distinct candidates)", output);
        Assert.Contains(valid == found ? $"all {found} valid" : $"{valid} valid", output);
    }
}
