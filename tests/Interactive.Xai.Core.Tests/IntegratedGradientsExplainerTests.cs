namespace Interactive.Xai.Tests;

public class IntegratedGradientsExplainerTests
{
    private static readonly float[] Weights = [1.5f, -2f, 0.5f, 3f];

    public static TheoryData<IntegrationRule, int> RulesAndSteps => new()
    {
        { IntegrationRule.RiemannLeft, 1 }, { IntegrationRule.RiemannLeft, 17 },
        { IntegrationRule.RiemannRight, 5 }, { IntegrationRule.RiemannMiddle, 50 },
        { IntegrationRule.RiemannTrapezoid, 2 }, { IntegrationRule.RiemannTrapezoid, 33 },
        { IntegrationRule.GaussLegendre, 1 }, { IntegrationRule.GaussLegendre, 50 },
    };

    [Theory]
    [MemberData(nameof(RulesAndSteps))]
    public void LinearModel_EqualsWeightTimesDistanceFromBaseline_ForEveryRule(IntegrationRule rule, int steps)
    {
        var model = DifferentiableDelegateModel.Linear(Weights, bias: 0.7f);
        var rows = TestModels.RandomTable(5, 4, seed: 1, scale: 3);
        var baselineRow = FeatureTable.FromArray(new float[,] { { 0.5f, -1, 2, 0.25f } });
        var options = new IntegratedGradientsOptions { Rule = rule, Steps = steps, Baseline = IntegratedGradientsBaseline.FromRows(baselineRow) };
        var result = new IntegratedGradientsExplainer(model, options).Explain(rows);
        for (int r = 0; r < rows.RowCount; r++)
        {
            for (int j = 0; j < 4; j++)
                Assert.Equal(Weights[j] * ((double)rows[r, j] - baselineRow[0, j]), result.Value(r, j), 1e-9);
            Assert.True(Math.Abs(result.ConvergenceDeltas[r]) < 1e-5, $"delta {result.ConvergenceDeltas[r]}");
        }
        Assert.Equal(model.Predict(baselineRow)[0], result.BaseValue(), 1e-9);
        Assert.Equal(rows.RowCount + 1 + rows.RowCount * steps, result.ModelEvaluations);
    }

