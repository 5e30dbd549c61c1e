using System.IO.Compression;
using Interactive.Xai.Onnx;
using Microsoft.ML;
using Microsoft.ML.Data;
using static Interactive.Xai.MLNet.Tests.TestData;

namespace Interactive.Xai.MLNet.Tests;

public sealed class MLNetModelTests
{
    private static void AssertClose(float expected, float actual, float relativeTolerance)
    {
        float bound = relativeTolerance * Math.Max(1f, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= bound, $"expected {expected}, got {actual} (difference {Math.Abs(expected - actual)}, allowed {bound})");
    }

    [Fact]
    public void FastTree_pipeline_features_are_the_source_columns_and_the_saved_label_column_is_left_out()
    {
        using var model = MLNetModel.Load(PathOf("diabetes_fasttree.zip"));

        Assert.Equal(DiabetesColumns, model.FeatureNames);
        Assert.Equal(DiabetesColumns, model.FeatureColumns);
        Assert.Equal(10, model.FeatureCount);
        Assert.Equal("Score", model.OutputColumn);
        Assert.Equal(["Score"], model.OutputNames);
        Assert.True(model.IsThreadSafe);
    }

    [Fact]
    public void FastTree_pipeline_gives_the_same_predictions_as_an_ml_net_prediction_engine()
    {
        using var model = MLNetModel.Load(PathOf("diabetes_fasttree.zip"));
        var context = new MLContext(seed: 0);
        var transformer = context.Model.Load(PathOf("diabetes_fasttree.zip"), out _);
        var engine = context.Model.CreatePredictionEngine<DiabetesRow, ScoreRow>(transformer);
        const int rows = 40;
        var inputs = DiabetesRows(rows);
        var outputs = new float[rows];

        model.Predict(inputs, rows, outputs);

        for (int r = 0; r < rows; r++)
            Assert.Equal(engine.Predict(DiabetesRow.From(inputs.AsSpan(r * 10, 10))).Score, outputs[r]);
    }

    [Fact]
    public void FastTree_predictions_track_the_label_it_was_trained_on()
    {
        using var model = MLNetModel.Load(PathOf("diabetes_fasttree.zip"));
        var diabetes = Datasets.Diabetes();

        var predictions = model.Predict(diabetes.Features);

        double mean = diabetes.Labels.Average();
        double residual = 0, total = 0;
        for (int r = 0; r < predictions.Length; r++)
        {
            residual += Math.Pow(diabetes.Labels[r] - predictions[r], 2);
            total += Math.Pow(diabetes.Labels[r] - mean, 2);
        }
        Assert.InRange(1 - residual / total, 0.6, 1.0); // the script reported a training R2 of 0.746
    }

    [Fact]
    public void The_ml_net_wrapped_mlp_and_the_onnx_mlp_give_the_same_outputs_on_the_same_rows()
    {
        using var viaMLNet = MLNetModel.Load(PathOf("mlp10_via_mlnet.zip"), new MLNetModelOptions { OutputColumn = "output" });
        using var viaOnnx = OnnxModel.Load(PathOf("mlp10.onnx"));
        const int rows = 300;
        var inputs = DiabetesLikeRows(rows, seed: 5);
        var fromMLNet = new float[rows];
        var fromOnnx = new float[rows];

        viaMLNet.Predict(inputs, rows, fromMLNet);
        viaOnnx.Predict(inputs, rows, fromOnnx);

        Assert.Equal(DiabetesColumns, viaMLNet.FeatureNames);
        Assert.Equal(viaOnnx.FeatureNames, viaMLNet.FeatureNames);
        Assert.Equal(["output"], viaMLNet.OutputNames);
        for (int r = 0; r < rows; r++) AssertClose(fromOnnx[r], fromMLNet[r], 1e-5f);
    }

    [Fact]
    public void A_pipeline_without_a_score_or_probability_column_asks_for_the_output_column()
    {
        var path = PathOf("mlp10_via_mlnet.zip");

        var error = Assert.Throws<XaiException>(() => MLNetModel.Load(path));

        Assert.StartsWith($"{path}: the model has no 'Probability' or 'Score' column; name its output with OutputColumn", error.Message);
        Assert.Contains("output", error.Message);
    }

