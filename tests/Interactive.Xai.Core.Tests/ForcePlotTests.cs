using System.Collections.Immutable;

namespace Interactive.Xai.Tests;

public class ForcePlotTests
{
    private static AttributionExplanation Explanation(double[][] values, double baseValue, double[]? predictions = null)
    {
        int m = values[0].Length;
        var data = FeatureTable.FromRows(values.Select((row, r) => row.Select((_, f) => (float)(r + f)).ToArray()).ToArray(),
            [.. Enumerable.Range(0, m).Select(f => "f" + f)]);
        return new AttributionExplanation
        {
            Method = "test", OutputNames = ["y"], Targets = [0], FeatureNames = data.FeatureNames, Data = data,
            Values = [.. values.SelectMany(v => v)], BaseValues = [baseValue],
            Predictions = [.. predictions ?? values.Select(v => baseValue + v.Sum())],
        };
    }

    [Fact]
    public void A_row_is_split_at_its_prediction_with_the_largest_contributions_next_to_it_and_small_ones_merged()
    {
        // total |value| = 6.53; the three largest (3, -2, -1) are labelled, 0.5 + 0.01 + 0.02 become "other" on the up side.
        var e = Explanation([[3, -1, 0.5, -2, 0.01, 0.02]], 10);
        var row = ForcePlot.Row(e, 0, maxLabelled: 3, minShare: 0.05);
        Assert.Equal(10.53, row.Prediction, 12);
        Assert.Equal(10.0, row.BaseValue, 12);
        Assert.Equal(2, row.Positive.Length);
        Assert.Equal((0, 7.53, 10.53), (row.Positive[0].Feature, row.Positive[0].Start, row.Positive[0].End), new Close());
        Assert.True(row.Positive[1].IsOther);
        Assert.Equal("other (3 features)", row.Positive[1].Name);
        Assert.Equal(3, row.Positive[1].MergedCount);
        Assert.Equal(0.53, row.Positive[1].Value, 12);
        Assert.Equal((-1, 7.0, 7.53), (row.Positive[1].Feature, row.Positive[1].Start, row.Positive[1].End), new Close());
        Assert.Equal((3, 10.53, 12.53), (row.Negative[0].Feature, row.Negative[0].Start, row.Negative[0].End), new Close());
        Assert.Equal((1, 12.53, 13.53), (row.Negative[1].Feature, row.Negative[1].Start, row.Negative[1].End), new Close());
        // the up side starts at prediction - 3.53 = 7.0 = base value - (sum of the down side) = 10 - 3
        Assert.Equal(row.BaseValue - 3, row.Positive[^1].Start, 12);
        Assert.Equal(0, row.Gap, 12);
        // the data cell of row r, feature f is r + f
        Assert.Equal(0, row.Positive[0].FeatureValue);
        Assert.Equal(3, row.Negative[0].FeatureValue);
    }

    [Fact]
    public void A_single_small_feature_keeps_its_name_and_zero_contributions_are_left_out()
    {
        var e = Explanation([[4, 0, 0.1, -1]], 0);
        var row = ForcePlot.Row(e, 0, maxLabelled: 1, minShare: 0);
        Assert.Equal([0, 2], row.Positive.Select(s => s.Feature));
        Assert.Equal("f2", row.Positive[1].Name);
        Assert.Equal([3], row.Negative.Select(s => s.Feature));
        Assert.DoesNotContain(row.Positive.Concat(row.Negative), s => s.Feature == 1);
    }

    [Fact]
    public void Exact_shapley_values_of_a_linear_model_span_base_value_to_prediction()
    {
        var table = FeatureTable.FromArray(new float[,] { { 1, 2, 3 }, { -1, 0, 2 }, { 0, 5, -1 } });
        var model = DelegateModel.Linear([2f, -1f, 0.5f], 1f, table.FeatureNames);
        var e = new ExactShapleyExplainer(model, WeightedBackground.FromTable(table)).Explain(table);
        for (int r = 0; r < 3; r++)
        {
            var row = ForcePlot.Row(e, r, maxLabelled: int.MaxValue, minShare: 0);
            double low = row.Positive.IsEmpty ? row.Prediction : row.Positive[^1].Start;
            double high = row.Negative.IsEmpty ? row.Prediction : row.Negative[^1].End;
            Assert.Equal(row.BaseValue, low + (high - row.Prediction), 5);
            Assert.True(row.Gap < 1e-5);
        }
    }

    [Fact]
    public void Rows_are_ordered_by_prediction_or_by_similarity_of_their_attributions()
    {
        var e = Explanation([[0, 0], [10, 10], [0.1, 0], [10, 10.2], [5, 5]], 0);
        Assert.Equal([0, 2, 4, 1, 3], ForcePlot.Order(e, ForceOrder.Prediction).ToArray());
        Assert.Equal([0, 1, 2, 3, 4], ForcePlot.Order(e, ForceOrder.Original).ToArray());
        // {0, 2} (distance 0.1) and {1, 3} (0.2) merge first; then row 4 joins {0, 2}: average distances
        // d(4, {0, 2}) = (7.071 + 7.001) / 2 = 7.036 < d(4, {1, 3}) = (7.071 + 7.214) / 2 = 7.142; the older cluster is listed first
        var order = ForcePlot.Order(e, ForceOrder.Similarity);
        Assert.Equal([0, 2, 4, 1, 3], order.ToArray());
    }

    [Fact]
    public void A_row_outside_the_explanation_is_one_clear_error()
    {
        var e = Explanation([[1, 2]], 0);
        Assert.Contains("row 3 is outside the 1 explained rows", Assert.Throws<XaiException>(() => ForcePlot.Row(e, 3)).Message);
    }

    private sealed class Close : IEqualityComparer<(int, double, double)>
    {
        public bool Equals((int, double, double) a, (int, double, double) b) => a.Item1 == b.Item1 && Math.Abs(a.Item2 - b.Item2) < 1e-12 && Math.Abs(a.Item3 - b.Item3) < 1e-12;

        public int GetHashCode((int, double, double) value) => value.Item1;
    }
}
