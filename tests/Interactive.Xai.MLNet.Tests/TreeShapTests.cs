using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using static Interactive.Xai.MLNet.Tests.TestData;

namespace Interactive.Xai.MLNet.Tests;

/// <summary>
/// Tree SHAP on ML.NET tree ensembles. Tolerances: ML.NET's Score is a float32 (the leaf sum is computed in double and
/// rounded to float), so anything compared with the model's own Score allows a relative 1e-6 (about 8 float ulps);
/// the engine's exact Shapley values are built from float32 model outputs, so they match Tree SHAP to 1e-4.
/// </summary>
public sealed class TreeShapTests
{
    private const double ScoreTolerance = 1e-6;

    public static TheoryData<string> Kinds() => new(TrainedModels.Names);

    // ---- the extracted trees are the model ----

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Extracted_trees_give_the_model_s_own_scores(string kind)
    {
        using var model = TrainedModels.Get(kind);
        var ensemble = model.TreeEnsemble;
        var rows = AllRowsAndPerturbedOnes();

        var scores = model.Predict(rows);

        Assert.Equal(["Score"], ensemble.OutputNames);
        Assert.Equal(DiabetesColumns, ensemble.FeatureNames);
        Assert.Equal(TrainedModels.TreeCount(kind), ensemble.Trees.Length);
        for (int r = 0; r < rows.RowCount; r++)
            AssertScore(scores[r], ensemble.Predict(rows.Row(r)), $"row {r}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Path_dependent_values_add_up_to_the_model_s_own_score(string kind)
    {
        using var model = TrainedModels.Get(kind);
        var data = Datasets.Diabetes().Features;
        var ensemble = model.TreeEnsemble.WithCovers(data.Slice(0, TrainedModels.TrainingRows));
        var rows = data.Slice(300, 60);

        var result = new TreeShapExplainer(ensemble).Explain(rows);
        var scores = model.Predict(rows);

        Assert.True(result.AdditivityError < 1e-9, $"additivity against the trees {result.AdditivityError}");
        for (int r = 0; r < rows.RowCount; r++)
            AssertScore(scores[r], result.BaseValue() + result.RowValues(r).Sum(), $"row {r}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Interventional_values_equal_the_engine_s_exact_shapley_values_on_the_ml_net_model(string kind)
    {
        using var model = TrainedModels.Get(kind);
        var data = Datasets.Diabetes().Features;
        var background = WeightedBackground.FromWeightedRows(data.SelectRows([3, 50, 120, 200, 333]), [1, 2, 1, 3, 1]);
        var rows = data.SelectRows([7, 301, 420]);

        var tree = new TreeShapExplainer(model.TreeEnsemble, background).Explain(rows);
        var exact = new ExactShapleyExplainer(model, background).Explain(rows);

        Assert.Equal(exact.BaseValue(), tree.BaseValue(), 1e-4);
        for (int i = 0; i < tree.Values.Length; i++)
            Assert.True(Math.Abs(exact.Values[i] - tree.Values[i]) <= 1e-4, $"value {i}: exact {exact.Values[i]}, tree {tree.Values[i]}");
        Assert.Contains(tree.Values, v => Math.Abs(v) > 1e-2); // the comparison is not between zeros
    }

    [Fact]
    public void Binary_classifiers_explain_the_raw_score_while_the_model_returns_the_probability()
    {
        var (transformer, schema) = TrainedModels.Train("FastTree binary");
        using var model = new MLNetModel(transformer, schema);
        using var scoreModel = new MLNetModel(transformer, schema, new MLNetModelOptions { OutputColumn = "Score" });
        var rows = Datasets.Diabetes().Features.Slice(0, 40);

        var probabilities = model.Predict(rows);
        var scores = scoreModel.Predict(rows);

        Assert.Equal(["Probability"], model.OutputNames);
        Assert.Equal(["Score"], model.TreeEnsemble.OutputNames);
        for (int r = 0; r < rows.RowCount; r++)
        {
            AssertScore(scores[r], model.TreeEnsemble.Predict(rows.Row(r)), $"row {r}");
            Assert.InRange(probabilities[r], 0f, 1f);
        }
        Assert.Contains(scores, s => s < 0 || s > 1); // a margin, not a probability
    }

    // ---- the committed model ----

    [Fact]
    public void Committed_fasttree_model_trees_give_its_scores_and_tree_shap_adds_up_to_them()
    {
        using var model = MLNetModel.Load(PathOf("diabetes_fasttree.zip"));
        var data = Datasets.Diabetes().Features;
        var ensemble = model.TreeEnsemble;

        var scores = model.Predict(data);
        var result = new TreeShapExplainer(ensemble.WithCovers(data)).Explain(data);

        Assert.True(model.HasTreeEnsemble);
        Assert.Equal(50, ensemble.Trees.Length); // the script trained 50 trees of at most 8 leaves
        Assert.All(ensemble.Trees, tree => Assert.InRange(tree.LeafCount, 2, 8));
        for (int r = 0; r < data.RowCount; r++)
        {
            AssertScore(scores[r], ensemble.Predict(data.Row(r)), $"row {r}");
            AssertScore(scores[r], result.BaseValue() + result.RowValues(r).Sum(), $"row {r}");
        }
        // Path-dependent base value: the mean prediction over the rows the covers came from.
        Assert.Equal(scores.Average(s => (double)s), result.BaseValue(), 1e-3);
    }

    [Fact]
    public void Committed_fasttree_model_interventional_values_equal_exact_shapley_values()
    {
        using var model = MLNetModel.Load(PathOf("diabetes_fasttree.zip"));
        var data = Datasets.Diabetes().Features;
        var background = WeightedBackground.FromTable(data.SelectRows([0, 100, 200, 300]));
        var rows = data.SelectRows([10, 250]);

        var tree = new TreeShapExplainer(model.TreeEnsemble, background).Explain(rows);
        var exact = new ExactShapleyExplainer(model, background).Explain(rows);

        for (int i = 0; i < tree.Values.Length; i++)
            Assert.True(Math.Abs(exact.Values[i] - tree.Values[i]) <= 1e-4, $"value {i}: exact {exact.Values[i]}, tree {tree.Values[i]}");
    }

    // ---- one split, by hand ----

    [Fact]
    public void A_single_split_model_gives_the_hand_computed_values_and_maps_the_slot_to_its_column()
    {
        // y = 10 when x0 = 1, else 2; x1 is noise. Features are concatenated as (x1, x0), so the split is on slot 1,
        // which is the model's feature 0 (the model's features follow the input schema: x0, x1).
        var random = new Random(3);
        var rows = Enumerable.Range(0, 80).Select(i => new StumpRow { X0 = i % 4 == 0 ? 1 : 0, X1 = (float)random.NextDouble(), Y = i % 4 == 0 ? 10 : 2 }).ToList();
        var context = new MLContext(seed: 0);
        var data = context.Data.LoadFromEnumerable(rows);
        var pipeline = context.Transforms.Concatenate("Features", "x1", "x0")
            .Append(context.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
            {
                LabelColumnName = "y", NumberOfTrees = 1, NumberOfLeaves = 2, MinimumExampleCountPerLeaf = 1, NumberOfThreads = 1,
            }));
        using var model = new MLNetModel(pipeline.Fit(data), data.Schema);
        var outputs = new float[2];
        model.Predict([0f, 0.5f, 1f, 0.5f], 2, outputs);
        double a = outputs[0], b = outputs[1]; // the model's score for x0 = 0 and for x0 = 1

        var ensemble = model.TreeEnsemble;
        var stump = Assert.Single(ensemble.Trees);

        Assert.Equal(["x0", "x1"], model.FeatureNames);
        Assert.Equal(3, stump.NodeCount);
        Assert.Equal(0, stump.Feature[0]);
        Assert.InRange(stump.Threshold[0], 0.0, 1.0 - 1e-9);
        Assert.True(b - a > 1, $"the split separates the labels ({a} vs {b})");

        // Interventional, background x0 = 0, 0, 0, 1: E f = (3a + b) / 4, so for x0 = 1, phi0 = 3(b - a) / 4;
        // for x0 = 0, phi0 = -(b - a) / 4; x1 never matters.
        var background = WeightedBackground.FromTable(FeatureTable.FromArray(new float[,] { { 0, 0.1f }, { 0, 0.9f }, { 0, 0.4f }, { 1, 0.2f } }));
        var explained = FeatureTable.FromArray(new float[,] { { 1, 0.7f }, { 0, 0.3f } });
        var interventional = new TreeShapExplainer(ensemble, background).Explain(explained);
        Assert.Equal((3 * a + b) / 4, interventional.BaseValue(), 1e-5);
        Assert.Equal(3 * (b - a) / 4, interventional.Value(0, 0), 1e-5);
        Assert.Equal(-(b - a) / 4, interventional.Value(1, 0), 1e-5);
        Assert.Equal(0, interventional.Value(0, 1));
        Assert.Equal(0, interventional.Value(1, 1));

        // Path-dependent, covers from the training rows (a quarter have x0 = 1): E f = (3a + b) / 4 again.
        var covers = FeatureTable.FromRows(rows.Select(row => new[] { row.X0, row.X1 }).ToList(), ["x0", "x1"]);
        var pathDependent = new TreeShapExplainer(ensemble.WithCovers(covers)).Explain(explained);
        Assert.Equal(3 * (b - a) / 4, pathDependent.Value(0, 0), 1e-5);
        Assert.Equal(-(b - a) / 4, pathDependent.Value(1, 0), 1e-5);
        Assert.Equal(0, pathDependent.Value(0, 1));
    }

    // ---- not available, and why ----

    [Fact]
    public void A_linear_model_has_no_tree_ensemble_and_says_so()
    {
        var (transformer, schema) = TrainIrisBinary();
        using var model = new MLNetModel(transformer, schema);

        var error = Assert.Throws<XaiException>(() => model.TreeEnsemble);

        Assert.False(model.HasTreeEnsemble);
        Assert.Contains("Tree SHAP is not available", error.Message);
        Assert.Contains("LinearBinaryModelParameters", error.Message);
    }

    [Fact]
    public void A_pipeline_without_a_predictor_has_no_tree_ensemble_and_says_so()
    {
        using var model = MLNetModel.Load(PathOf("mlp10_via_mlnet.zip"), new MLNetModelOptions { OutputColumn = "output" });

        var error = Assert.Throws<XaiException>(() => model.TreeEnsemble);

        Assert.Contains("Tree SHAP is not available", error.Message);
        Assert.Contains("no predictor", error.Message);
    }

    [Fact]
    public void Trees_over_normalized_features_are_refused_with_the_slot_named()
    {
        var context = new MLContext(seed: 0);
        var data = context.Data.LoadFromEnumerable(TrainedModels.Rows(TrainedModels.TrainingRows));
        var pipeline = context.Transforms.Concatenate("Features", DiabetesColumns)
            .Append(context.Transforms.NormalizeMinMax("Features"))
            .Append(context.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
            {
                LabelColumnName = "target", NumberOfTrees = 5, NumberOfLeaves = 4, NumberOfThreads = 1,
            }));
        using var model = new MLNetModel(pipeline.Fit(data), data.Schema);

        var error = Assert.Throws<XaiException>(() => model.TreeEnsemble);

        Assert.Contains("Tree SHAP is not available", error.Message);
        Assert.Contains("slot", error.Message);
        Assert.Contains("unchanged", error.Message);
    }

    [Fact]
    public void LightGbm_categorical_splits_are_refused_with_the_reason()
    {
        // A category code with a strong effect, one-hot encoded, so LightGBM splits on a set of categories.
        var random = new Random(5);
        var rows = Enumerable.Range(0, 400).Select(i =>
        {
            int code = i % 6;
            float x = (float)random.NextDouble();
            return new CategoryRow { Code = code, X = x, Y = (code is 1 or 4 ? 5 : 0) + x };
        }).ToList();
        var context = new MLContext(seed: 0);
        var data = context.Data.LoadFromEnumerable(rows);
        var pipeline = context.Transforms.Categorical.OneHotEncoding("CodeVector", "code")
            .Append(context.Transforms.Concatenate("Features", "CodeVector", "x"))
            .Append(context.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
            {
                LabelColumnName = "y", NumberOfIterations = 5, NumberOfLeaves = 4, MinimumExampleCountPerLeaf = 5,
                UseCategoricalSplit = true, NumberOfThreads = 1, Seed = 1,
            }));
        using var model = new MLNetModel(pipeline.Fit(data), data.Schema);

        var error = Assert.Throws<XaiException>(() => model.TreeEnsemble);

        Assert.Contains("Tree SHAP is not available", error.Message);
        Assert.Contains("categorical split", error.Message);
    }

    // ---- helpers ----

    private static void AssertScore(double expected, double actual, string what)
    {
        double bound = ScoreTolerance * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= bound, $"{what}: expected {expected}, got {actual} (difference {Math.Abs(expected - actual)}, allowed {bound})");
    }

