using Microsoft.ML;

namespace Interactive.Xai.MLNet.Tests;

public sealed class MLNetStructureInputTests
{
    [Fact]
    public void A_pipelines_inputs_are_the_columns_it_reads_not_the_label_or_other_passengers()
    {
        // Trained on a frame with a label and an unused id column: predicting needs only a and b.
        var context = new MLContext(1);
        var random = new Random(2);
        var rows = Enumerable.Range(0, 200).Select(i => new Row { A = (float)random.NextDouble(), B = (float)random.NextDouble(), Id = i }).ToArray();
        foreach (var r in rows) r.Label = 3 * r.A - r.B;
        var data = context.Data.LoadFromEnumerable(rows);
        var model = context.Transforms.Concatenate("Features", "a", "b")
            .Append(context.Regression.Trainers.Sdca(labelColumnName: "label", featureColumnName: "Features", maximumNumberOfIterations: 5))
            .Fit(data);

        var structure = MLNetStructureReader.Read(model, data.Schema, "sdca");
        Assert.Equal(["a", "b"], structure.Inputs.Select(v => v.Name));
        Assert.Equal(["a", "b"], structure.Nodes[0].Inputs.ToArray());
    }

    private sealed class Row
    {
        [Microsoft.ML.Data.ColumnName("a")] public float A { get; set; }
        [Microsoft.ML.Data.ColumnName("b")] public float B { get; set; }
        [Microsoft.ML.Data.ColumnName("id")] public float Id { get; set; }
        [Microsoft.ML.Data.ColumnName("label")] public float Label { get; set; }
    }
}
