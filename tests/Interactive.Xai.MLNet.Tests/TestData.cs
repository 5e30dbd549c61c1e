using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interactive.Xai.MLNet.Tests;

internal static class TestData
{
    public static string PathOf(string file) => Path.Combine(AppContext.BaseDirectory, "models", file);

    public static readonly string[] DiabetesColumns = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"];

    public static readonly string[] IrisColumns = ["sepal_length", "sepal_width", "petal_length", "petal_width"];

    public static readonly string[] IrisClasses = ["setosa", "versicolor", "virginica"];

    /// <summary>The first <paramref name="rows"/> diabetes rows (all when null), row-major.</summary>
    public static float[] DiabetesRows(int? rows = null)
    {
        var table = Datasets.Diabetes().Features;
        int count = rows ?? table.RowCount;
        return table.Values[..(count * table.ColumnCount)].ToArray();
    }

    /// <summary><paramref name="rows"/> rows drawn from the diabetes data with each value scaled by 0.9..1.1 (seeded).</summary>
    public static float[] DiabetesLikeRows(int rows, int seed)
    {
        var table = Datasets.Diabetes().Features;
        var random = new Random(seed);
        var values = new float[rows * 10];
        for (int r = 0; r < rows; r++)
        {
            var source = table.Row(random.Next(table.RowCount));
            for (int f = 0; f < 10; f++) values[r * 10 + f] = source[f] * (float)(0.9 + 0.2 * random.NextDouble());
        }
        return values;
    }

    public static IEnumerable<IrisRow> IrisRows()
    {
        var iris = Datasets.Iris();
        for (int r = 0; r < iris.Features.RowCount; r++)
        {
            var x = iris.Features.Row(r);
            yield return new IrisRow
            {
                SepalLength = x[0], SepalWidth = x[1], PetalLength = x[2], PetalWidth = x[3],
                Species = IrisClasses[(int)iris.Labels[r]],
                IsSetosa = iris.Labels[r] == 0,
            };
        }
    }

    /// <summary>A multiclass iris pipeline: species -> key label, four columns -> Features -> maximum entropy.</summary>
    public static (ITransformer Model, DataViewSchema Schema) TrainIrisMulticlass()
    {
        var context = new MLContext(seed: 0);
        var data = context.Data.LoadFromEnumerable(IrisRows());
        var pipeline = context.Transforms.Conversion.MapValueToKey("Label", "species")
            .Append(context.Transforms.Concatenate("Features", IrisColumns))
            .Append(context.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Append(context.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        return (pipeline.Fit(data), data.Schema);
    }

    /// <summary>A binary iris pipeline (setosa or not) with calibrated probabilities.</summary>
    public static (ITransformer Model, DataViewSchema Schema) TrainIrisBinary()
    {
        var context = new MLContext(seed: 0);
        var data = context.Data.LoadFromEnumerable(IrisRows());
        var pipeline = context.Transforms.Concatenate("Features", IrisColumns)
            .Append(context.BinaryClassification.Trainers.LbfgsLogisticRegression(labelColumnName: "is_setosa"));
        return (pipeline.Fit(data), data.Schema);
    }

    public sealed class IrisRow
    {
        [ColumnName("sepal_length")] public float SepalLength { get; set; }
        [ColumnName("sepal_width")] public float SepalWidth { get; set; }
        [ColumnName("petal_length")] public float PetalLength { get; set; }
        [ColumnName("petal_width")] public float PetalWidth { get; set; }
        [ColumnName("species")] public string Species { get; set; } = "";
        [ColumnName("is_setosa")] public bool IsSetosa { get; set; }
    }

    public sealed class DiabetesRow
    {
        [ColumnName("age")] public float Age { get; set; }
        [ColumnName("sex")] public float Sex { get; set; }
        [ColumnName("bmi")] public float Bmi { get; set; }
        [ColumnName("bp")] public float BloodPressure { get; set; }
        [ColumnName("s1")] public float S1 { get; set; }
        [ColumnName("s2")] public float S2 { get; set; }
        [ColumnName("s3")] public float S3 { get; set; }
        [ColumnName("s4")] public float S4 { get; set; }
        [ColumnName("s5")] public float S5 { get; set; }
        [ColumnName("s6")] public float S6 { get; set; }
        [ColumnName("target")] public float Target { get; set; }

        public static DiabetesRow From(ReadOnlySpan<float> x) => new()
        {
            Age = x[0], Sex = x[1], Bmi = x[2], BloodPressure = x[3],
            S1 = x[4], S2 = x[5], S3 = x[6], S4 = x[7], S5 = x[8], S6 = x[9],
        };
    }

    public sealed class ScoreRow
    {
        public float Score { get; set; }
    }
}
