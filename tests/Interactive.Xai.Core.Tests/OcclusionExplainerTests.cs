using System.Collections.Concurrent;

namespace Interactive.Xai.Tests;

public sealed class OcclusionExplainerTests
{
    /// <summary>A model that records the size of every batch it is called with.</summary>
    private sealed class RecordingModel(int features, string[] outputs, Action<float[], float[]> row) : IModel
    {
        public ConcurrentBag<int> Batches { get; } = [];
        public int FeatureCount => features;
        public IReadOnlyList<string>? FeatureNames => null;
        public IReadOnlyList<string> OutputNames => outputs;
        public bool IsThreadSafe => true;

        public void Predict(ReadOnlySpan<float> inputs, int rowCount, Span<float> result)
        {
            Batches.Add(rowCount);
            var x = new float[features];
            var y = new float[outputs.Length];
            for (int r = 0; r < rowCount; r++)
            {
                inputs.Slice(r * features, features).CopyTo(x);
                row(x, y);
                y.CopyTo(result.Slice(r * outputs.Length, outputs.Length));
            }
        }
    }

    private static FeatureTable Images(int rows, int features, int seed) => TestModels.RandomTable(rows, features, seed);

    [Fact]
    public void A_model_that_reads_one_pixel_gets_attribution_exactly_on_the_patches_covering_it()
    {
        // 1 x 6 x 6 images; f = 2 * pixel(2, 3) + 1; 2 x 2 patches, stride 1, fill 0.
        const int h = 6, w = 6, py = 2, px = 3;
        var model = DelegateModel.FromRowFunction(h * w, x => 2 * x[py * w + px] + 1);
        var rows = Images(5, h * w, 11);
        var e = new OcclusionExplainer(model, new OcclusionOptions { InputShape = [1, h, w], PatchHeight = 2, PatchWidth = 2 }).Explain(rows);

        Assert.Equal(25, new OcclusionExplainer(model, new OcclusionOptions { InputShape = [1, h, w], PatchHeight = 2, PatchWidth = 2 }).PatchesPerRow);
        for (int r = 0; r < rows.RowCount; r++)
        {
            double difference = 2.0 * rows[r, py * w + px];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    // Patches (top, left) in 0..4 covering (y, x), and those of them that also cover the pixel read.
                    int covering = 0, reading = 0;
                    for (int top = 0; top <= h - 2; top++)
                        for (int left = 0; left <= w - 2; left++)
                        {
                            if (y < top || y > top + 1 || x < left || x > left + 1) continue;
                            covering++;
                            if (py >= top && py <= top + 1 && px >= left && px <= left + 1) reading++;
                        }
                    double value = e.Value(r, y * w + x);
                    Assert.Equal(difference * reading / covering, value, 1e-5);
                    bool nearby = y >= py - 1 && y <= py + 1 && x >= px - 1 && x <= px + 1;
                    if (!nearby) Assert.Equal(0.0, value);
                    else Assert.NotEqual(0.0, value);
                }
        }
        Assert.Equal([1, h, w], e.InputShape.ToArray());
        Assert.Equal(1.0, e.BaseValue(), 1e-6);
        Assert.Equal(1 + 5 + 5 * 25, e.ModelEvaluations);
    }

    [Fact]
    public void A_linear_model_with_one_pixel_patches_gets_weight_times_distance_from_the_fill_and_adds_up()
    {
        var weights = new[] { 1f, -2f, 0.5f, 3f, 0f, -1f, 2f, 0.25f, -0.75f, 1.5f, -3f, 4f };
        var model = DelegateModel.Linear(weights, 0.3f);
        var rows = Images(7, weights.Length, 12);
        const float fill = 0.5f;
        var e = new OcclusionExplainer(model, new OcclusionOptions { InputShape = [1, 3, 4], FillValue = fill }).Explain(rows);
        for (int r = 0; r < rows.RowCount; r++)
            for (int i = 0; i < weights.Length; i++) Assert.Equal(weights[i] * (rows[r, i] - fill), e.Value(r, i), 1e-5);
        Assert.Equal(weights.Sum() * fill + 0.3, e.BaseValue(), 1e-5);
        Assert.True(e.AdditivityError < 1e-5, $"additivity error {e.AdditivityError}");

        // A baseline image instead of a fill value: w_i (x_i - b_i).
        var baseline = Enumerable.Range(0, weights.Length).Select(i => 0.1f * i - 0.4f).ToArray();
        var withBaseline = new OcclusionExplainer(model, new OcclusionOptions { InputShape = [3, 4], Baseline = baseline }).Explain(rows);
        for (int r = 0; r < rows.RowCount; r++)
            for (int i = 0; i < weights.Length; i++) Assert.Equal(weights[i] * (rows[r, i] - baseline[i]), withBaseline.Value(r, i), 1e-5);
        Assert.Equal("baseline input", withBaseline.Details["fill"]);
    }

    [Fact]
    public void A_feature_covered_by_several_patches_gets_the_mean_of_their_differences()
    {
        // Tabular (1 x 1 x 5), patches of 3 consecutive features, stride 1: [0..2], [1..3], [2..4]; fill 0.
        float[] weights = [1f, 2f, 3f, 4f, 5f];
        float[] x = [1f, 1f, 2f, -1f, 0.5f];
        var model = DelegateModel.Linear(weights, 0);
        var e = new OcclusionExplainer(model, new OcclusionOptions { PatchWidth = 3 }).Explain(FeatureTable.FromRows([x]));
        // Contributions w x: 1, 2, 6, -4, 2.5; patch differences: 9, 4, 4.5.
        double[] expected = [9, (9 + 4) / 2.0, (9 + 4 + 4.5) / 3, (4 + 4.5) / 2, 4.5];
        for (int i = 0; i < 5; i++) Assert.Equal(expected[i], e.Value(0, i), 1e-5);
        Assert.Equal(3, e.ModelEvaluations - 2);
        Assert.Empty(e.InputShape);
    }

    [Fact]
    public void The_last_patch_is_clipped_at_the_edge_so_every_pixel_is_covered_as_in_Captum()
    {
        // Width 5, patch 2, stride 2: Captum has ceil((5 - 2) / 2) + 1 = 3 positions, [0, 1], [2, 3] and [4] (clipped).
        var model = DelegateModel.Linear([1f, 1f, 1f, 1f, 1f], 0);
        var e = new OcclusionExplainer(model, new OcclusionOptions { PatchWidth = 2, StrideWidth = 2 }).Explain(FeatureTable.FromRows([[1f, 2f, 3f, 4f, 5f]]));
        Assert.Equal([3.0, 3.0, 7.0, 7.0, 5.0], Enumerable.Range(0, 5).Select(i => Math.Round(e.Value(0, i), 5)).ToArray());
        Assert.Equal("3", e.Details["patchesPerRow"]);
        Assert.False(e.Details.ContainsKey("uncoveredFeatures"));

        // Width 6, patch 3, stride 2: [0..2], [2..4], [4, 5] (clipped); differences 6, 12, 11 (x = 1..6, fill 0).
        var overlap = new OcclusionExplainer(DelegateModel.Linear([1f, 1f, 1f, 1f, 1f, 1f], 0), new OcclusionOptions { PatchWidth = 3, StrideWidth = 2 })
            .Explain(FeatureTable.FromRows([[1f, 2f, 3f, 4f, 5f, 6f]]));
        Assert.Equal([6.0, 6.0, 9.0, 12.0, 11.5, 11.0], Enumerable.Range(0, 6).Select(i => Math.Round(overlap.Value(0, i), 5)).ToArray());
        Assert.Equal(1 + 1 + 3, overlap.ModelEvaluations);

        // An image, 3 x 3 with a 2 x 2 patch and stride 2: positions (0,0), (0,2), (2,0), (2,2), the last three clipped.
        var image = new OcclusionExplainer(DelegateModel.Linear(Enumerable.Repeat(1f, 9).ToArray(), 0),
            new OcclusionOptions { InputShape = [3, 3], PatchHeight = 2, PatchWidth = 2, StrideHeight = 2, StrideWidth = 2 })
            .Explain(FeatureTable.FromRows([[1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f]]));
        // Patches: {1,2,4,5} = 12, {3,6} = 9, {7,8} = 15, {9} = 9; each pixel is covered once.
        Assert.Equal([12.0, 12.0, 9.0, 12.0, 12.0, 9.0, 15.0, 15.0, 9.0], Enumerable.Range(0, 9).Select(i => Math.Round(image.Value(0, i), 5)).ToArray());
        Assert.Equal("4", image.Details["patchesPerRow"]);
    }

    [Fact]
    public void A_stride_larger_than_the_patch_is_refused_unless_the_patch_spans_that_axis()
    {
        var model = DelegateModel.Linear(Enumerable.Repeat(1f, 6).ToArray(), 0);
        Assert.Contains("stride 1 x 3 is larger than the patch 1 x 2",
            Assert.Throws<XaiException>(() => new OcclusionExplainer(model, new OcclusionOptions { PatchWidth = 2, StrideWidth = 3 })).Message);
        Assert.Contains("stride 3 x 1 is larger than the patch 2 x 1",
            Assert.Throws<XaiException>(() => new OcclusionExplainer(model, new OcclusionOptions { InputShape = [3, 2], PatchHeight = 2, StrideHeight = 3 })).Message);
        // A patch as high as the input: the vertical stride does not matter (Captum allows it too).
        var e = new OcclusionExplainer(model, new OcclusionOptions { InputShape = [2, 3], PatchHeight = 2, StrideHeight = 5 }).Explain(FeatureTable.FromRows([[1f, 2f, 3f, 4f, 5f, 6f]]));
        Assert.Equal("3", e.Details["patchesPerRow"]);
        Assert.Equal([5.0, 7.0, 9.0, 5.0, 7.0, 9.0], Enumerable.Range(0, 6).Select(i => Math.Round(e.Value(0, i), 5)).ToArray());
    }

    [Fact]
    public void A_patch_across_channels_occludes_every_channel_at_once_and_one_channel_patches_each_on_its_own()
    {
        // 2 x 2 x 2 input, linear: with one-channel 1 x 1 patches each value gets w (x - fill); across channels a
        // pixel's two channels share one patch, so both get the sum over channels.
        float[] weights = [1f, 2f, 3f, 4f, -1f, -2f, -3f, 5f];
        var model = DelegateModel.Linear(weights, 0);
        var rows = Images(3, 8, 13);
        var single = new OcclusionExplainer(model, new OcclusionOptions { InputShape = [2, 2, 2], AcrossChannels = false }).Explain(rows);
        var across = new OcclusionExplainer(model, new OcclusionOptions { InputShape = [2, 2, 2] }).Explain(rows);
        Assert.Equal("8", single.Details["patchesPerRow"]);
        Assert.Equal("4", across.Details["patchesPerRow"]);
        for (int r = 0; r < 3; r++)
            for (int p = 0; p < 4; p++)
            {
                double both = weights[p] * rows[r, p] + weights[4 + p] * rows[r, 4 + p];
                Assert.Equal(weights[p] * rows[r, p], single.Value(r, p), 1e-5);
                Assert.Equal(weights[4 + p] * rows[r, 4 + p], single.Value(r, 4 + p), 1e-5);
                Assert.Equal(both, across.Value(r, p), 1e-5);
                Assert.Equal(both, across.Value(r, 4 + p), 1e-5);
            }
    }

    [Fact]
    public void All_targets_and_each_rows_predicted_output_are_explained_from_the_same_evaluations()
    {
        // Three outputs, linear with different weights; which is largest depends on the row.
        float[][] weights = [[1f, 0f, 2f, -1f], [-1f, 3f, 0f, 1f], [0.5f, 0.5f, 0.5f, 0.5f]];
        var model = new RecordingModel(4, ["a", "b", "c"], (x, y) =>
        {
            for (int o = 0; o < 3; o++) y[o] = weights[o].Zip(x, (w, v) => w * v).Sum();
        });
        var rows = Images(30, 4, 14);
        var explainer = new OcclusionExplainer(model, new OcclusionOptions());
        var all = explainer.Explain(rows, OutputTarget.All);
        var predicted = explainer.Explain(rows, OutputTarget.Predicted);

        Assert.Equal([0, 1, 2], all.Targets.ToArray());
        Assert.Equal([-1], predicted.Targets.ToArray());
        Assert.Equal(["predicted"], predicted.OutputNames.ToArray());
        Assert.Equal(rows.RowCount, predicted.RowTargets.Length);
        Assert.Equal(3, predicted.RowTargets.Distinct().Count());
        for (int r = 0; r < rows.RowCount; r++)
        {
            var scores = weights.Select(w => w.Zip(rows.Row(r).ToArray(), (a, b) => a * b).Sum()).ToArray();
            int best = Array.IndexOf(scores, scores.Max());
            Assert.Equal(best, predicted.RowTargets[r]);
            Assert.Equal(scores[best], predicted.Prediction(r), 1e-5);
            for (int i = 0; i < 4; i++)
            {
                for (int o = 0; o < 3; o++) Assert.Equal(weights[o][i] * rows[r, i], all.Value(r, i, o), 1e-5);
                Assert.Equal(weights[best][i] * rows[r, i], predicted.Value(r, i), 1e-5);
            }
        }
        Assert.True(predicted.AdditivityError < 1e-5);
    }

    [Fact]
    public void Occluded_copies_of_many_rows_go_to_the_model_in_large_batches_and_blocks_even_inside_a_row_do_not_change_the_result()
    {
        var model = new RecordingModel(64, ["y"], (x, y) => y[0] = x[9] * x[18] + x.Sum());
        var rows = Images(40, 64, 15);
        var options = new OcclusionOptions { InputShape = [1, 8, 8], PatchHeight = 3, PatchWidth = 3, StrideHeight = 2, StrideWidth = 2 };
        var e = new OcclusionExplainer(model, options).Explain(rows);
        // ceil((8 - 3) / 2) + 1 = 4 positions per axis (the last clipped), 16 per row: the occluded copies of all 40
        // rows (640) go in one call.
        Assert.Equal("16", e.Details["patchesPerRow"]);
        Assert.Equal(1 + 40 + 40 * 16, e.ModelEvaluations);
        Assert.Contains(640, model.Batches);
        Assert.DoesNotContain(16, model.Batches);

        var blocked = new OcclusionExplainer(model, options with { MaxEvaluationsPerBlock = 20, BatchSize = 7, MaxDegreeOfParallelism = 2 }).Explain(rows);
        Assert.Equal(e.Values.ToArray(), blocked.Values.ToArray());
        // Blocks of 20 copies end inside rows (16 patches each); one copy per block splits every row.
        var single = new OcclusionExplainer(model, options with { MaxEvaluationsPerBlock = 1 }).Explain(rows.Slice(0, 3));
        Assert.Equal(e.Values.Take(3 * 64).ToArray(), single.Values.ToArray());
    }

    [Fact]
    public void Shapes_patches_strides_and_baselines_that_do_not_fit_are_refused_with_one_clear_message()
    {
        var model = DelegateModel.Linear(new float[64], 0);
        Assert.Contains("holds 63 values but the model takes 64", Assert.Throws<XaiException>(() => new OcclusionExplainer(model, new OcclusionOptions { InputShape = [1, 7, 9] })).Message);
        Assert.Contains("must be [channels, height, width]", Assert.Throws<XaiException>(() => new OcclusionExplainer(model, new OcclusionOptions { InputShape = [1, 1, 8, 8] })).Message);
        Assert.Contains("larger than the input's 8 x 8", Assert.Throws<XaiException>(() => new OcclusionExplainer(model, new OcclusionOptions { InputShape = [8, 8], PatchHeight = 9 })).Message);
        Assert.Contains("stride must be at least 1", Assert.Throws<XaiException>(() => new OcclusionExplainer(model, new OcclusionOptions { InputShape = [8, 8], StrideWidth = 0 })).Message);
        Assert.Contains("baseline has 3 values", Assert.Throws<XaiException>(() => new OcclusionExplainer(model, new OcclusionOptions { Baseline = [1f, 2f, 3f] })).Message);
        Assert.Contains("larger than the input's 1 x 64", Assert.Throws<XaiException>(() => new OcclusionExplainer(model, new OcclusionOptions { PatchHeight = 2 })).Message);
        Assert.Contains("target output 3 does not exist", Assert.Throws<XaiException>(() => new OcclusionExplainer(model).Explain(Images(1, 64, 1), OutputTarget.Output(3))).Message);
    }
}
