namespace Interactive.Xai.Tests;

public class CounterfactualExplainerTests
{
    private static readonly float[] W = [2f, -1f, 0.5f, 1f];
    private const float Bias = -1.5f;

    /// <summary>p(class 1) = sigmoid(w . x + b), with its analytic input gradient.</summary>
    private sealed class Logistic : IDifferentiableModel
    {
        public int FeatureCount => W.Length;
        public IReadOnlyList<string>? FeatureNames => null;
        public IReadOnlyList<string> OutputNames => ["p"];
        public bool IsThreadSafe => true;

        public void Predict(ReadOnlySpan<float> inputs, int rowCount, Span<float> outputs)
        {
            for (int r = 0; r < rowCount; r++) outputs[r] = P(inputs.Slice(r * 4, 4));
        }

        public void PredictWithGradient(ReadOnlySpan<float> inputs, int rowCount, ReadOnlySpan<int> outputIndices, Span<float> outputs, Span<float> gradients)
        {
            for (int r = 0; r < rowCount; r++)
            {
                float p = P(inputs.Slice(r * 4, 4));
                outputs[r] = p;
                for (int j = 0; j < 4; j++) gradients[r * 4 + j] = p * (1 - p) * W[j];
            }
        }

        public static float P(ReadOnlySpan<float> x) => 1 / (1 + MathF.Exp(-(System.Numerics.Tensors.TensorPrimitives.Dot(x, W) + Bias)));
    }

    private static readonly FeatureConstraint[] Constraints =
    [
        new() { Feature = "x0", Immutable = true },
        new() { Feature = "x1", Min = -1, Max = 0.5 },
        new() { Feature = "x2", Integer = true },
        new() { Feature = "x3", Direction = MonotoneDirection.IncreaseOnly },
    ];

    private static FeatureTable Training() => TestModels.RandomTable(400, 4, seed: 1);

    private static FeatureTable Negatives(int count)
    {
        var table = TestModels.RandomTable(200, 4, seed: 2);
        var rows = Enumerable.Range(0, table.RowCount).Where(r => Logistic.P(table.Row(r)) < 0.3 && table[r, 0] > -0.2f).Take(count);
        return table.SelectRows(rows);
    }

    private static void AssertRespectsConstraints(CounterfactualExplanation result, IModel model)
    {
        foreach (var set in result.Sets)
        {
            var x = result.Data.Row(set.Row).ToArray();
            var outputs = model.Predict(set.Counterfactuals);
            for (int i = 0; i < set.Count; i++)
            {
                var cf = set.Counterfactuals.Row(i).ToArray();
                Assert.True(set.Valid[i]);
                Assert.True(result.Goal.IsMet(outputs.AsSpan(i * model.OutputCount(), model.OutputCount())), "not valid through the model");
                Assert.Equal(outputs[i * model.OutputCount()], set.Prediction(i), 6);
                Assert.Equal(x[0], cf[0]);
                if (cf[1] != x[1]) Assert.InRange(cf[1], -1f, 0.5f);
                if (cf[2] != x[2]) Assert.Equal(MathF.Round(cf[2]), cf[2]);
                Assert.True(cf[3] >= x[3], $"x3 decreased from {x[3]} to {cf[3]}");
                Assert.Equal(Enumerable.Range(0, 4).Where(j => cf[j] != x[j]).ToArray(), set.ChangedFeatures[i].ToArray());
                Assert.NotEmpty(set.ChangedFeatures[i]);
            }
        }
    }

    [Theory]
    [InlineData(42)]
    [InlineData(1)]
    [InlineData(2)]
    public void Genetic_FindsValidCounterfactualsThatRespectEveryConstraint(int seed)
    {
        var model = new Logistic();
        var rows = Negatives(5);
        var explainer = new CounterfactualExplainer(model, Training(), new CounterfactualOptions { Count = 4, Constraints = Constraints, Seed = seed });
        var result = explainer.Explain(rows, CounterfactualGoal.Class(1));
        AssertRespectsConstraints(result, model);
        foreach (var set in result.Sets)
        {
            Assert.True(set.Count == 4, $"row {set.Row}: {set.Count} found");
            Assert.Equal(1.0, set.Validity);
            Assert.True(set.Diversity > 0);
            Assert.InRange(set.Sparsity, 0, 0.75);
            Assert.True(set.OriginalPrediction[0] < 0.5);
        }
    }

    [Theory]
    [InlineData(42)]
    [InlineData(1)]
    [InlineData(2)]
    public void Gradient_FindsValidCounterfactualsThatRespectEveryConstraint(int seed)
    {
        var model = new Logistic();
        var rows = Negatives(5);
        var explainer = new CounterfactualExplainer(model, Training(), new CounterfactualOptions { Count = 3, Constraints = Constraints, Search = CounterfactualSearch.Gradient, Seed = seed });
        var result = explainer.Explain(rows, CounterfactualGoal.Class(1));
        AssertRespectsConstraints(result, model);
        // Gradient descent from nearby starts may converge to the same point: duplicates are dropped.
        Assert.All(result.Sets, s => Assert.InRange(s.Count, 1, 3));
        Assert.All(result.Sets, s => Assert.Equal(s.Count / 3.0, s.Validity, 9));
    }

