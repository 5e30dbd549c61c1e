using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interactive.Xai.MLNet;

public sealed partial class MLNetModel
{
    private const int MappingProbeRows = 16;
    private const int BoundaryProbeRows = 256;
    private readonly Lock _treeGate = new();
    private TreeEnsemble? _treeEnsemble;
    private XaiException? _treeProblem;

    /// <summary>
    /// The pipeline's tree ensemble over this model's features, for exact Tree SHAP (<see cref="TreeShapExplainer"/>).
    /// </summary>
    /// <remarks>
    /// <para>Available when the pipeline's predictor is a FastTree, FastForest or LightGBM regression or binary
    /// classification model whose trees split on numeric features. The ensemble's output is the predictor's raw
    /// <c>Score</c> column, whatever <see cref="OutputColumn"/> is: for binary classifiers that is the margin before
    /// the calibrator maps it to Probability, which is the quantity whose Shapley values add up exactly (as in SHAP's
    /// TreeExplainer, which explains the margin of a classifier).</para>
    /// <para>The trees read a feature vector (usually a Concatenate of input columns). Each slot the trees split on
    /// must be one of this model's features passed through unchanged: this is checked by running probe rows through
    /// the pipeline, so a slot computed by a normalizer or any other transform makes Tree SHAP unavailable (use
    /// exact-shap or kernel-shap then). The extracted trees are then checked against the model's own Score on rows
    /// placed on both sides of every split threshold.</para>
    /// <para>Missing values: the extracted trees send NaN to the right child, as ML.NET does for FastTree and FastForest
    /// models and for LightGBM models trained without missing values. A LightGBM model trained on data with missing
    /// values learns a side per split (and a pipeline may replace NaN before the trees), which a threshold tree cannot
    /// express: for such models the values of rows that contain NaN are not exact. Explain rows without NaN.</para>
    /// <para>ML.NET's own feature contributions (CalculateFeatureContribution) are not Shapley values: at each split on
    /// a row's path they credit the split feature with the row's leaf value minus the value of the leaf reached by
    /// taking the other branch at that split alone. They have no base value, do not add up to the score (and are
    /// normalized by default), so they are not comparable one to one with these. Tree SHAP values add up: base
    /// value + sum of the values = Score for every row.</para>
    /// </remarks>
    /// <exception cref="XaiException">The predictor is not a supported tree ensemble, has categorical splits, or its trees read a slot that is not one of the model's features unchanged; the message says which.</exception>
    public TreeEnsemble TreeEnsemble
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            lock (_treeGate)
            {
                if (_treeEnsemble is null && _treeProblem is null)
                {
                    try
                    {
                        _treeEnsemble = ExtractTreeEnsemble();
                    }
                    catch (XaiException problem)
                    {
                        _treeProblem = problem;
                    }
                }
                if (_treeProblem is not null) throw new XaiException(_treeProblem.Message, _treeProblem);
                return _treeEnsemble!;
            }
        }
    }

    /// <summary>True when <see cref="TreeEnsemble"/> is available (it is then computed and kept).</summary>
    public bool HasTreeEnsemble
    {
        get
        {
            try
            {
                _ = TreeEnsemble;
                return true;
            }
            catch (XaiException)
            {
                return false;
            }
        }
    }

    private TreeEnsemble ExtractTreeEnsemble()
    {
        var model = Rent();
        try
        {
            var chain = MLNetTreeEnsembles.Flatten(model);
            var predictor = MLNetTreeEnsembles.FindPredictor(chain, Source);
            int slotCount = SlotCount(chain, predictor);
            var usedSlots = MLNetTreeEnsembles.SplitSlots(predictor, slotCount, Source);

            // Which model feature does each slot hold? Probe rows of distinct values answer it.
            var random = new Random(20260501);
            var probes = new float[MappingProbeRows * FeatureCount];
            for (int i = 0; i < probes.Length; i++) probes[i] = ProbeValue(random);
            var (slots, _) = RunProbes(chain, predictor, slotCount, probes, MappingProbeRows);
            var featureOfSlot = new Dictionary<int, int>();
            foreach (int slot in usedSlots)
            {
                int found = -1;
                for (int j = 0; j < FeatureCount && found < 0; j++)
                {
                    bool same = true;
                    for (int r = 0; r < MappingProbeRows && same; r++)
                        same = slots[r * slotCount + slot].Equals(probes[r * FeatureCount + j]);
                    if (same) found = j;
                }
                if (found < 0)
                    throw MLNetTreeEnsembles.Unavailable(Source, $"the trees split on slot {slot} of '{predictor.FeatureColumn}', which is not one of the model's features ({string.Join(", ", FeatureColumns)}) passed through unchanged (a normalizer or another transform computes it); Tree SHAP needs trees over the model's inputs: use exact-shap or kernel-shap");
                featureOfSlot[slot] = found;
            }
            var ensemble = MLNetTreeEnsembles.Build(predictor, featureOfSlot, FeatureCount, FeatureNames);
            Verify(chain, predictor, slotCount, ensemble, featureOfSlot, random);
            return ensemble;
        }
        catch (Exception exception) when (exception is not (XaiException or OutOfMemoryException or ObjectDisposedException))
        {
            throw MLNetTreeEnsembles.Unavailable(Source, $"reading its trees failed: {FirstLine(exception.Message)}");
        }
        finally
        {
            Return(model);
        }
    }

    // Rows whose split features sit exactly on a threshold or one float above it, so every comparison the trees make
    // is tested on both sides against the model's own Score.
    private void Verify(List<ITransformer> chain, MLNetTreeEnsembles.Predictor predictor, int slotCount, TreeEnsemble ensemble,
        Dictionary<int, int> featureOfSlot, Random random)
    {
        var thresholdsOfFeature = new Dictionary<int, List<float>>();
        foreach (var (slot, thresholds) in MLNetTreeEnsembles.ThresholdsBySlot(predictor))
        {
            int feature = featureOfSlot[slot];
            if (!thresholdsOfFeature.TryGetValue(feature, out var list)) thresholdsOfFeature[feature] = list = [];
            list.AddRange(thresholds.Where(float.IsFinite));
        }
        var rows = new float[BoundaryProbeRows * FeatureCount];
        for (int r = 0; r < BoundaryProbeRows; r++)
        {
            for (int j = 0; j < FeatureCount; j++)
            {
                float value;
                if (thresholdsOfFeature.TryGetValue(j, out var list) && list.Count > 0 && random.Next(5) > 0)
                {
                    float threshold = list[random.Next(list.Count)];
                    value = random.Next(2) == 0 ? threshold : MathF.BitIncrement(threshold);
                }
                else
                {
                    value = ProbeValue(random);
                }
                rows[r * FeatureCount + j] = value;
            }
        }
        var (_, scores) = RunProbes(chain, predictor, slotCount, rows, BoundaryProbeRows);
        double magnitude = MLNetTreeEnsembles.Magnitude(ensemble);
        for (int r = 0; r < BoundaryProbeRows; r++)
        {
            double trees = ensemble.Predict(rows.AsSpan(r * FeatureCount, FeatureCount));
            float score = scores[r];
            // ML.NET sums the leaves in double and rounds the sum to float (FastForest regression then divides in float).
            double tolerance = 1e-6 * Math.Abs(score) + 1e-9 * magnitude;
            if (!(Math.Abs(trees - score) <= tolerance))
                throw MLNetTreeEnsembles.Unavailable(Source, string.Create(CultureInfo.InvariantCulture,
                    $"the trees read from its {predictor.Kind} model do not reproduce its Score (a probe row gets {trees:G9} from the trees and {score:G9} from the model)"));
        }
    }

    private static float ProbeValue(Random random) =>
        (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, random.Next(-2, 4)));

    private int SlotCount(List<ITransformer> chain, MLNetTreeEnsembles.Predictor predictor)
    {
        var schema = _featureSchema;
        for (int i = 0; i < predictor.Index; i++) schema = chain[i].GetOutputSchema(schema);
        if (schema.GetColumnOrNull(predictor.FeatureColumn) is not { Type: VectorDataViewType { IsKnownSize: true } vector } || vector.ItemType != NumberDataViewType.Single)
            throw MLNetTreeEnsembles.Unavailable(Source, $"the trees' feature column '{predictor.FeatureColumn}' is not a known-size vector of Single");
        return vector.Size;
    }

    // Runs rows through the pipeline; returns the predictor's feature vector (dense, rows x slots) and the Score column.
    private (float[] Slots, float[] Scores) RunProbes(List<ITransformer> chain, MLNetTreeEnsembles.Predictor predictor, int slotCount, float[] rows, int rowCount)
    {
        IDataView view = new FloatBufferDataView(_featureSchema, _columnsByIndex, rows, rowCount, FeatureCount);
        for (int i = 0; i < predictor.Index; i++) view = chain[i].Transform(view);
        var slots = new float[rowCount * slotCount];
        var featureColumn = view.Schema[predictor.FeatureColumn];
        using (var cursor = view.GetRowCursor([featureColumn]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(featureColumn);
            var buffer = default(VBuffer<float>);
            int r = 0;
            while (r < rowCount && cursor.MoveNext())
            {
                getter(ref buffer);
                buffer.CopyTo(slots.AsSpan(r * slotCount, slotCount), 0, 0f);
                r++;
            }
            if (r != rowCount) throw MLNetTreeEnsembles.Unavailable(Source, "the pipeline drops rows before its predictor");
        }

        for (int i = predictor.Index; i < chain.Count; i++) view = chain[i].Transform(view);
        if (view.Schema.GetColumnOrNull("Score") is not { } scoreColumn || scoreColumn.Type != NumberDataViewType.Single)
            throw MLNetTreeEnsembles.Unavailable(Source, "the pipeline's output has no Single 'Score' column");
        var scores = new float[rowCount];
        using (var cursor = view.GetRowCursor([scoreColumn]))
        {
            var getter = cursor.GetGetter<float>(scoreColumn);
            int r = 0;
            float value = 0;
            while (r < rowCount && cursor.MoveNext())
            {
                getter(ref value);
                scores[r++] = value;
            }
            if (r != rowCount) throw MLNetTreeEnsembles.Unavailable(Source, "the pipeline drops rows");
        }
        return (slots, scores);
    }
}
