using System.Collections.Immutable;

namespace Interactive.Xai.Tests;

/// <summary>
/// The JSON of the model views (output correlation, global surrogate, tree gain importance) on fixed inputs, byte for
/// byte: what consumers of these files read must not change when the writer is reorganised.
/// </summary>
public class ModelViewJsonTests
{
    private static OutputCorrelation Correlation() => new()
    {
        FeatureNames = ["age", "bmi", "constant"],
        OutputName = "risk",
        Target = 1,
        Pearson = [0.5, -0.25, double.NaN],
        Spearman = [0.75, -1, double.NaN],
        RowCount = 4,
        Elapsed = TimeSpan.FromSeconds(1.5),
        ModelEvaluations = 4,
    };

    // x0 = 1..4 and y = x0: one split at 2.5, leaves of mean 1.5 and 3.5 (two rows each)
    private static SurrogateTree Regression()
    {
        var data = FeatureTable.FromArray(new float[,] { { 1, 0 }, { 2, 0 }, { 3, 0 }, { 4, 0 } }, ["x0", "x1"]);
        return GlobalSurrogate.Fit(data, [1, 2, 3, 4], SurrogateTask.Regression, new GlobalSurrogateOptions { MaxDepth = 1 })
            with { Elapsed = TimeSpan.FromSeconds(0.25), ModelEvaluations = 4 };
    }

    // classes 0, 0, 1, 1 on x0 = 1..4: one split at 2.5 separates them
    private static SurrogateTree Classification()
    {
        var data = FeatureTable.FromArray(new float[,] { { 1, 0 }, { 2, 0 }, { 3, 0 }, { 4, 0 } }, ["x0", "x1"]);
        return GlobalSurrogate.Fit(data, [0, 0, 1, 1], SurrogateTask.Classification, new GlobalSurrogateOptions { MaxDepth = 2 })
            with { ClassNames = ["low", "high"], Elapsed = TimeSpan.FromSeconds(2), ModelEvaluations = 0 };
    }

    private static TreeFeatureImportance Importance() => new()
    {
        FeatureNames = ["a", "b"],
        SplitCounts = [3, 0],
        Gains = [12.5, 0],
        NormalizedGains = [1, 0],
        TreeCount = 2,
        CoverSource = "data (4 rows)",
    };

    [Fact]
    public void An_output_correlation_is_written_with_nulls_for_undefined_coefficients_and_its_cost_last()
    {
        Assert.Equal(Lines("""
        {
          "method": "output-correlation",
          "featureNames": [
            "age",
            "bmi",
            "constant"
          ],
          "target": 1,
          "outputName": "risk",
          "rowCount": 4,
          "pearson": [
            0.5,
            -0.25,
            null
          ],
          "spearman": [
            0.75,
            -1,
            null
          ],
          "elapsedSeconds": 1.5,
          "modelEvaluations": 4
        }
        """), ExplanationJson.Serialize(Correlation()));
        Assert.Equal("""{"method":"output-correlation","featureNames":["age","bmi","constant"],"target":1,"outputName":"risk","rowCount":4,"pearson":[0.5,-0.25,null],"spearman":[0.75,-1,null],"elapsedSeconds":1.5,"modelEvaluations":4}""", ExplanationJson.Serialize(Correlation(), indented: false));
    }

    [Fact]
    public void A_regression_surrogate_is_written_with_its_nodes_and_r2()
    {
        // R² of leaves 1.5, 1.5, 3.5, 3.5 against 1..4: 1 - 4 * 0.25 / 5 = 0.8
        Assert.Equal(Lines("""
        {
          "method": "surrogate",
          "featureNames": [
            "x0",
            "x1"
          ],
          "task": "regression",
          "output": "output",
          "maxDepth": 1,
          "fidelityMeasure": "r2",
          "fidelity": 0.8,
          "rowCount": 4,
          "nodes": [
            {
              "feature": "x0",
              "threshold": 2.5,
              "left": 1,
              "right": 2,
              "value": 2.5,
              "rows": 4
            },
            {
              "value": 1.5,
              "rows": 2
            },
            {
              "value": 3.5,
              "rows": 2
            }
          ],
          "elapsedSeconds": 0.25,
          "modelEvaluations": 4
        }
        """), ExplanationJson.Serialize(Regression()));
    }

    [Fact]
    public void A_classification_surrogate_is_written_with_its_class_names_and_accuracy()
        => Assert.Equal("""{"method":"surrogate","featureNames":["x0","x1"],"task":"classification","output":"predicted class","classNames":["low","high"],"maxDepth":2,"fidelityMeasure":"accuracy","fidelity":1,"rowCount":4,"nodes":[{"feature":"x0","threshold":2.5,"left":1,"right":2,"value":0,"rows":4},{"value":0,"rows":2},{"value":1,"rows":2}],"elapsedSeconds":2,"modelEvaluations":0}""", ExplanationJson.Serialize(Classification(), indented: false));

    [Fact]
    public void Tree_gain_importance_is_written_without_a_cost()
        => Assert.Equal("""{"method":"tree-gain","featureNames":["a","b"],"treeCount":2,"coverSource":"data (4 rows)","splitCounts":[3,0],"gains":[12.5,0],"normalizedGains":[1,0]}""", ExplanationJson.Serialize(Importance(), indented: false));

    private static string Lines(string text) => text.ReplaceLineEndings(Environment.NewLine);
}