    [Fact]
    public void Gradient_IntegerRounding_InChunks_GivesTheSameResultAsAllAtOnce()
    {
        // The floor/ceiling variants of all candidates could pass 2^31 values; they are evaluated in bounded chunks.
        // A chunk of one candidate (or of a few) must give exactly the same counterfactuals and evaluation count.
        var model = new Logistic();
        var rows = Negatives(4);
        var options = new CounterfactualOptions { Count = 3, Constraints = Constraints, Search = CounterfactualSearch.Gradient, Seed = 5 };
        var whole = new CounterfactualExplainer(model, Training(), options).Explain(rows, CounterfactualGoal.Class(1));
        foreach (long bound in new long[] { 1, 41 }) // one candidate per chunk; five (8 values each), leaving a partial chunk of 12
        {
            var explainer = new CounterfactualExplainer(model, Training(), options) { MaxVariantValuesPerChunk = bound };
            var chunked = explainer.Explain(rows, CounterfactualGoal.Class(1));
            Assert.Equal(whole.ModelEvaluations, chunked.ModelEvaluations);
            Assert.Equal(whole.Sets.Length, chunked.Sets.Length);
            for (int r = 0; r < whole.Sets.Length; r++)
                Assert.Equal(whole.Sets[r].Counterfactuals.Values.ToArray(), chunked.Sets[r].Counterfactuals.Values.ToArray());
        }
        AssertRespectsConstraints(whole, model);
    }

    /// <summary>Three-class softmax of a linear map, with the analytic gradient dp_k/dx = p_k (W_k - Σ_j p_j W_j).</summary>
    private sealed class Softmax : IDifferentiableModel
    {
        private static readonly float[][] Rows = [[2f, 0f, -1f], [-1f, 2f, 0f], [0f, -1f, 2f]];
        public int FeatureCount => 3;
        public IReadOnlyList<string>? FeatureNames => null;
        public IReadOnlyList<string> OutputNames => ["a", "b", "c"];
        public bool IsThreadSafe => true;

        private static void Probabilities(ReadOnlySpan<float> x, Span<float> p)
        {
            for (int k = 0; k < 3; k++) p[k] = System.Numerics.Tensors.TensorPrimitives.Dot(x, Rows[k]);
            System.Numerics.Tensors.TensorPrimitives.SoftMax(p, p);
        }

        public void Predict(ReadOnlySpan<float> inputs, int rowCount, Span<float> outputs)
        {
            for (int r = 0; r < rowCount; r++) Probabilities(inputs.Slice(r * 3, 3), outputs.Slice(r * 3, 3));
        }

        public void PredictWithGradient(ReadOnlySpan<float> inputs, int rowCount, ReadOnlySpan<int> outputIndices, Span<float> outputs, Span<float> gradients)
        {
            for (int r = 0; r < rowCount; r++)
            {
                var p = outputs.Slice(r * 3, 3);
                Probabilities(inputs.Slice(r * 3, 3), p);
                int k = outputIndices[r];
                for (int j = 0; j < 3; j++)
                {
                    double mean = p[0] * Rows[0][j] + p[1] * Rows[1][j] + p[2] * Rows[2][j];
                    gradients[r * 3 + j] = (float)(p[k] * (Rows[k][j] - mean));
                }
            }
        }
    }

    [Theory]
    [InlineData(42)]
    [InlineData(1)]
    [InlineData(2)]
    public void Gradient_MultiClass_ReachesTheDesiredArgMaxRespectingADecreaseOnlyFeature(int seed)
    {
        var model = new Softmax();
        var training = TestModels.RandomTable(300, 3, seed: 4, scale: 2);
        var rows = FeatureTable.FromRows([[1.5f, 0f, 0f], [0f, 1.2f, -0.5f]]);
        var options = new CounterfactualOptions
        {
            Count = 3,
            Search = CounterfactualSearch.Gradient,
            Seed = seed,
            Constraints = [new FeatureConstraint { Feature = "x0", Direction = MonotoneDirection.DecreaseOnly }],
        };
        var result = new CounterfactualExplainer(model, training, options).Explain(rows, CounterfactualGoal.Class(2));
        foreach (var set in result.Sets)
        {
            Assert.True(set.Count >= 1);
            var outputs = model.Predict(set.Counterfactuals);
            for (int i = 0; i < set.Count; i++)
            {
                Assert.True(set.Valid[i]);
                Assert.True(outputs[i * 3 + 2] > Math.Max(outputs[i * 3], outputs[i * 3 + 1]), "class 2 is not the arg-max");
                Assert.True(set.Counterfactuals[i, 0] <= rows[set.Row, 0]);
            }
        }
    }