    private static FeatureTable AllRowsAndPerturbedOnes()
    {
        var all = DiabetesRows();
        var perturbed = DiabetesLikeRows(200, seed: 11);
        return FeatureTable.FromRowMajor([.. all, .. perturbed], all.Length / 10 + 200, 10, DiabetesColumns);
    }

    private sealed class StumpRow
    {
        [ColumnName("x0")] public float X0 { get; set; }
        [ColumnName("x1")] public float X1 { get; set; }
        [ColumnName("y")] public float Y { get; set; }
    }

    private sealed class CategoryRow
    {
        [ColumnName("code")] public float Code { get; set; }
        [ColumnName("x")] public float X { get; set; }
        [ColumnName("y")] public float Y { get; set; }
    }
}

/// <summary>Small tree models trained in-process on the first 300 diabetes rows, one of each supported kind.</summary>
internal static class TrainedModels
{
    public const int TrainingRows = 300;

    public static readonly string[] Names =
        ["FastTree regression", "FastTree binary", "FastForest regression", "FastForest binary", "LightGBM regression", "LightGBM binary"];

    private static readonly Dictionary<string, (ITransformer Model, DataViewSchema Schema)> Cache = [];
    private static readonly Lock Gate = new();

    public static int TreeCount(string kind) => kind.StartsWith("FastForest", StringComparison.Ordinal) ? 12 : 25;

