namespace Interactive.Xai.Tests;

/// <summary>
/// Kernel SHAP's memory (issue 13.3): one block of model outputs and lane masks reused by every block, scratch per
/// worker rather than per row, and results that do not depend on how rows are cut into blocks.
/// </summary>
public class KernelShapMemoryTests
{
    [Fact]
    public void ThousandRows_AllocateAboutOneBlockNotOnePerBlock()
    {
        // 1,000 rows x 10 features over a 10-row background: 1,022 coalitions x 10 = 10,220 evaluations a row, about 10
        // blocks of the default 2^20 evaluations (4 MB of float outputs each). Single-threaded, so the thread's
        // allocation counter sees every allocation; the explainer is warmed up first (its design is built once).
        var w = Enumerable.Range(0, 10).Select(i => (float)(i % 4 - 1.5)).ToArray();
        var model = DelegateModel.Linear(w);
        var background = WeightedBackground.KMeans(TestModels.RandomTable(2000, 10, seed: 3), 10, 42);
        var rows = TestModels.RandomTable(1000, 10, seed: 4);
        var explainer = new KernelShapExplainer(model, background, new KernelShapOptions { MaxDegreeOfParallelism = 1 });
        explainer.Explain(rows.Slice(0, 2));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var result = explainer.Explain(rows);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long oneBlock = (1L << 20) * sizeof(float);
        Assert.True(allocated < 3 * oneBlock, $"1,000 rows allocated {allocated / 1e6:F1} MB; one block of outputs is {oneBlock / 1e6:F1} MB");
        // Still the linear model's exact answer: w_j (x_j - E[x_j]) over the weighted background.
        for (int r = 0; r < 1000; r += 97)
            for (int j = 0; j < 10; j++)
            {
                double mean = Enumerable.Range(0, background.Count).Sum(b => background.Weights[b] * background.Rows[b, j]);
                Assert.Equal(w[j] * (rows[r, j] - mean), result.Value(r, j), 4);
            }
    }

    [Fact]
    public void Results_AreBitIdenticalWhateverTheBlocks()
    {
        // Rows whose features equal the background's get smaller designs: blocks then mix rows of different sizes.
        var model = TestModels.Nonlinear(12);
        var background = WeightedBackground.FromTable(TestModels.RandomTable(3, 12, seed: 21));
        var values = TestModels.RandomTable(9, 12, seed: 22).Values.ToArray();
        var bg = background.Rows.Values.ToArray();
        for (int b = 0; b < 3; b++) { bg[b * 12 + 2] = 0.25f; bg[b * 12 + 7] = -0.5f; }
        for (int r = 0; r < 9; r += 2) values[r * 12 + 2] = 0.25f;
        for (int r = 0; r < 9; r += 3) values[r * 12 + 7] = -0.5f;
        background = WeightedBackground.FromTable(FeatureTable.FromRowMajor(bg, 3, 12));
        var rows = FeatureTable.FromRowMajor(values, 9, 12);
        foreach (int? samples in new int?[] { null, 200 })
        {
            var options = new KernelShapOptions { Samples = samples, BatchSize = 37 };
            var whole = new KernelShapExplainer(model, background, options).Explain(rows);
            foreach (long block in new long[] { 1, 1000, 5000 })
            {
                var cut = new KernelShapExplainer(model, background, options with { MaxEvaluationsPerBlock = block, MaxDegreeOfParallelism = 2 }).Explain(rows);
                Assert.Equal(whole.Values.ToArray(), cut.Values.ToArray());
                Assert.Equal(whole.StandardErrors.ToArray(), cut.StandardErrors.ToArray());
                Assert.Equal(whole.ModelEvaluations, cut.ModelEvaluations);
            }
            Assert.Equal(0.0, whole.Value(0, 2));
            Assert.Equal(0.0, whole.Value(3, 7));
        }
    }
}
