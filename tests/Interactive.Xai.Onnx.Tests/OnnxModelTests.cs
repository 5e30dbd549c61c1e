using System.Text.Json;
using static Interactive.Xai.Onnx.Tests.TestModels;

namespace Interactive.Xai.Onnx.Tests;

public sealed class OnnxModelTests
{
    // PyTorch and ONNX Runtime both compute in float32 but may order the sums differently:
    // outputs agree to a few float32 ulps, so 1e-5 relative (with an absolute floor of 1e-5) is a tight bound.
    private const float RelativeTolerance = 1e-5f;

    private static void AssertClose(float expected, float actual, float tolerance = RelativeTolerance)
    {
        float bound = tolerance * Math.Max(1f, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= bound, $"expected {expected}, got {actual} (difference {Math.Abs(expected - actual)}, allowed {bound})");
    }

    [Fact]
    public void Mlp10_reproduces_the_pytorch_outputs()
    {
        using var model = OnnxModel.Load(PathOf("mlp10.onnx"));
        var reference = Reference.GetProperty("mlp10");
        var inputs = FlatRows(reference.GetProperty("inputs"));
        var expected = FlatRows(reference.GetProperty("outputs"));
        int rows = inputs.Length / 10;
        var outputs = new float[rows];

        model.Predict(inputs, rows, outputs);

        Assert.Equal(10, model.FeatureCount);
        Assert.Equal(["output"], model.OutputNames);
        for (int i = 0; i < rows; i++) AssertClose(expected[i], outputs[i]);
    }

    [Fact]
    public void Mlp10_takes_its_feature_names_from_the_model_metadata()
    {
        using var model = OnnxModel.Load(PathOf("mlp10.onnx"));

        Assert.Equal(Strings(Reference.GetProperty("mlp10").GetProperty("featureNames")), model.FeatureNames);
        Assert.Equal(Datasets.Diabetes().Features.FeatureNames, model.FeatureNames);
    }

    [Fact]
    public void Linear_model_equals_w_dot_x_plus_b_on_random_rows()
    {
        using var model = OnnxModel.Load(PathOf("linear4.onnx"));
        var reference = Reference.GetProperty("linear4");
        var weights = Floats(reference.GetProperty("weights"));
        float bias = reference.GetProperty("bias").GetSingle();
        const int rows = 257;
        var inputs = RandomRows(rows, 4, seed: 1, scale: 10);
        var outputs = new float[rows];

        model.Predict(inputs, rows, outputs);

        for (int r = 0; r < rows; r++)
        {
            double expected = bias;
            for (int f = 0; f < 4; f++) expected += weights[f] * inputs[r * 4 + f];
            AssertClose((float)expected, outputs[r]);
        }
    }

    [Fact]
    public void Linear_model_with_a_rank_one_output_has_one_output_named_after_the_graph_output_and_no_feature_names()
    {
        using var model = OnnxModel.Load(PathOf("linear4.onnx"));

        Assert.Equal(4, model.FeatureCount);
        Assert.Equal(["y"], model.OutputNames);
        Assert.Null(model.FeatureNames);
        Assert.Null(model.FixedBatchSize);
        Assert.True(model.IsThreadSafe);
    }