    [Fact]
    public void LinearModel_ZerosAndMeanBaselines()
    {
        var model = DifferentiableDelegateModel.Linear(Weights);
        var rows = TestModels.RandomTable(4, 4, seed: 2);
        var reference = TestModels.RandomTable(30, 4, seed: 3, scale: 2);
        var zeros = new IntegratedGradientsExplainer(model).Explain(rows);
        var mean = new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { Baseline = IntegratedGradientsBaseline.MeanOf(reference) }).Explain(rows);
        for (int r = 0; r < rows.RowCount; r++)
            for (int j = 0; j < 4; j++)
            {
                Assert.Equal((double)Weights[j] * rows[r, j], zeros.Value(r, j), 1e-9);
                double columnMean = (float)(reference.Column(j).Sum(v => (double)v) / reference.RowCount);
                Assert.Equal(Weights[j] * (rows[r, j] - columnMean), mean.Value(r, j), 1e-9);
            }
        Assert.Equal(0, zeros.BaseValue(), 12);
    }

    [Fact]
    public void PairedBaselines_OneBaselineRowPerExplainedRow()
    {
        var model = DifferentiableDelegateModel.Linear(Weights);
        var rows = TestModels.RandomTable(3, 4, seed: 4);
        var baselines = TestModels.RandomTable(3, 4, seed: 5);
        var result = new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { Baseline = IntegratedGradientsBaseline.FromRows(baselines) }).Explain(rows);
        for (int r = 0; r < 3; r++)
            for (int j = 0; j < 4; j++) Assert.Equal(Weights[j] * ((double)rows[r, j] - baselines[r, j]), result.Value(r, j), 1e-9);
        var e = Assert.Throws<XaiException>(() => new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { Baseline = IntegratedGradientsBaseline.FromRows(baselines) })
            .Explain(TestModels.RandomTable(2, 4, seed: 6)));
        Assert.Equal("the baseline has 3 rows; give one row, or one per explained row (2)", e.Message);
    }

    // The ReLU network is piecewise linear, so along the path the integrand is piecewise constant and every rule's
    // error comes from the kinks it straddles (it falls like 1/steps). Stated tolerance, for 25 rows x 3 outputs:
    // every |delta| < 1% of the largest |f(x) - f(x')| over the rows at 64 steps, and < 0.1% of it with
    // Gauss-Legendre at 256 steps. (Measured at 64 steps: 0.23% Gauss-Legendre, 0.60% midpoint, 0.43% trapezoid.)
    [Theory]
    [InlineData(IntegrationRule.GaussLegendre, 64, 0.01)]
    [InlineData(IntegrationRule.RiemannMiddle, 64, 0.01)]
    [InlineData(IntegrationRule.RiemannTrapezoid, 64, 0.01)]
    [InlineData(IntegrationRule.GaussLegendre, 256, 0.001)]
    public void ReluNetwork_CompletenessWithinStatedTolerance(IntegrationRule rule, int steps, double tolerance)
    {
        var model = new ReluNetwork(10, 16, 3, seed: 7).Model();
        var rows = TestModels.RandomTable(25, 10, seed: 8, scale: 2);
        var result = new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { Steps = steps, Rule = rule }).Explain(rows, OutputTarget.All);
        var baselineOutputs = model.Predict(FeatureTable.FromRowMajor(new float[10], 1, 10));
        double scale = 0;
        for (int r = 0; r < rows.RowCount; r++)
            for (int s = 0; s < 3; s++) scale = Math.Max(scale, Math.Abs(result.Prediction(r, s) - baselineOutputs[s]));
        Assert.True(scale > 1, $"the rows should move the outputs well away from the baseline's (largest gap {scale})");
        for (int r = 0; r < rows.RowCount; r++)
            for (int s = 0; s < 3; s++)
            {
                double gap = result.Prediction(r, s) - baselineOutputs[s];
                double delta = result.ConvergenceDeltas[r * 3 + s];
                Assert.Equal(result.RowValues(r, s).Sum() - gap, delta, 1e-9);
                Assert.True(Math.Abs(delta) < tolerance * scale, $"row {r}, output {s}: delta {delta}, limit {tolerance * scale}");
            }
        Assert.Equal(result.ConvergenceDeltas.Max(Math.Abs), result.AdditivityError);
    }

    [Theory]
    [InlineData(IntegrationRule.RiemannLeft)]
    [InlineData(IntegrationRule.RiemannRight)]
    [InlineData(IntegrationRule.RiemannMiddle)]
    [InlineData(IntegrationRule.RiemannTrapezoid)]
    public void ReluNetwork_DeltaShrinksAsStepsGrow(IntegrationRule rule)
    {
        var model = new ReluNetwork(10, 16, 1, seed: 9).Model();
        var rows = TestModels.RandomTable(25, 10, seed: 10, scale: 2);
        double MeanDelta(int steps) => new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { Steps = steps, Rule = rule })
            .Explain(rows).ConvergenceDeltas.Average(Math.Abs);
        double d4 = MeanDelta(4), d32 = MeanDelta(32), d256 = MeanDelta(256);
        Assert.True(d32 < d4 && d256 < d32, $"mean |delta| at 4, 32, 256 steps: {d4}, {d32}, {d256}");
        Assert.True(d256 < 0.2 * d4, $"mean |delta| at 4, 32, 256 steps: {d4}, {d32}, {d256}");
    }

    // f = sum c_i x_i^4 from x' = 0: the integrand 4 c_i alpha^3 x_i^3 is a cubic, so 2 Gauss-Legendre nodes give
    // c_i x_i^4 exactly (to float rounding) while the midpoint rule with 2 steps is visibly off.
    [Fact]
    public void GaussLegendre_IsExactForACubicPathIntegrandWithTwoNodes()
    {
        float[] c = [1, -0.5f, 2];
        var model = GradientTestModels.Quartic(c);
        var rows = FeatureTable.FromArray(new float[,] { { 1, 2, -1.5f }, { -0.5f, 1.25f, 0.75f } });
        var gauss = new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { Rule = IntegrationRule.GaussLegendre, Steps = 2 }).Explain(rows);
        var middle = new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { Rule = IntegrationRule.RiemannMiddle, Steps = 2 }).Explain(rows);
        for (int r = 0; r < 2; r++)
            for (int j = 0; j < 3; j++)
            {
                double exact = c[j] * Math.Pow(rows[r, j], 4);
                Assert.True(Math.Abs(gauss.Value(r, j) - exact) < 1e-5 * (1 + Math.Abs(exact)), $"gauss-legendre {gauss.Value(r, j)} vs {exact}");
                Assert.True(Math.Abs(middle.Value(r, j) - exact) > 1e-2 * Math.Abs(exact), $"the midpoint rule should not be exact: {middle.Value(r, j)} vs {exact}");
            }
        Assert.True(gauss.AdditivityError < 1e-5);
    }

    // The linear tests above are path-independent: a wrong path (baseline ignored, rows paired with the wrong
    // baseline, alpha applied to x instead of x - b) could still pass them. On f = sum c_j x_j^4 the attribution from a
    // non-zero baseline b is (x_j - b_j) * integral of 4 c_j (b_j + alpha (x_j - b_j))^3 d alpha = c_j (x_j^4 - b_j^4):
    // a cubic integrand, so 2 Gauss-Legendre nodes (exact to degree 3) and 5 are exact to float rounding.
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void QuarticModel_NonZeroPerRowBaselines_GiveCTimesXToTheFourMinusBToTheFour(int steps)
    {
        float[] c = [1, -0.5f, 2];
        var model = GradientTestModels.Quartic(c);
        var rows = FeatureTable.FromArray(new float[,] { { 1, 2, -1.5f }, { -0.5f, 1.25f, 0.75f }, { 0.3f, -1, 1.1f } });
        var baselines = FeatureTable.FromArray(new float[,] { { 0.5f, -1, 0.25f }, { 1.5f, 0.5f, -0.75f }, { -0.6f, 0.2f, 1.3f } });
        var options = new IntegratedGradientsOptions { Rule = IntegrationRule.GaussLegendre, Steps = steps, Baseline = IntegratedGradientsBaseline.FromRows(baselines) };
        var paired = new IntegratedGradientsExplainer(model, options).Explain(rows);
        for (int r = 0; r < 3; r++)
        {
            double total = 0;
            for (int j = 0; j < 3; j++)
            {
                double exact = c[j] * (Math.Pow(rows[r, j], 4) - Math.Pow(baselines[r, j], 4));
                total += exact;
                Assert.True(Math.Abs(paired.Value(r, j) - exact) < 1e-5 * (1 + Math.Abs(exact)), $"row {r} feature {j}: {paired.Value(r, j)} vs {exact}");
            }
            // Completeness: the attributions add up to f(x) - f(b) of the row's own baseline.
            Assert.Equal(total, Enumerable.Range(0, 3).Sum(j => paired.Value(r, j)), 4);
        }
        Assert.True(paired.AdditivityError < 1e-4, $"additivity {paired.AdditivityError}");

        // One shared non-zero baseline row: every row against the same b.
        var shared = new IntegratedGradientsExplainer(model, options with { Baseline = IntegratedGradientsBaseline.FromRows(baselines.Slice(1, 1)) }).Explain(rows);
        for (int r = 0; r < 3; r++)
            for (int j = 0; j < 3; j++)
            {
                double exact = c[j] * (Math.Pow(rows[r, j], 4) - Math.Pow(baselines[1, j], 4));
                Assert.True(Math.Abs(shared.Value(r, j) - exact) < 1e-5 * (1 + Math.Abs(exact)), $"shared baseline, row {r} feature {j}: {shared.Value(r, j)} vs {exact}");
            }
    }

    [Fact]
    public void Targets_OutputAllAndPredictedAgree()
    {
        var model = GradientTestModels.SoftmaxLinear([1, -2, 0.5f, 0.3f, 1.5f, -1, -0.7f, 0.2f, 2, 0.4f, 0.1f, -1.2f], [0.1f, -0.2f, 0.3f, 0]);
        var rows = TestModels.RandomTable(40, 3, seed: 11, scale: 3);
        var explainer = new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { Steps = 100 });
        var all = explainer.Explain(rows, OutputTarget.All);
        var two = explainer.Explain(rows, OutputTarget.Output(2));
        var predicted = explainer.Explain(rows, OutputTarget.Predicted);
        var scores = model.Predict(rows);
        var baseline = model.Predict(FeatureTable.FromRowMajor(new float[3], 1, 3));
        Assert.Equal(4, all.TargetCount);
        Assert.Equal(baseline.Select(v => (double)v).ToArray(), all.BaseValues.ToArray());
        Assert.True(predicted.RowTargets.Distinct().Count() > 1);
        for (int r = 0; r < rows.RowCount; r++)
        {
            int argMax = Enumerable.Range(0, 4).MaxBy(o => scores[r * 4 + o]);
            Assert.Equal(argMax, predicted.RowTargets[r]);
            Assert.Equal(all.ConvergenceDeltas[r * 4 + argMax], predicted.ConvergenceDeltas[r]);
            Assert.Equal(all.ConvergenceDeltas[r * 4 + 2], two.ConvergenceDeltas[r]);
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(all.Value(r, j, 2), two.Value(r, j));
                Assert.Equal(all.Value(r, j, argMax), predicted.Value(r, j));
            }
            // The smooth softmax model converges fast with Gauss-Legendre: completeness to 1e-4 at 100 nodes.
            for (int s = 0; s < 4; s++) Assert.True(Math.Abs(all.ConvergenceDeltas[r * 4 + s]) < 1e-4, $"delta {all.ConvergenceDeltas[r * 4 + s]}");
        }
        double meanBase = predicted.RowTargets.Average(o => (double)baseline[o]);
        Assert.Equal(meanBase, predicted.BaseValue(), 1e-9);
    }

    [Fact]
    public void BatchSizeAndParallelism_GiveIdenticalResults()
    {
        var rows = TestModels.RandomTable(12, 8, seed: 12);
        AttributionExplanation Run(int batchSize, int? parallelism, bool threadSafe) =>
            new IntegratedGradientsExplainer(new ReluNetwork(8, 16, 3, seed: 13).Model(threadSafe),
                new IntegratedGradientsOptions { Steps = 20, BatchSize = batchSize, MaxDegreeOfParallelism = parallelism }).Explain(rows, OutputTarget.All);
        var big = Run(8192, null, true);
        var one = Run(1, 2, true);
        var odd = Run(7, 2, true);
        var serial = Run(5, null, false);
        Assert.Equal(big.Values.ToArray(), one.Values.ToArray());
        Assert.Equal(big.Values.ToArray(), odd.Values.ToArray());
        Assert.Equal(big.Values.ToArray(), serial.Values.ToArray());
        Assert.Equal(big.ConvergenceDeltas.ToArray(), one.ConvergenceDeltas.ToArray());
    }

    [Fact]
    public void InternalBatchSize_BoundsRowsPerModelCall()
    {
        int largest = 0, calls = 0;
        var inner = DifferentiableDelegateModel.Linear([1f, 2f, 3f]);
        var model = new DifferentiableDelegateModel(3, ["output"], inner.Predict, (x, n, o, y, g) =>
        {
            Interlocked.Increment(ref calls);
            InterlockedMax(ref largest, n);
            inner.PredictWithGradient(x, n, o, y, g);
        });
        var result = new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { Steps = 50, BatchSize = 64 }).Explain(TestModels.RandomTable(10, 3, seed: 14));
        Assert.Equal(64, largest);
        Assert.Equal((10 * 50 + 63) / 64, calls);
        Assert.Equal("64", result.Details["rowsPerBatch"]);

        static void InterlockedMax(ref int target, int value)
        {
            int current;
            while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
        }
    }

    [Fact]
    public void LargeInputs_LowerTheBatchSoOneBatchStaysBounded()
    {
        int features = 3 * 224 * 224;
        var model = DifferentiableDelegateModel.Linear(new float[features]);
        var batches = new Interactive.Xai.Engine.GradientBatches(model, new IntegratedGradientsOptions(), "ig", 0, 0, null, default);
        Assert.Equal(Interactive.Xai.Engine.GradientBatches.MaxValuesPerBatch / features, batches.RowsPerBatch);
    }

    [Fact]
    public void NonDifferentiableModel_IsRejectedWithAClearMessage()
    {
        var e = Assert.Throws<XaiException>(() => new IntegratedGradientsExplainer(TestModels.Nonlinear(3)));
        Assert.StartsWith("ig needs a differentiable model", e.Message);
    }

    [Fact]
    public void BadOptions_AreRejected()
    {
        var model = DifferentiableDelegateModel.Linear([1f, 2f]);
        Assert.Contains("steps must be between 1 and 100000", Assert.Throws<XaiException>(() => new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { Steps = 0 })).Message);
        Assert.Contains("at least 2 steps", Assert.Throws<XaiException>(() => new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { Steps = 1, Rule = IntegrationRule.RiemannTrapezoid })).Message);
        Assert.Contains("the baseline has 3 columns", Assert.Throws<XaiException>(() => new IntegratedGradientsExplainer(model,
            new IntegratedGradientsOptions { Baseline = IntegratedGradientsBaseline.FromRows(TestModels.RandomTable(1, 3, seed: 1)) })).Message);
        Assert.Equal(IntegrationRule.RiemannTrapezoid, IntegratedGradientsExplainer.ParseRule("riemann-trapezoid"));
        Assert.Contains("unknown integration rule 'simpson'", Assert.Throws<XaiException>(() => IntegratedGradientsExplainer.ParseRule("simpson")).Message);
    }
}