    [Fact]
    public void A_batch_gives_the_same_outputs_as_one_row_at_a_time()
    {
        using var model = MLNetModel.Load(PathOf("diabetes_fasttree.zip"));
        const int rows = 50;
        var inputs = DiabetesLikeRows(rows, seed: 6);
        var batched = new float[rows];
        var single = new float[rows];

        model.Predict(inputs, rows, batched);
        for (int r = 0; r < rows; r++) model.Predict(inputs.AsSpan(r * 10, 10), 1, single.AsSpan(r, 1));

        Assert.Equal(single, batched);
    }

    [Fact]
    public void Concurrent_predictions_give_the_same_outputs_as_sequential_ones()
    {
        using var model = MLNetModel.Load(PathOf("diabetes_fasttree.zip"));
        const int batches = 12, rows = 200;
        var inputs = DiabetesLikeRows(batches * rows, seed: 7);
        var sequential = new float[batches * rows];
        var parallel = new float[batches * rows];

        for (int b = 0; b < batches; b++) model.Predict(inputs.AsSpan(b * rows * 10, rows * 10), rows, sequential.AsSpan(b * rows, rows));
        Parallel.For(0, batches, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            b => model.Predict(inputs.AsSpan(b * rows * 10, rows * 10), rows, parallel.AsSpan(b * rows, rows)));

        Assert.Equal(sequential, parallel);
    }

    [Fact]
    public void Multiclass_scores_are_one_output_per_class_named_by_the_class_labels()
    {
        var (transformer, schema) = TrainIrisMulticlass();
        using var model = new MLNetModel(transformer, schema);
        var iris = Datasets.Iris().Features;

        var outputs = model.Predict(iris);

        Assert.Equal(IrisColumns, model.FeatureNames);
        Assert.Equal("Score", model.OutputColumn);
        Assert.Equal(IrisClasses, model.OutputNames);
        for (int r = 0; r < iris.RowCount; r++)
            AssertClose(1f, outputs[r * 3] + outputs[r * 3 + 1] + outputs[r * 3 + 2], 1e-5f);
        // Row 0 is a setosa, row 50 a versicolor, row 100 a virginica: each class scores highest on its own row.
        Assert.Equal(0, ArgMax(outputs.AsSpan(0, 3)));
        Assert.Equal(1, ArgMax(outputs.AsSpan(50 * 3, 3)));
        Assert.Equal(2, ArgMax(outputs.AsSpan(100 * 3, 3)));
    }

    [Fact]
    public void Binary_classifiers_return_one_output_the_probability()
    {
        var (transformer, schema) = TrainIrisBinary();
        using var model = new MLNetModel(transformer, schema, source: "iris-binary");
        var iris = Datasets.Iris().Features;

        var outputs = model.Predict(iris);

        Assert.Equal("Probability", model.OutputColumn);
        Assert.Equal(["Probability"], model.OutputNames);
        Assert.Equal(IrisColumns, model.FeatureNames);
        Assert.All(outputs, p => Assert.InRange(p, 0f, 1f));
        Assert.True(outputs[0] > 0.9f, $"a setosa row scored {outputs[0]}");
        Assert.True(outputs[100] < 0.1f, $"a virginica row scored {outputs[100]}");
    }

    [Fact]
    public void A_vector_feature_column_without_slot_names_gives_indexed_names()
    {
        var context = new MLContext(seed: 0);
        var data = context.Data.LoadFromEnumerable(VectorRows());
        var transformer = context.Regression.Trainers.Sdca(labelColumnName: "Label", featureColumnName: "Features", maximumNumberOfIterations: 5).Fit(data);

        using var model = new MLNetModel(transformer, data.Schema);

        Assert.Equal(["Features[0]", "Features[1]", "Features[2]"], model.FeatureNames);
        Assert.Equal(["Features"], model.FeatureColumns);
        Assert.Equal(["Score"], model.OutputNames);
    }

