using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interactive.Xai.MLNet;

/// <summary>What an ML.NET trainer predicts, for <see cref="MLNetFeatureElimination"/>.</summary>
public enum MLNetTask
{
    /// <summary>Regression: scored by R² of the Score column.</summary>
    Regression,

    /// <summary>Binary classification (labels 0/1): scored by accuracy of the PredictedLabel column.</summary>
    BinaryClassification,
}

/// <summary>
/// Retrain-and-score callbacks for <see cref="RecursiveFeatureElimination"/> from an ML.NET trainer: each call trains
/// the estimator on the subset's columns (a "Features" vector and a "Label" column), scores it on the validation rows
/// (R² or accuracy) and measures each feature's importance as the score lost when that feature is shuffled in the
/// validation rows (permutation importance, seeded, so any trainer works, linear or not).
/// </summary>
public static class MLNetFeatureElimination
{
    private sealed class Row
    {
        public float[] Features { get; set; } = [];
        public float Label { get; set; }
    }

    private sealed class BinaryRow
    {
        public float[] Features { get; set; } = [];
        public bool Label { get; set; }
    }

    /// <summary>The callback for <paramref name="trainer"/> (for example <c>ml =&gt; ml.Regression.Trainers.Sdca()</c>).</summary>
    public static Func<FeatureSubsetTask, FeatureSubsetScore> RetrainAndScore(MLContext context,
        Func<MLContext, IEstimator<ITransformer>> trainer, MLNetTask task = MLNetTask.Regression, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(trainer);
        return subset =>
        {
            var train = Load(context, subset.Train, subset.TrainLabels, task);
            ITransformer model;
            try
            {
                model = trainer(context).Fit(train);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                throw new XaiException($"the ML.NET trainer failed on {subset.Features.Length} features: {e.Message}");
            }
            double Score(FeatureTable validation) => Evaluate(context, model.Transform(Load(context, validation, subset.ValidationLabels, task)), task);
            double baseline = Score(subset.Validation);
            var importances = new double[subset.Validation.ColumnCount];
            for (int j = 0; j < importances.Length; j++)
            {
                subset.CancellationToken.ThrowIfCancellationRequested();
                importances[j] = baseline - Score(Shuffled(subset.Validation, j, new Random(HashCode.Combine(seed, subset.Features[j], subset.Fold))));
            }
            return new FeatureSubsetScore(baseline, importances);
        };
    }

    private static FeatureTable Shuffled(FeatureTable table, int column, Random random)
    {
        int n = table.RowCount, m = table.ColumnCount;
        var values = table.Values.ToArray();
        for (int i = n - 1; i > 0; i--)
        {
            int k = random.Next(i + 1);
            (values[i * m + column], values[k * m + column]) = (values[k * m + column], values[i * m + column]);
        }
        return FeatureTable.FromRowMajor(values, n, m, table.FeatureNames);
    }

    private static IDataView Load(MLContext context, FeatureTable table, IReadOnlyList<float> labels, MLNetTask task)
    {
        int m = table.ColumnCount;
        if (task == MLNetTask.BinaryClassification)
        {
            var schema = SchemaDefinition.Create(typeof(BinaryRow));
            schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, m);
            var rows = Enumerable.Range(0, table.RowCount).Select(r => new BinaryRow { Features = table.Row(r).ToArray(), Label = labels[r] != 0 });
            return context.Data.LoadFromEnumerable(rows.ToList(), schema);
        }
        var regressionSchema = SchemaDefinition.Create(typeof(Row));
        regressionSchema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, m);
        var regressionRows = Enumerable.Range(0, table.RowCount).Select(r => new Row { Features = table.Row(r).ToArray(), Label = labels[r] });
        return context.Data.LoadFromEnumerable(regressionRows.ToList(), regressionSchema);
    }

    private static double Evaluate(MLContext context, IDataView scored, MLNetTask task) => task switch
    {
        MLNetTask.BinaryClassification => context.BinaryClassification.EvaluateNonCalibrated(scored).Accuracy,
        _ => context.Regression.Evaluate(scored).RSquared,
    };
}
