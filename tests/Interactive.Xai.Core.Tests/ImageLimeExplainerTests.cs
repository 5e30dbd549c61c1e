namespace Interactive.Xai.Tests;

public class ImageLimeExplainerTests
{
    private static FeatureTable Images(int count, int channels, int size, int seed)
    {
        var random = new Random(seed);
        var rows = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, channels * size * size).Select(_ => (float)(0.5 + random.NextDouble())).ToArray()).ToArray();
        return FeatureTable.FromRows(rows);
    }

    [Fact]
    public void ModelReadingOneSuperpixel_GivesThatSuperpixelAllTheWeight()
    {
        // 1 x 8 x 8 images, 4 x 4 cells: superpixel 0 is the top-left 4 x 4 block; the model is its mean.
        var model = DelegateModel.FromRowFunction(64, x =>
        {
            float sum = 0;
            for (int y = 0; y < 4; y++) for (int c = 0; c < 4; c++) sum += x[y * 8 + c];
            return sum / 16;
        });
        var images = Images(3, 1, 8, seed: 1);
        var options = new ImageLimeOptions { Shape = [1, 8, 8], CellSize = 4, HideValue = 0, Samples = 400, Ridge = 0 };
        var explainer = new ImageLimeExplainer(model, options);
        var lime = explainer.Explain(images);
        Assert.Equal([1, 8, 8], lime.InputShape.ToArray());
        for (int r = 0; r < 3; r++)
        {
            var segments = explainer.Segment(images.Row(r));
            Assert.Equal(4, segments.Distinct().Count());
            double inside = 0, outside = 0;
            for (int p = 0; p < 64; p++)
            {
                if (segments[p] == segments[0]) inside += lime.Value(r, p);
                else outside += Math.Abs(lime.Value(r, p));
            }
            double expected = lime.Prediction(r); // switching the block off drops the output from its mean to 0
            Assert.Equal(expected, inside, 4);
            Assert.True(outside < 1e-4, $"weight outside the read superpixel {outside}");
        }
        Assert.All(lime.Details["fidelity"].Split(','), f => Assert.True(double.Parse(f, System.Globalization.CultureInfo.InvariantCulture) > 0.9999));
        Assert.Equal(3 + 3 * 400, lime.ModelEvaluations);
    }

    [Fact]
    public void ThreeChannelImages_PredictedTarget_AndSuperpixelMeanHiding()
    {
        // Two outputs: the red mean of the right half and the green mean of the left half, minus a constant.
        var model = DelegateModel.FromRowFunction(3 * 6 * 6, ["right-red", "left-green"], (x, o) =>
        {
            float right = 0, left = 0;
            for (int y = 0; y < 6; y++)
                for (int c = 0; c < 3; c++) { right += x[y * 6 + 3 + c]; left += x[36 + y * 6 + c]; }
            o[0] = right / 18;
            o[1] = left / 18 - 0.2f;
        });
        var images = Images(2, 3, 6, seed: 2);
        var explainer = new ImageLimeExplainer(model, new ImageLimeOptions { Shape = [3, 6, 6], CellSize = 3, HideValue = 0, Samples = 300, Ridge = 0 });
        var lime = explainer.Explain(images, OutputTarget.Predicted);
        Assert.Equal(2, lime.RowTargets.Length);
        for (int r = 0; r < 2; r++)
        {
            int output = lime.RowTargets[r];
            // Superpixels are the four 3 x 3 quadrants; the read half has weight, the other none.
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 6; x++)
                {
                    bool read = output == 0 ? x >= 3 : x < 3;
                    double v = lime.Value(r, y * 6 + x);
                    if (!read) Assert.Equal(0, v, 5);
                    else Assert.True(v > 0);
                }
        }
    }

    [Fact]
    public void ModelLinearInSuperpixels_TwoDifferentImages_EachMatchesItsOwnIntercept()
    {
        // f = b + sum_p w_p x_p on 1 x 4 x 4 images, 2 x 2 cells hidden by their mean: switching superpixel s off
        // changes f by sum_{p in s} w_p (x_p - mean_s), so the surrogate is exact with intercept
        // b + sum_p w_p mean_s(p) — different for each image (so the mean intercept would not add up).
        float[] w = Enumerable.Range(0, 16).Select(p => (float)(0.3 * (p % 5) - 0.5 + 0.1 * p)).ToArray();
        const float b = 0.25f;
        var model = DelegateModel.FromRowFunction(16, ["y", "minus y"], (x, o) =>
        {
            float sum = b;
            for (int p = 0; p < 16; p++) sum += w[p] * x[p];
            o[0] = sum;
            o[1] = -sum;
        });
        var images = FeatureTable.FromRows([
            Enumerable.Range(0, 16).Select(p => (float)(p % 3) + 0.5f * (p / 8)).ToArray(),
            Enumerable.Range(0, 16).Select(p => (float)Math.Sin(p) * 3 - 1).ToArray(),
        ]);
        var explainer = new ImageLimeExplainer(model, new ImageLimeOptions { Shape = [1, 4, 4], CellSize = 2, Samples = 200, Ridge = 0 });
        var lime = explainer.Explain(images);
        var intercepts = lime.Details["intercepts"].Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        for (int r = 0; r < 2; r++)
        {
            var labels = explainer.Segment(images.Row(r));
            var x = images.Row(r).ToArray();
            double expectedIntercept = b;
            for (int p = 0; p < 16; p++) expectedIntercept += w[p] * Enumerable.Range(0, 16).Where(q => labels[q] == labels[p]).Average(q => x[q]);
            Assert.Equal(expectedIntercept, intercepts[r], 3);
            foreach (var label in labels.Distinct())
            {
                var cell = Enumerable.Range(0, 16).Where(p => labels[p] == label).ToArray();
                double mean = cell.Average(p => x[p]);
                double weight = cell.Sum(p => w[p] * (x[p] - mean));
                Assert.Equal(weight, cell.Sum(p => lime.Value(r, p)), 3);
            }
        }
        Assert.True(Math.Abs(intercepts[0] - intercepts[1]) > 0.5, "the two images must have different intercepts for this test to mean anything");
        Assert.True(lime.AdditivityError < 1e-3, $"additivity error {lime.AdditivityError}");

        // Predicted: one slot, index -1 and name "predicted", as every other explainer; still additive per image.
        var predicted = explainer.Explain(images, OutputTarget.Predicted);
        Assert.Equal([-1], predicted.Targets.ToArray());
        Assert.Equal(["predicted"], predicted.OutputNames.ToArray());
        Assert.True(predicted.AdditivityError < 1e-3, $"additivity error {predicted.AdditivityError}");
    }

    [Fact]
    public void Slic_FollowsColourEdges()
    {
        // Left half dark, right half bright: with low compactness no superpixel straddles the edge.
        var pixels = Enumerable.Range(0, 16 * 16).Select(p => p % 16 < 8 ? 0.1f : 0.9f).ToArray();
        var model = DelegateModel.FromRowFunction(256, x => x[0]);
        var explainer = new ImageLimeExplainer(model, new ImageLimeOptions { Shape = [1, 16, 16], Segmentation = Segmentation.Slic, Superpixels = 8, Compactness = 0.01 });
        var labels = explainer.Segment(pixels);
        int segments = labels.Distinct().Count();
        Assert.InRange(segments, 4, 12);
        foreach (var label in labels.Distinct())
        {
            var sides = Enumerable.Range(0, 256).Where(p => labels[p] == label).Select(p => p % 16 < 8).Distinct().Count();
            Assert.Equal(1, sides);
        }
    }

    [Fact]
    public void BadShape_GivesAClearError()
    {
        var model = DelegateModel.Linear(new float[12]);
        Assert.Contains("has 16 values but the model takes 12", Assert.Throws<XaiException>(() => new ImageLimeExplainer(model, new ImageLimeOptions { Shape = [1, 4, 4] })).Message, StringComparison.Ordinal);
        Assert.Contains("three positive numbers", Assert.Throws<XaiException>(() => new ImageLimeExplainer(model, new ImageLimeOptions { Shape = [12] })).Message, StringComparison.Ordinal);
    }
}