    [Fact]
    public void A_vector_feature_column_with_slot_names_takes_its_names_from_them_and_its_values_in_order()
    {
        var context = new MLContext(seed: 0);
        var data = context.Data.LoadFromEnumerable(VectorRows());
        var transformer = context.Regression.Trainers.Sdca(labelColumnName: "Label", featureColumnName: "Features", maximumNumberOfIterations: 50).Fit(data);
        var annotations = new DataViewSchema.Annotations.Builder();
        annotations.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, 3), (ref VBuffer<ReadOnlyMemory<char>> names) =>
            names = new VBuffer<ReadOnlyMemory<char>>(3, ["height".AsMemory(), "width".AsMemory(), "depth".AsMemory()]));
        var schemaBuilder = new DataViewSchema.Builder();
        schemaBuilder.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, 3), annotations.ToAnnotations());
        using var model = new MLNetModel(transformer, schemaBuilder.ToSchema());
        var weights = transformer.Model.Weights.ToArray();
        float bias = transformer.Model.Bias;

        var outputs = new float[2];
        model.Predict([1f, 2f, 3f, -1f, 0.5f, 4f], 2, outputs);

        Assert.Equal(["height", "width", "depth"], model.FeatureNames);
        AssertClose(bias + weights[0] * 1 + weights[1] * 2 + weights[2] * 3, outputs[0], 1e-5f);
        AssertClose(bias + weights[0] * -1 + weights[1] * 0.5f + weights[2] * 4, outputs[1], 1e-5f);
    }

    [Fact]
    public void Feature_columns_can_be_named_explicitly_in_any_order()
    {
        var reordered = DiabetesColumns.Reverse().ToArray();
        using var model = MLNetModel.Load(PathOf("diabetes_fasttree.zip"), new MLNetModelOptions { FeatureColumns = reordered });
        using var standard = MLNetModel.Load(PathOf("diabetes_fasttree.zip"));
        const int rows = 20;
        var inputs = DiabetesRows(rows);
        var reversedInputs = new float[inputs.Length];
        for (int r = 0; r < rows; r++)
            for (int f = 0; f < 10; f++) reversedInputs[r * 10 + f] = inputs[r * 10 + 9 - f];

        var expected = new float[rows];
        var actual = new float[rows];
        standard.Predict(inputs, rows, expected);
        model.Predict(reversedInputs, rows, actual);

        Assert.Equal(reordered, model.FeatureNames);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Ignoring_a_column_the_output_depends_on_is_refused()
    {
        var (transformer, schema) = TrainIrisBinary();
        // The PredictionTransformer does not depend on the label; asking to ignore a feature column removes it and
        // the model then refuses, because it needs that column.
        var error = Assert.Throws<XaiException>(() =>
            new MLNetModel(transformer, schema, new MLNetModelOptions { IgnoredColumns = ["petal_width"] }, "iris-binary"));

        Assert.Equal("iris-binary: output 'Probability' depends on input column(s) petal_width, which are not among the features sepal_length, sepal_width, petal_length", error.Message);
    }

    [Fact]
    public void A_named_feature_column_missing_from_the_schema_is_refused()
    {
        var path = PathOf("diabetes_fasttree.zip");

        var error = Assert.Throws<XaiException>(() => MLNetModel.Load(path, new MLNetModelOptions { FeatureColumns = ["age", "weight"] }));

        Assert.StartsWith($"{path}: the model's input has no column 'weight'; its columns are age, sex, bmi", error.Message);
    }

    [Fact]
    public void Feature_columns_that_leave_out_a_column_the_model_needs_are_refused()
    {
        var path = PathOf("diabetes_fasttree.zip");

        var error = Assert.Throws<XaiException>(() => MLNetModel.Load(path, new MLNetModelOptions { FeatureColumns = ["age", "sex"] }));

        Assert.Equal($"{path}: output 'Score' depends on input column(s) bmi, bp, s1, s2, s3, s4, s5, s6, which are not among the features age, sex", error.Message);
    }

    [Fact]
    public void An_unknown_output_column_is_refused()
    {
        var path = PathOf("diabetes_fasttree.zip");

        var error = Assert.Throws<XaiException>(() => MLNetModel.Load(path, new MLNetModelOptions { OutputColumn = "Probability" }));

        Assert.StartsWith($"{path}: the model has no output column 'Probability'; its columns are ", error.Message);
    }

    [Fact]
    public void An_input_schema_without_a_column_the_pipeline_needs_is_refused()
    {
        var context = new MLContext(seed: 0);
        var transformer = context.Model.Load(PathOf("diabetes_fasttree.zip"), out _);
        var builder = new DataViewSchema.Builder();
        foreach (var name in DiabetesColumns.Where(n => n != "bmi")) builder.AddColumn(name, NumberDataViewType.Single);

        var error = Assert.Throws<XaiException>(() => new MLNetModel(transformer, builder.ToSchema(), source: "diabetes pipeline"));

        Assert.StartsWith("diabetes pipeline: the input schema does not fit the model: ", error.Message);
        Assert.Contains("bmi", error.Message);
    }

    [Fact]
    public void A_table_with_the_wrong_number_of_columns_is_refused()
    {
        using var model = MLNetModel.Load(PathOf("diabetes_fasttree.zip"));

        var error = Assert.Throws<XaiException>(() => model.Predict(FeatureTable.FromRowMajor(new float[8], 2, 4)));

        Assert.Contains("4 columns", error.Message);
    }

    [Fact]
    public void A_missing_file_gives_an_error_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N") + ".zip");

        var error = Assert.Throws<XaiException>(() => MLNetModel.Load(path));

        Assert.Equal($"{path}: file not found", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_zip_gives_an_error_naming_it()
    {
        using var file = new TemporaryFile("garbage.zip", "age,sex\n1,2\n"u8.ToArray());

        var error = Assert.Throws<XaiException>(() => MLNetModel.Load(file.Path));

        Assert.Equal($"{file.Path}: not an ML.NET model: the file is not a zip archive", error.Message);
    }

    [Fact]
    public void A_truncated_zip_gives_an_error_naming_it()
    {
        var bytes = File.ReadAllBytes(PathOf("diabetes_fasttree.zip"));
        using var file = new TemporaryFile("truncated.zip", bytes[..(bytes.Length / 2)]);

        var error = Assert.Throws<XaiException>(() => MLNetModel.Load(file.Path));

        Assert.StartsWith($"{file.Path}: not an ML.NET model", error.Message);
    }

    [Fact]
    public void An_empty_file_gives_an_error_naming_it()
    {
        using var file = new TemporaryFile("empty.zip", []);

        var error = Assert.Throws<XaiException>(() => MLNetModel.Load(file.Path));

        Assert.Equal($"{file.Path}: not an ML.NET model: the file is empty", error.Message);
    }

    [Fact]
    public void A_zip_without_a_model_gives_an_error_naming_it()
    {
        var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(archive.CreateEntry("readme.txt").Open());
            writer.Write("no model here");
        }
        using var file = new TemporaryFile("nomodel.zip", stream.ToArray());

        var error = Assert.Throws<XaiException>(() => MLNetModel.Load(file.Path));

        Assert.Equal($"{file.Path}: not an ML.NET model: the zip archive holds no saved pipeline", error.Message);
    }

    [Fact]
    public void Buffers_too_small_for_the_row_count_are_refused()
    {
        using var model = MLNetModel.Load(PathOf("diabetes_fasttree.zip"));

        Assert.Throws<ArgumentException>(() => model.Predict(new float[19], 2, new float[2]));
        Assert.Throws<ArgumentException>(() => model.Predict(new float[20], 2, new float[1]));
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    private static IEnumerable<VectorRow> VectorRows()
    {
        var random = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            var x = new[] { (float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble() };
            yield return new VectorRow { Features = x, Label = 2 * x[0] - x[1] + 0.5f * x[2] + 1 };
        }
    }

    private sealed class VectorRow
    {
        [VectorType(3)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    private sealed class TemporaryFile : IDisposable
    {
        public TemporaryFile(string name, byte[] contents)
        {
            Directory.CreateDirectory(Folder);
            Path = System.IO.Path.Combine(Folder, name);
            File.WriteAllBytes(Path, contents);
        }

        private string Folder { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "xai-mlnet-tests-" + Guid.NewGuid().ToString("N"));

        public string Path { get; }

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }
}