    [Fact]
    public void Linear_model_reproduces_the_pytorch_outputs()
    {
        using var model = OnnxModel.Load(PathOf("linear4.onnx"));
        var reference = Reference.GetProperty("linear4");
        var inputs = FlatRows(reference.GetProperty("inputs"));
        var expected = Floats(reference.GetProperty("outputs"));
        var outputs = new float[expected.Length];

        model.Predict(inputs, expected.Length, outputs);

        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], outputs[i]);
    }

    [Fact]
    public void Classifier_returns_its_first_output_the_logits_by_default_with_class_names_from_metadata()
    {
        using var model = OnnxModel.Load(PathOf("classifier4.onnx"));
        var reference = Reference.GetProperty("classifier4");
        var inputs = FlatRows(reference.GetProperty("inputs"));
        var expected = FlatRows(reference.GetProperty("logits"));
        int rows = inputs.Length / 4;
        var outputs = new float[rows * 3];

        model.Predict(inputs, rows, outputs);

        Assert.Equal("logits", model.OutputName);
        Assert.Equal(["logits", "probabilities"], model.AvailableOutputs);
        Assert.Equal(["setosa", "versicolor", "virginica"], model.OutputNames);
        Assert.Equal(["sepal_length", "sepal_width", "petal_length", "petal_width"], model.FeatureNames);
        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], outputs[i]);
    }

    [Fact]
    public void Classifier_returns_probabilities_that_sum_to_one_when_asked_to_prefer_them()
    {
        using var model = OnnxModel.Load(PathOf("classifier4.onnx"), new OnnxModelOptions { PreferProbabilities = true });
        var reference = Reference.GetProperty("classifier4");
        var inputs = FlatRows(reference.GetProperty("inputs"));
        var expected = FlatRows(reference.GetProperty("probabilities"));
        int rows = inputs.Length / 4;
        var outputs = new float[rows * 3];

        model.Predict(inputs, rows, outputs);

        Assert.Equal("probabilities", model.OutputName);
        for (int i = 0; i < expected.Length; i++) AssertClose(expected[i], outputs[i]);
        for (int r = 0; r < rows; r++) AssertClose(1f, outputs[r * 3] + outputs[r * 3 + 1] + outputs[r * 3 + 2]);
    }

    [Fact]
    public void An_output_can_be_chosen_by_name_and_output_names_can_be_overridden()
    {
        using var model = OnnxModel.Load(PathOf("classifier4.onnx"),
            new OnnxModelOptions { OutputName = "probabilities", OutputNames = ["a", "b", "c"] });

        Assert.Equal("probabilities", model.OutputName);
        Assert.Equal(["a", "b", "c"], model.OutputNames);
    }

    [Fact]
    public void Multi_column_outputs_without_metadata_are_named_after_the_output_with_an_index()
    {
        // classifier4 carries class names; replacing its metadata is not possible here, so drop the names through
        // a metadata-free copy of the same graph: strip the trailing metadata_props entries the script appended.
        var bytes = File.ReadAllBytes(PathOf("classifier4.onnx"));
        int metadataStart = MetadataPropsStart(bytes);
        using var model = OnnxModel.FromBytes(bytes[..metadataStart], "classifier4-without-metadata.onnx");

        Assert.Equal(["logits[0]", "logits[1]", "logits[2]"], model.OutputNames);
        Assert.Null(model.FeatureNames);
    }

    [Fact]
    public void A_batch_gives_the_same_outputs_as_one_row_at_a_time()
    {
        using var model = OnnxModel.Load(PathOf("mlp10.onnx"));
        const int rows = 64;
        var inputs = DiabetesLikeRows(rows, seed: 2);
        var batched = new float[rows];
        var single = new float[rows];

        model.Predict(inputs, rows, batched);
        for (int r = 0; r < rows; r++) model.Predict(inputs.AsSpan(r * 10, 10), 1, single.AsSpan(r, 1));

        for (int r = 0; r < rows; r++) AssertClose(single[r], batched[r]);
    }

    [Fact]
    public void A_graph_with_a_fixed_batch_axis_is_fed_in_chunks_and_gives_the_same_outputs_for_any_row_count()
    {
        using var fixedBatch = OnnxModel.Load(PathOf("linear4_batch3.onnx"));
        using var dynamic = OnnxModel.Load(PathOf("linear4.onnx"));
        Assert.Equal(3, fixedBatch.FixedBatchSize);

        foreach (int rows in new[] { 1, 3, 7, 10 })
        {
            var inputs = RandomRows(rows, 4, seed: rows);
            var expected = new float[rows];
            var actual = new float[rows + 1];
            actual[rows] = 12345f;

            dynamic.Predict(inputs, rows, expected);
            fixedBatch.Predict(inputs, rows, actual);

            for (int r = 0; r < rows; r++) AssertClose(expected[r], actual[r]);
            Assert.Equal(12345f, actual[rows]);
        }
    }

    [Fact]
    public void Concurrent_predictions_give_the_same_outputs_as_sequential_ones()
    {
        using var model = OnnxModel.Load(PathOf("mlp10.onnx"));
        const int batches = 16, rows = 100;
        var inputs = DiabetesLikeRows(batches * rows, seed: 3);
        var sequential = new float[batches * rows];
        var parallel = new float[batches * rows];

        for (int b = 0; b < batches; b++) model.Predict(inputs.AsSpan(b * rows * 10, rows * 10), rows, sequential.AsSpan(b * rows, rows));
        Parallel.For(0, batches, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            b => model.Predict(inputs.AsSpan(b * rows * 10, rows * 10), rows, parallel.AsSpan(b * rows, rows)));

        Assert.Equal(sequential, parallel);
    }

    [Fact]
    public void Batches_that_find_every_session_busy_get_a_new_session_up_to_the_limit_and_identical_outputs()
    {
        using var model = OnnxModel.Load(PathOf("mlp10.onnx"), new OnnxModelOptions { MaxSessions = 3 });
        const int rows = 5000;
        var inputs = DiabetesLikeRows(rows, seed: 4);
        var onSecond = new float[rows];
        var onThird = new float[rows];
        var onFirstShared = new float[rows];
        Assert.Equal(1, model.SessionCount);

        var first = model.Rent(out bool firstRented);
        model.Predict(inputs, rows, onSecond);
        Assert.Equal(2, model.SessionCount);
        var second = model.Rent(out bool secondRented);
        model.Predict(inputs, rows, onThird);
        Assert.Equal(3, model.SessionCount);
        var third = model.Rent(out bool thirdRented);
        var shared = model.Rent(out bool sharedRented);
        model.Predict(inputs, rows, onFirstShared);

        Assert.Equal(3, model.SessionCount);
        Assert.True(firstRented && secondRented && thirdRented);
        Assert.False(sharedRented);
        Assert.Same(first, shared);
        Assert.Equal(3, new[] { first, second, third }.Distinct().Count());
        Assert.Equal(onSecond, onThird);
        Assert.Equal(onSecond, onFirstShared);
        foreach (var (session, rented) in new[] { (first, firstRented), (second, secondRented), (third, thirdRented), (shared, sharedRented) })
            model.Return(session, rented);
    }

    [Fact]
    public void One_session_is_shared_by_every_batch_when_the_limit_is_one()
    {
        using var model = OnnxModel.Load(PathOf("mlp10.onnx"), new OnnxModelOptions { MaxSessions = 1 });
        var inputs = DiabetesLikeRows(10, seed: 5);
        var first = model.Rent(out bool rented);

        model.Predict(inputs, 10, new float[10]);

        Assert.True(rented);
        Assert.Equal(1, model.SessionCount);
        model.Return(first, rented);
    }

    [Fact]
    public void Small_models_get_a_session_per_core_and_large_ones_one_session()
    {
        using var model = OnnxModel.Load(PathOf("mlp10.onnx"));

        Assert.Equal(Environment.ProcessorCount, model.MaxSessionCount);
        Assert.Equal(Environment.ProcessorCount, OnnxModel.DefaultMaxSessions(OnnxModelOptions.MaxBytesForSessionPerCore));
        Assert.Equal(1, OnnxModel.DefaultMaxSessions(OnnxModelOptions.MaxBytesForSessionPerCore + 1));
    }

    [Fact]
    public void A_session_limit_below_one_is_refused()
    {
        var error = Assert.Throws<XaiException>(() => OnnxModel.Load(PathOf("mlp10.onnx"), new OnnxModelOptions { MaxSessions = 0 }));

        Assert.Contains("MaxSessions must be at least 1, not 0", error.Message);
    }

    [Fact]
    public void Predicting_a_table_goes_through_the_model_abstraction()
    {
        using var model = OnnxModel.Load(PathOf("mlp10.onnx"));
        var data = Datasets.Diabetes().Features.Slice(0, 20);

        var outputs = model.Predict(data);

        var expected = new float[20];
        model.Predict(data.Values, 20, expected);
        Assert.Equal(expected, outputs);
    }

    [Fact]
    public void A_table_with_the_wrong_number_of_columns_is_refused()
    {
        using var model = OnnxModel.Load(PathOf("mlp10.onnx"));
        var nineColumns = FeatureTable.FromRowMajor(new float[18], 2, 9);

        var error = Assert.Throws<XaiException>(() => model.Predict(nineColumns));

        Assert.Contains("9 columns", error.Message);
        Assert.Contains("10 features", error.Message);
    }

    [Fact]
    public void Buffers_too_small_for_the_row_count_are_refused()
    {
        using var model = OnnxModel.Load(PathOf("mlp10.onnx"));

        Assert.Throws<ArgumentException>(() => model.Predict(new float[19], 2, new float[2]));
        Assert.Throws<ArgumentException>(() => model.Predict(new float[20], 2, new float[1]));
    }

    [Fact]
    public void A_missing_file_gives_an_error_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N") + ".onnx");

        var error = Assert.Throws<XaiException>(() => OnnxModel.Load(path));

        Assert.Equal($"{path}: file not found", error.Message);
    }

    [Fact]
    public void An_empty_file_gives_an_error_naming_it()
    {
        using var file = new TemporaryFile("empty.onnx", []);

        var error = Assert.Throws<XaiException>(() => OnnxModel.Load(file.Path));

        Assert.StartsWith($"{file.Path}: not a valid ONNX model", error.Message);
    }

    [Fact]
    public void A_truncated_file_gives_an_error_naming_it()
    {
        var bytes = File.ReadAllBytes(PathOf("mlp10.onnx"));
        using var file = new TemporaryFile("truncated.onnx", bytes[..(bytes.Length / 2)]);

        var error = Assert.Throws<XaiException>(() => OnnxModel.Load(file.Path));

        Assert.StartsWith($"{file.Path}: not a valid ONNX model: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Garbage_bytes_give_an_error_naming_the_file()
    {
        using var file = new TemporaryFile("garbage.onnx", "this is not a model\n"u8.ToArray());

        var error = Assert.Throws<XaiException>(() => OnnxModel.Load(file.Path));

        Assert.StartsWith($"{file.Path}: not a valid ONNX model: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void A_model_whose_input_is_not_float_is_refused()
    {
        var path = PathOf("bad_int64_input.onnx");

        var error = Assert.Throws<XaiException>(() => OnnxModel.Load(path));

        Assert.Equal($"{path}: input 'input' has element type Int64; a float32 input of shape [batch, features] or [batch, channels, height, width] is needed", error.Message);
    }

    [Fact]
    public void An_image_model_with_an_nchw_input_takes_flattened_rows_and_reproduces_pytorch()
    {
        // Issue 12.3: torch.onnx.export writes image models with a [batch, 1, 8, 8] input; they used to be refused.
        using var model = OnnxModel.Load(PathOf("digits_cnn_nchw.onnx"));
        var reference = JsonDocument.Parse(File.ReadAllText(PathOf("digits_cnn_nchw_reference.json"))).RootElement;
        var inputs = FlatRows(reference.GetProperty("inputs"));
        var expected = FlatRows(reference.GetProperty("outputs"));

        Assert.Equal([1, 8, 8], model.InputShape.ToArray());
        Assert.Equal(64, model.FeatureCount);
        Assert.Equal(10, model.OutputNames.Count);
        foreach (int batch in new[] { 1, 6 })
        {
            var outputs = new float[batch * 10];
            model.Predict(inputs.AsSpan(0, batch * 64), batch, outputs);
            for (int i = 0; i < outputs.Length; i++) AssertClose(expected[i], outputs[i]);
        }
    }

    [Fact]
    public void A_tabular_model_has_an_input_shape_of_its_feature_count()
    {
        using var model = OnnxModel.Load(PathOf("mlp10.onnx"));
        Assert.Equal([10], model.InputShape.ToArray());
    }

    [Fact]
    public void A_model_whose_input_has_rank_three_is_refused()
    {
        var path = PathOf("bad_rank3_input.onnx");

        var error = Assert.Throws<XaiException>(() => OnnxModel.Load(path));

        Assert.StartsWith($"{path}: input 'input' has shape [batch, 3, 4] (rank 3)", error.Message);
    }

    [Fact]
    public void An_unknown_output_name_is_refused_with_the_available_outputs()
    {
        var path = PathOf("classifier4.onnx");

        var error = Assert.Throws<XaiException>(() => OnnxModel.Load(path, new OnnxModelOptions { OutputName = "scores" }));

        Assert.Equal($"{path}: the model has no output 'scores'; its outputs are logits, probabilities", error.Message);
    }

    [Fact]
    public void Feature_names_that_do_not_match_the_input_width_are_refused()
    {
        var path = PathOf("linear4.onnx");

        var error = Assert.Throws<XaiException>(() => OnnxModel.Load(path, new OnnxModelOptions { FeatureNames = ["a", "b", "c"] }));

        Assert.Equal($"{path}: 3 feature names were given but the model takes 4 features", error.Message);
    }

    [Fact]
    public void Feature_names_given_in_the_options_replace_the_metadata()
    {
        using var model = OnnxModel.Load(PathOf("linear4.onnx"), new OnnxModelOptions { FeatureNames = ["a", "b", "c", "d"] });

        Assert.Equal(["a", "b", "c", "d"], model.FeatureNames);
    }

    [Fact]
    public void From_bytes_names_the_model_in_its_errors()
    {
        var error = Assert.Throws<XaiException>(() => OnnxModel.FromBytes([1, 2, 3], "upload.onnx"));

        Assert.StartsWith("upload.onnx: not a valid ONNX model: ", error.Message);
    }

    [Fact]
    public void A_disposed_model_refuses_to_predict()
    {
        var model = OnnxModel.Load(PathOf("linear4.onnx"));
        model.Dispose();

        Assert.Throws<ObjectDisposedException>(() => model.Predict(new float[4], 1, new float[1]));
    }

    /// <summary>Where the metadata_props entries (field 14, appended by make_onnx_models.py) start: the first byte 0x72 that begins a run of them reaching the end.</summary>
    private static int MetadataPropsStart(byte[] bytes)
    {
        for (int start = 0; start < bytes.Length; start++)
        {
            int position = start;
            while (position < bytes.Length && bytes[position] == 0x72)
            {
                int length = 0, shift = 0, cursor = position + 1;
                while (cursor < bytes.Length)
                {
                    byte b = bytes[cursor++];
                    length |= (b & 0x7F) << shift;
                    shift += 7;
                    if ((b & 0x80) == 0) break;
                }
                position = cursor + length;
            }
            if (position == bytes.Length && start < bytes.Length && bytes[start] == 0x72) return start;
        }
        throw new InvalidOperationException("no trailing metadata_props");
    }

    private sealed class TemporaryFile : IDisposable
    {
        public TemporaryFile(string name, byte[] contents)
        {
            Directory.CreateDirectory(Folder);
            Path = System.IO.Path.Combine(Folder, name);
            File.WriteAllBytes(Path, contents);
        }

        private string Folder { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "xai-onnx-tests-" + Guid.NewGuid().ToString("N"));

        public string Path { get; }

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }
}