    /// <summary>An MLNetModel over the kind's pipeline, returning the Score column (the raw margin for binary models).</summary>
    public static MLNetModel Get(string kind)
    {
        var (model, schema) = Train(kind);
        return new MLNetModel(model, schema, new MLNetModelOptions { OutputColumn = "Score" }, kind);
    }

    public static (ITransformer Model, DataViewSchema Schema) Train(string kind)
    {
        lock (Gate)
        {
            if (Cache.TryGetValue(kind, out var cached)) return cached;
            var context = new MLContext(seed: 0);
            var data = context.Data.LoadFromEnumerable(Rows(TrainingRows));
            // Forests read the columns in reverse order, so the slot-to-column mapping is exercised too.
            string[] order = kind.StartsWith("FastForest", StringComparison.Ordinal) ? [.. DiabetesColumns.Reverse()] : DiabetesColumns;
            var features = context.Transforms.Concatenate("Features", order);
            const int trees = 25, forest = 12, leaves = 8, minimumPerLeaf = 10;
            IEstimator<ITransformer> trainer = kind switch
            {
                "FastTree regression" => context.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options
                { LabelColumnName = "target", NumberOfTrees = trees, NumberOfLeaves = leaves, MinimumExampleCountPerLeaf = minimumPerLeaf, NumberOfThreads = 1 }),
                "FastTree binary" => context.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
                { LabelColumnName = "high", NumberOfTrees = trees, NumberOfLeaves = leaves, MinimumExampleCountPerLeaf = minimumPerLeaf, NumberOfThreads = 1 }),
                "FastForest regression" => context.Regression.Trainers.FastForest(new FastForestRegressionTrainer.Options
                { LabelColumnName = "target", NumberOfTrees = forest, NumberOfLeaves = leaves, MinimumExampleCountPerLeaf = minimumPerLeaf, NumberOfThreads = 1 }),
                "FastForest binary" => context.BinaryClassification.Trainers.FastForest(new FastForestBinaryTrainer.Options
                { LabelColumnName = "high", NumberOfTrees = forest, NumberOfLeaves = leaves, MinimumExampleCountPerLeaf = minimumPerLeaf, NumberOfThreads = 1 }),
                "LightGBM regression" => context.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options
                { LabelColumnName = "target", NumberOfIterations = trees, NumberOfLeaves = leaves, MinimumExampleCountPerLeaf = minimumPerLeaf, NumberOfThreads = 1, Seed = 1 }),
                "LightGBM binary" => context.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options
                { LabelColumnName = "high", NumberOfIterations = trees, NumberOfLeaves = leaves, MinimumExampleCountPerLeaf = minimumPerLeaf, NumberOfThreads = 1, Seed = 1 }),
                _ => throw new ArgumentException(kind),
            };
            var result = (features.Append(trainer).Fit(data), data.Schema);
            Cache[kind] = result;
            return result;
        }
    }

    public static IEnumerable<LabelledRow> Rows(int count)
    {
        var diabetes = Datasets.Diabetes();
        float median = diabetes.Labels.Order().ElementAt(diabetes.Labels.Length / 2);
        for (int r = 0; r < count; r++)
        {
            var x = diabetes.Features.Row(r);
            yield return new LabelledRow
            {
                Age = x[0], Sex = x[1], Bmi = x[2], BloodPressure = x[3], S1 = x[4], S2 = x[5], S3 = x[6], S4 = x[7], S5 = x[8], S6 = x[9],
                Target = diabetes.Labels[r], High = diabetes.Labels[r] > median,
            };
        }
    }

    public sealed class LabelledRow
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
        [ColumnName("high")] public bool High { get; set; }
    }
}
