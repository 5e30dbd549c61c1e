using System.Collections.Immutable;
using Interactive.Xai.Numerics;

namespace Interactive.Xai.Tests;

/// <summary>
/// Permutation importance and partial dependence fill whole runs of rows at once and sum through the bucketed exact
/// accumulator; their results are, bit for bit, those of the plain computation: every perturbed row built on its own,
/// evaluated, and its terms added one by one to an exact sum.
/// </summary>
public class PerturbationFillReferenceTests
{
    private static void Bits(IReadOnlyList<double> expected, IReadOnlyList<double> actual, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]), $"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R}");
    }

    // Two outputs, nonlinear in every feature, so a wrongly placed value changes the result.
    private static DelegateModel TwoOutputs(int m) => new(m, ["a", "b"], (inputs, n, outputs) =>
    {
        for (int r = 0; r < n; r++)
        {
            var x = inputs.Slice(r * m, m);
            float a = 0, b = 0;
            for (int j = 0; j < m; j++)
            {
                a += (j + 1) * x[j] * x[(j + 1) % m];
                b += MathF.Sin(x[j] * (j + 2));
            }
            outputs[r * 2] = a;
            outputs[r * 2 + 1] = b;
        }
    });

    private static float[] Predict(IModel model, float[] rows, int n)
    {
        var outputs = new float[n * model.OutputCount()];
        model.Predict(rows, n, outputs);
        return outputs;
    }

    [Theory]
    [InlineData(PermutationMetric.MeanSquaredError, false)]
    [InlineData(PermutationMetric.MeanAbsoluteError, true)]
    [InlineData(PermutationMetric.R2, true)]
    public void PermutationImportance_EqualsShufflingEveryRowOnItsOwn(PermutationMetric metric, bool groups)
    {
        const int n = 53, m = 7, repeats = 3;
        var data = TestModels.RandomTable(n, m, seed: 8, scale: 2);
        var model = TwoOutputs(m);
        var random = new Random(4);
        var labels = Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 10 - 3)).ToArray();
        var options = new PermutationImportanceOptions
        {
            Metric = metric, Repeats = repeats, Output = 1, Seed = 9,
            // Batches and blocks that cut jobs in the middle.
            BatchSize = 17, MaxEvaluationsPerBlock = 150,
            Groups = groups ? [new FeatureGroup("g1", ["x0", "x3", "x5"]), new FeatureGroup("g2", ["x6"]), new FeatureGroup("g3", ["x2", "x1"])] : null,
        };
        var explainer = new PermutationImportanceExplainer(model, options);
        var result = explainer.Explain(data, labels);
        var (_, columns) = explainer.Groups(data);

        double Score(float[] rows)
        {
            var outputs = Predict(model, rows, n);
            var sum = new ExactSum();
            for (int r = 0; r < n; r++) sum.Add(Metrics.Term(metric, outputs.AsSpan(r * 2, 2), 1, labels[r]));
            return Metrics.Score(metric, sum.Value, n, metric == PermutationMetric.R2 ? Metrics.TotalSquares(labels) : 0);
        }
        double baseline = Score(data.Values.ToArray());
        Assert.Equal(BitConverter.DoubleToInt64Bits(baseline), BitConverter.DoubleToInt64Bits(result.BaselineScore));
        for (int g = 0; g < columns.Length; g++)
        {
            var expected = new double[repeats];
            for (int rep = 0; rep < repeats; rep++)
            {
                var permutation = explainer.Permutation(g * repeats + rep, n);
                var rows = data.Values.ToArray();
                for (int r = 0; r < n; r++)
                    foreach (var c in columns[g]) rows[r * m + c] = data[permutation[r], c];
                double score = Score(rows);
                expected[rep] = Metrics.HigherIsBetter(metric) ? baseline - score : score - baseline;
            }
            Bits(expected, result.Values[g], $"group {g}");
        }
    }

    [Theory]
    [InlineData(0, null, 61, null)]
    [InlineData(5, 4, 61, null)]
    [InlineData(64, null, 61, null)]
    // blocks of 4,000 x 5 outputs: the cells are summed in parallel (1, 2 and 4 threads)
    [InlineData(0, 7, 4000, 1)]
    [InlineData(0, 7, 4000, 2)]
    [InlineData(0, 7, 4000, 4)]
    public void PartialDependence_EqualsEveryGridRowBuiltOnItsOwn(int rowsPerBlock, int? maxIceCurves, int n, int? parallelism)
    {
        const int m = 11, feature = 9;
        var data = TestModels.RandomTable(n, m, seed: 5, scale: 3);
        var model = TwoOutputs(m);
        double[] grid = [-2.5, -1, 0.125, 0.7, 3];
        var options = new PartialDependenceOptions { Grid = grid, BatchSize = 13, RowsPerBlock = rowsPerBlock, MaxIceCurves = maxIceCurves, MaxDegreeOfParallelism = parallelism };
        var result = new PartialDependenceExplainer(model, options).Explain(data, feature, OutputTarget.All);
        int g = grid.Length;
        var rows = new float[n * g * m];
        for (int r = 0; r < n; r++)
            for (int p = 0; p < g; p++)
            {
                data.Row(r).CopyTo(rows.AsSpan((r * g + p) * m, m));
                rows[(r * g + p) * m + feature] = (float)grid[p];
            }
        var outputs = Predict(model, rows, n * g);
        var average = new double[g * 2];
        for (int cell = 0; cell < average.Length; cell++)
        {
            var sum = new ExactSum();
            for (int r = 0; r < n; r++) sum.Add(outputs[r * g * 2 + cell]);
            average[cell] = sum.Value / n;
        }
        Bits(average, result.AverageValues, "average");
        var iceRows = PartialDependenceExplainer.IceRowsFor(n, maxIceCurves);
        var ice = iceRows.SelectMany(r => outputs.AsSpan(r * g * 2, g * 2).ToArray().Select(v => (double)v)).ToArray();
        Bits(ice, result.IceValues, "ICE");
    }

    [Theory]
    [InlineData(29, 4, null)]
    // blocks of 2,000 rows x 12 cells: the cells are summed in parallel
    [InlineData(2000, 0, 2)]
    [InlineData(2000, 0, 3)]
    public void TwoFeaturePartialDependence_EqualsEveryCellBuiltOnItsOwn(int n, int rowsPerBlock, int? parallelism)
    {
        const int m = 6;
        var data = TestModels.RandomTable(n, m, seed: 6, scale: 2);
        var model = TwoOutputs(m);
        double[] gridX = [-1, 0.5, 2], gridY = [-0.75, 0, 0.25, 1.5];
        var explainer = new PartialDependenceExplainer(model, new PartialDependenceOptions { BatchSize = 7, RowsPerBlock = rowsPerBlock, MaxDegreeOfParallelism = parallelism });
        var sums = explainer.PartialSums2D(data, 4, 1, gridX, gridY, [0, 1]);
        var result = explainer.Combine2D(data, 4, 1, gridX, gridY, [0, 1], sums.Cells, TimeSpan.Zero, sums.ModelEvaluations);
        int cells = gridX.Length * gridY.Length;
        var average = new double[cells * 2];
        for (int x = 0; x < gridX.Length; x++)
            for (int y = 0; y < gridY.Length; y++)
            {
                var rows = data.Values.ToArray();
                for (int r = 0; r < n; r++)
                {
                    rows[r * m + 4] = (float)gridX[x];
                    rows[r * m + 1] = (float)gridY[y];
                }
                var outputs = Predict(model, rows, n);
                for (int s = 0; s < 2; s++)
                {
                    var sum = new ExactSum();
                    for (int r = 0; r < n; r++) sum.Add(outputs[r * 2 + s]);
                    average[(x * gridY.Length + y) * 2 + s] = sum.Value / n;
                }
            }
        Bits(average, result.AverageValues, "average");
    }

    [Fact]
    public void RowRepeat_WritesExactCopies_AndSpillsOnlyIntoTheRoomItIsGiven()
    {
        var random = new Random(1);
        for (int m = 1; m <= 30; m++)
            for (int copies = 0; copies <= 4; copies++)
            {
                var row = Enumerable.Range(0, m).Select(_ => (float)random.NextDouble() + 1).ToArray();
                // With 32 spare values (as a fill destination has) and with none.
                foreach (int spare in new[] { 32, 0 })
                {
                    var destination = Enumerable.Repeat(-7f, copies * m + spare + 8).ToArray();
                    RowFill.Repeat(row, copies, destination.AsSpan(0, copies * m + spare));
                    for (int c = 0; c < copies; c++) Assert.Equal(row, destination.AsSpan(c * m, m).ToArray());
                    // Nothing written beyond the span; without spare room nothing beyond the copies either.
                    Assert.All(destination.AsSpan(copies * m + spare).ToArray(), v => Assert.Equal(-7f, v));
                    if (spare == 0) continue;
                    int touched = copies == 0 ? 0 : copies * m + (m <= RowFill.MaxVectorFeatures ? ((m + 7) / 8 * 8 - m) : 0);
                    Assert.All(destination.AsSpan(touched, copies * m + spare - touched).ToArray(), v => Assert.Equal(-7f, v));
                }
            }
    }

    [Fact]
    public void AutomaticGrid_FromSelection_EqualsTheGridFromTheSortedColumn()
    {
        var random = new Random(12);
        var model = DelegateModel.FromRowFunction(1, x => x[0]);
        foreach (int n in new[] { 1, 2, 3, 5, 20, 21, 22, 100, 1001 })
            for (int kind = 0; kind < 6; kind++)
            {
                var column = Enumerable.Range(0, n).Select(i => kind switch
                {
                    0 => (float)(random.NextDouble() * 10 - 5),
                    1 => random.Next(0, 20) * 0.37f,                    // at most 20 distinct values: the grid is them
                    2 => random.Next(0, 21) * 0.37f - 2,                // 21: quantiles
                    3 => random.Next(0, 3) == 0 ? 0f : (float)random.NextDouble(), // heavy ties at +0
                    4 => i * 0.5f,                                      // ascending
                    _ => (n - i) * 1.25f,                               // descending
                }).ToArray();
                var table = FeatureTable.FromRowMajor(column, n, 1);
                foreach (var (lower, upper) in new[] { (0.05, 0.95), (0.0, 1.0), (0.25, 0.75), (0.5, 0.5000001), (0.0, 0.01) })
                {
                    var explainer = new PartialDependenceExplainer(model, new PartialDependenceOptions { LowerQuantile = lower, UpperQuantile = upper });
                    var (distinct, lo, hi) = explainer.GridBySorting(table, 0);
                    var expected = distinct ?? (lo == hi ? [lo] : Enumerable.Range(0, 20).Select(g => lo + (hi - lo) * g / 19).ToArray());
                    Bits(expected, explainer.GridFor(table, 0), $"n {n}, kind {kind}, quantiles {lower}-{upper}");
                }
            }
        // A column holding -0 takes the sorted path: the grid is the one the sorted column gives.
        var zeros = FeatureTable.FromRowMajor(new[] { -0f, 0f, 1f, -0f, 2f }, 5, 1);
        var pdp = new PartialDependenceExplainer(model);
        Bits(pdp.GridBySorting(zeros, 0).Distinct!, pdp.GridFor(zeros, 0), "zeros");
    }
}
