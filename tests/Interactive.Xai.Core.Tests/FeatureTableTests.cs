using Microsoft.Data.Analysis;

namespace Interactive.Xai.Tests;

public class FeatureTableTests
{
    [Fact]
    public void FromArray_KeepsRowMajorOrderAndNames()
    {
        var table = FeatureTable.FromArray(new float[,] { { 1, 2 }, { 3, 4 } }, ["a", "b"]);
        Assert.Equal([1f, 2f, 3f, 4f], table.Values.ToArray());
        Assert.Equal(3f, table[1, 0]);
    }

    [Fact]
    public void FromRows_RejectsRaggedRows()
        => Assert.Throws<XaiException>(() => FeatureTable.FromRows([new float[] { 1, 2 }, new float[] { 3 }]));

    [Fact]
    public void FromArray_RejectsNaNNamingTheCell()
    {
        var error = Assert.Throws<XaiException>(() => FeatureTable.FromArray(new float[,] { { 1, float.NaN } }, ["a", "b"]));
        Assert.Contains("column 'b'", error.Message);
    }

    [Fact]
    public void SplitColumn_RemovesTheLabelAndReturnsIt()
    {
        var table = FeatureTable.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } }, ["a", "y", "c"]);
        var (features, labels) = table.SplitColumn("y");
        Assert.Equal(["a", "c"], features.FeatureNames.ToArray());
        Assert.Equal([1f, 3f, 4f, 6f], features.Values.ToArray());
        Assert.Equal([2f, 5f], labels);
    }

    [Fact]
    public void ToFeatureTable_TakesNumericColumnsExceptTheLabel()
    {
        var frame = new DataFrame(
            new SingleDataFrameColumn("a", [1f, 2f]),
            new DoubleDataFrameColumn("b", [3.0, 4.0]),
            new Int32DataFrameColumn("label", [0, 1]));
        var table = frame.ToFeatureTable("label", out var labels);
        Assert.Equal(["a", "b"], table.FeatureNames.ToArray());
        Assert.Equal([1f, 3f, 2f, 4f], table.Values.ToArray());
        Assert.Equal([0f, 1f], labels!);
    }

    [Fact]
    public void ToFeatureTable_RejectsTextColumnsAndMissingValues()
    {
        var text = new DataFrame(new SingleDataFrameColumn("a", [1f]), new StringDataFrameColumn("name", ["x"]));
        Assert.Contains("'name'", Assert.Throws<XaiException>(() => text.ToFeatureTable()).Message);
        var missing = new DataFrame(new SingleDataFrameColumn("a", [1f, null]));
        Assert.Contains("missing", Assert.Throws<XaiException>(() => missing.ToFeatureTable()).Message);
    }

    [Fact]
    public void Datasets_LoadWithTheirDocumentedShapes()
    {
        var diabetes = Datasets.Diabetes();
        Assert.Equal((442, 10), (diabetes.Features.RowCount, diabetes.Features.ColumnCount));
        Assert.Equal("bmi", diabetes.Features.FeatureNames[2]);
        Assert.Equal((178, 13), (Datasets.Wine().Features.RowCount, Datasets.Wine().Features.ColumnCount));
        Assert.Equal((150, 4), (Datasets.Iris().Features.RowCount, Datasets.Iris().Features.ColumnCount));
        var digits = Datasets.Digits();
        Assert.Equal((1797, 64), (digits.Features.RowCount, digits.Features.ColumnCount));
        Assert.All(digits.Labels, l => Assert.InRange(l, 0, 9));
    }

    [Fact]
    public void KMeansBackground_WeightsSumToOneAndCentresUseDataValues()
    {
        var table = TestModels.RandomTable(200, 3, seed: 3);
        var background = WeightedBackground.KMeans(table, 8, seed: 1);
        Assert.Equal(8, background.Count);
        Assert.Equal(1.0, background.Weights.Sum(), 12);
        var column0 = table.Column(0).ToHashSet();
        for (int b = 0; b < background.Count; b++) Assert.Contains(background.Rows[b, 0], column0);
    }
}
