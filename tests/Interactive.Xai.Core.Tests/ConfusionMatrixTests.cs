namespace Interactive.Xai.Tests;

public sealed class ConfusionMatrixTests
{
    [Fact]
    public void Counts_rates_accuracy_precision_and_recall_match_a_hand_counted_example()
    {
        // actual:    0 0 0 0 1 1 1 2 2 2
        // predicted: 0 0 1 2 1 1 0 2 2 2
        var m = ConfusionMatrix.FromClasses([0, 0, 0, 0, 1, 1, 1, 2, 2, 2], [0, 0, 1, 2, 1, 1, 0, 2, 2, 2], ["cat", "dog", "owl"]);
        Assert.Equal([2L, 1, 1, 1, 2, 0, 0, 0, 3], m.Counts.ToArray());
        Assert.Equal(10, m.Total);
        Assert.Equal(0.7, m.Accuracy, 12);
        Assert.Equal(0.5, m.RowNormalized(0, 0), 12);
        Assert.Equal(0.25, m.RowNormalized(0, 2), 12);
        Assert.Equal(1.0 / 3, m.RowNormalized(1, 0), 12);
        Assert.Equal(1.0, m.RowNormalized(2, 2), 12);
        Assert.Equal(2.0 / 3, m.Precision(0), 12);  // predicted cat: 3 rows, 2 cats
        Assert.Equal(0.75, m.Precision(2), 12);     // predicted owl: 4 rows, 3 owls
        Assert.Equal(2.0 / 3, m.Recall(1), 12);
        for (int a = 0; a < 3; a++) Assert.Equal(1.0, Enumerable.Range(0, 3).Sum(p => m.RowNormalized(a, p)), 12);
    }

    [Fact]
    public void An_absent_class_has_a_zero_row_and_undefined_recall()
    {
        var m = ConfusionMatrix.FromClasses([0, 1, 1], [0, 1, 0], ["a", "b", "c"]);
        Assert.Equal(0, m.ActualCount(2));
        Assert.Equal(0.0, m.RowNormalized(2, 2));
        Assert.True(double.IsNaN(m.Recall(2)));
        Assert.True(double.IsNaN(m.Precision(2)));
    }

    [Fact]
    public void From_a_model_each_rows_arg_max_is_counted_against_its_label()
    {
        // Output c = -(x - c)^2: the predicted class is the nearest whole number to x in 0..2.
        var model = DelegateModel.FromRowFunction(1, ["low", "mid", "high"], (x, y) => { for (int c = 0; c < 3; c++) y[c] = -(x[0] - c) * (x[0] - c); });
        var data = FeatureTable.FromRows([[0f], [0.2f], [0.9f], [1.4f], [1.6f], [2f], [2.4f]]);
        var m = ConfusionMatrix.FromModel(model, data, [0f, 1f, 1f, 1f, 1f, 2f, 0f]);
        Assert.Equal(["low", "mid", "high"], m.ClassNames.ToArray());
        Assert.Equal(1, m.Count(0, 0));   // 0 -> low
        Assert.Equal(1, m.Count(0, 2));   // 2.4 labelled low -> high
        Assert.Equal(1, m.Count(1, 0));   // 0.2 labelled mid -> low
        Assert.Equal(2, m.Count(1, 1));   // 0.9, 1.4
        Assert.Equal(1, m.Count(1, 2));   // 1.6
        Assert.Equal(1, m.Count(2, 2));
        Assert.Equal(7, m.Total);
    }

    [Fact]
    public void Bad_labels_and_sizes_are_refused_with_one_clear_message()
    {
        var model = DelegateModel.FromRowFunction(1, ["a", "b"], (x, y) => { y[0] = x[0]; y[1] = -x[0]; });
        var data = FeatureTable.FromRows([[0f], [1f]]);
        Assert.Contains("label 1.5 in row 1 is not a class index 0..1", Assert.Throws<XaiException>(() => ConfusionMatrix.FromModel(model, data, [0f, 1.5f])).Message);
        Assert.Contains("label 2 in row 0", Assert.Throws<XaiException>(() => ConfusionMatrix.FromModel(model, data, [2f, 0f])).Message);
        Assert.Contains("1 labels for 2 rows", Assert.Throws<XaiException>(() => ConfusionMatrix.FromModel(model, data, [0f])).Message);
        Assert.Contains("3 class names for a model with 2 outputs", Assert.Throws<XaiException>(() => ConfusionMatrix.FromModel(model, data, [0f, 1f], ["a", "b", "c"])).Message);
        Assert.Contains("predicted class 5 is outside 0..1", Assert.Throws<XaiException>(() => ConfusionMatrix.FromClasses([0], [5], ["a", "b"])).Message);
        Assert.Contains("at least 2 classes", Assert.Throws<XaiException>(() => ConfusionMatrix.FromClasses([0], [0], ["a"])).Message);
    }
}

public sealed class ClassProbabilitiesTests
{
    [Fact]
    public void Logits_go_through_softmax_and_probabilities_are_kept()
    {
        float[] logits = [0f, 1f, 2f, 3f, 3f, 3f];
        var p = ClassProbabilities.FromOutputs(logits, ["a", "b", "c"]);
        Assert.True(p.AppliedSoftmax);
        double z = 1 + Math.E + Math.E * Math.E;
        Assert.Equal(1 / z, p.Probability(0, 0), 6);
        Assert.Equal(Math.E * Math.E / z, p.Probability(0, 2), 6);
        Assert.Equal(1.0 / 3, p.Probability(1, 1), 6);
        Assert.Equal([2, 0], p.Predicted.ToArray());   // ties: the first class
        Assert.Empty(p.Actual);

        float[] probabilities = [0.2f, 0.5f, 0.3f];
        var kept = ClassProbabilities.FromOutputs(probabilities, ["a", "b", "c"], labels: [2f]);
        Assert.False(kept.AppliedSoftmax);
        Assert.Equal(0.5, kept.Probability(0, 1), 6);
        Assert.Equal([2], kept.Actual.ToArray());
        // Forced softmax on values that look like probabilities.
        Assert.True(ClassProbabilities.FromOutputs(probabilities, ["a", "b", "c"], ClassScores.Logits).AppliedSoftmax);
    }

    [Fact]
    public void Outputs_declared_probabilities_that_are_not_are_refused()
    {
        Assert.Contains("declared probabilities", Assert.Throws<XaiException>(() => ClassProbabilities.FromOutputs([0.5f, 0.7f], ["a", "b"], ClassScores.Probabilities)).Message);
        Assert.Contains("not a whole number of rows", Assert.Throws<XaiException>(() => ClassProbabilities.FromOutputs([0.5f, 0.5f, 1f], ["a", "b"])).Message);
        Assert.Contains("not a finite number", Assert.Throws<XaiException>(() => ClassProbabilities.FromOutputs([float.NaN, 0.5f], ["a", "b"])).Message);
    }
}