    [Fact]
    public void Gradient_NeedsADifferentiableModel()
    {
        var message = Assert.Throws<XaiException>(() => new CounterfactualExplainer(DelegateModel.Linear(W), Training(),
            new CounterfactualOptions { Search = CounterfactualSearch.Gradient })).Message;
        Assert.Contains("differentiable", message, StringComparison.Ordinal);
    }

    [Fact]
    public void MultiClass_ReachesTheDesiredArgMax()
    {
        var model = DelegateModel.FromRowFunction(3, ["a", "b", "c"], (x, o) => { o[0] = x[0]; o[1] = x[1]; o[2] = x[2] - 0.5f; });
        var training = TestModels.RandomTable(300, 3, seed: 3);
        var rows = FeatureTable.FromRows([[0.8f, 0.1f, 0f], [0.2f, 0.6f, -0.5f]]);
        var result = new CounterfactualExplainer(model, training).Explain(rows, CounterfactualGoal.Class(2));
        foreach (var set in result.Sets)
        {
            Assert.Equal(4, set.Count);
            var outputs = model.Predict(set.Counterfactuals);
            for (int i = 0; i < set.Count; i++) Assert.True(outputs[i * 3 + 2] > Math.Max(outputs[i * 3], outputs[i * 3 + 1]));
        }
    }

    [Fact]
    public void Regressor_ReachesTheRange_AndAModelOfOneFeatureChangesOnlyThatFeature()
    {
        var model = DelegateModel.FromRowFunction(4, x => 3 * x[1]);
        var rows = FeatureTable.FromRows([[0.1f, -0.5f, 0.3f, 0.2f]]);
        var result = new CounterfactualExplainer(model, Training()).Explain(rows, CounterfactualGoal.Range(1.5, 2.4));
        var set = result.Sets[0];
        Assert.Equal(4, set.Count);
        for (int i = 0; i < set.Count; i++)
        {
            Assert.InRange(3 * set.Counterfactuals[i, 1], 1.5f, 2.4f);
            Assert.Equal([1], set.ChangedFeatures[i].ToArray());
        }
        Assert.Equal(0.75, set.Sparsity, 9);
        // The nearest valid value is x1 = 0.5: a scaled distance of 1 / MAD(x1).
        double nearest = 1.0 / result.Scales[1];
        Assert.InRange(set.Distances.Min(), nearest, nearest * 1.05);
    }

    [Fact]
    public void SameSeed_SameResult()
    {
        var model = new Logistic();
        var rows = Negatives(2);
        CounterfactualExplanation Run(int batch) => new CounterfactualExplainer(model, Training(), new CounterfactualOptions { Constraints = Constraints, BatchSize = batch }).Explain(rows, CounterfactualGoal.Class(1));
        var a = Run(8192);
        var b = Run(33);
        for (int r = 0; r < 2; r++) Assert.Equal(a.Sets[r].Counterfactuals.Values.ToArray(), b.Sets[r].Counterfactuals.Values.ToArray());
    }

    [Fact]
    public void Unreachable_ReportsZeroValidity()
    {
        var model = DelegateModel.FromRowFunction(4, x => x[0]);
        var rows = FeatureTable.FromRows([[0.1f, 0f, 0f, 0f]]);
        var options = new CounterfactualOptions { Constraints = [new FeatureConstraint { Feature = "x0", Immutable = true }], Generations = 5 };
        var result = new CounterfactualExplainer(model, Training(), options).Explain(rows, CounterfactualGoal.Range(5, 6));
        Assert.Equal(0, result.Sets[0].Count);
        Assert.Equal(0.0, result.Sets[0].Validity);
    }

    [Fact]
    public void BadConstraintsAndGoals_GiveClearErrors()
    {
        var model = new Logistic();
        Assert.Contains("no feature named 'nope'", Assert.Throws<XaiException>(() => new CounterfactualExplainer(model, Training(),
            new CounterfactualOptions { Constraints = [new FeatureConstraint { Feature = "nope", Immutable = true }] })).Message, StringComparison.Ordinal);
        Assert.Contains("is empty", Assert.Throws<XaiException>(() => new CounterfactualExplainer(model, Training(),
            new CounterfactualOptions { Constraints = [new FeatureConstraint { Feature = "x1", Min = 2, Max = 1 }] })).Message, StringComparison.Ordinal);
        var allFixed = Enumerable.Range(0, 4).Select(j => new FeatureConstraint { Feature = "x" + j, Immutable = true }).ToArray();
        Assert.Contains("every feature is immutable", Assert.Throws<XaiException>(() => new CounterfactualExplainer(model, Training(),
            new CounterfactualOptions { Constraints = allFixed })).Message, StringComparison.Ordinal);
        var explainer = new CounterfactualExplainer(model, Training());
        Assert.Contains("class 2 does not exist", Assert.Throws<XaiException>(() => explainer.Explain(Negatives(1), CounterfactualGoal.Class(2))).Message, StringComparison.Ordinal);
        Assert.Throws<XaiException>(() => CounterfactualGoal.Range(2, 1));
    }
}
