using static Interactive.Xai.MLNet.Tests.TestData;

namespace Interactive.Xai.MLNet.Tests;

public sealed class MLNetStructureReaderTests
{
    [Fact]
    public void The_fasttree_pipeline_reads_as_concatenate_then_predict_with_the_columns_each_adds()
    {
        var structure = MLNetStructureReader.Read(PathOf("diabetes_fasttree.zip"));
        Assert.Equal("ML.NET pipeline", structure.Format);
        Assert.Equal(2, structure.Nodes.Length);
        Assert.Equal("ColumnConcatenatingTransformer", structure.Nodes[0].Operator);
        Assert.Contains(structure.Nodes[0].Attributes, a => a.Key == "adds Features");
        Assert.Equal("RegressionPredictionTransformer<FastTreeRegressionModelParameters>", structure.Nodes[1].Operator);
        Assert.Contains(structure.Nodes[1].Attributes, a => a.Key == "feature column" && a.Value == "Features");
        Assert.Contains(structure.Nodes[1].Attributes, a => a.Key == "adds Score");
        foreach (var name in new[] { "age", "bmi", "s6" }) Assert.Contains(structure.Inputs, v => v.Name == name);
        Assert.Contains(structure.Outputs, v => v.Name == "Score");
        // Stages are chained: the first reads the inputs, the second what the first produced.
        Assert.Equal([(0, 1, "view 1")], structure.Edges().ToArray());
    }

    [Fact]
    public void A_missing_or_broken_file_is_a_clear_error()
    {
        Assert.Throws<XaiException>(() => MLNetStructureReader.Read("no-such.zip"));
        var path = Path.Combine(Path.GetTempPath(), $"broken-{Guid.NewGuid():N}.zip");
        File.WriteAllBytes(path, [1, 2, 3, 4]);
        try
        {
            Assert.StartsWith(path + ": not a loadable ML.NET model", Assert.Throws<XaiException>(() => MLNetStructureReader.Read(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
