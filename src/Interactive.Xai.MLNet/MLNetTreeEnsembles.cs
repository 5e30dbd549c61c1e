using System.Collections.Immutable;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace Interactive.Xai.MLNet;

/// <summary>
/// Reads the trees of an ML.NET tree-ensemble predictor (FastTree, FastForest, LightGBM; regression and binary
/// classification) into a <see cref="TreeEnsemble"/>, following ML.NET's own scoring rule (ML.NET 5.0):
/// <list type="bullet">
/// <item>an internal node sends a row to <c>LeftChild</c> when x[NumericalSplitFeatureIndexes] &lt;= NumericalSplitThresholds
/// (both float), else to <c>RightChild</c>; a negative child c is leaf ~c;</item>
/// <item>the score is the plain sum of the trees' leaf values (the ensemble's TreeWeights and Bias take no part in
/// ML.NET's scoring), divided by the number of trees for FastForest regression (its forest averages; FastForest
/// binary classification does not);</item>
/// <item>a tree without splits scores 0;</item>
/// <item>for binary classifiers the trees give the raw Score column (the margin); the calibrator that turns it
/// into Probability is not part of the trees.</item>
/// </list>
/// </summary>
internal static class MLNetTreeEnsembles
{
    /// <summary>A tree-ensemble predictor found in a pipeline.</summary>
    /// <param name="Index">Its position in the flattened transformer chain.</param>
    /// <param name="Kind">A readable name ("FastTree regression", ...).</param>
    /// <param name="FeatureColumn">The vector column the trees read.</param>
    /// <param name="Trees">The trees, over that column's slots.</param>
    /// <param name="Scale">What the sum of the trees is multiplied by.</param>
    internal sealed record Predictor(int Index, string Kind, string FeatureColumn, IReadOnlyList<RegressionTreeBase> Trees, double Scale);

    /// <summary>The transformers of a pipeline in the order they run, nested chains opened up.</summary>
    internal static List<ITransformer> Flatten(ITransformer model)
    {
        var list = new List<ITransformer>();
        void Add(ITransformer transformer)
        {
            if (transformer is IEnumerable<ITransformer> chain)
                foreach (var inner in chain) Add(inner);
            else
                list.Add(transformer);
        }
        Add(model);
        return list;
    }

    /// <summary>
    /// The last prediction transformer of the chain, when it is a supported tree ensemble; throws
    /// <see cref="XaiException"/> (saying why Tree SHAP is not available) otherwise.
    /// </summary>
    internal static Predictor FindPredictor(IReadOnlyList<ITransformer> chain, string source)
    {
        int index = -1;
        for (int i = chain.Count - 1; i >= 0 && index < 0; i--)
            if (chain[i] is IPredictionTransformer<object>) index = i;
        if (index < 0)
            throw Unavailable(source, $"the pipeline has no predictor ({Describe(chain)}); Tree SHAP needs a FastTree, FastForest or LightGBM regression or binary classification model");

        if (chain[index] is not ISingleFeaturePredictionTransformer<object> predictor)
            throw Unavailable(source, $"its predictor {TypeName(chain[index])} is not a FastTree, FastForest or LightGBM regression or binary classification model");

        object model = predictor.Model;
        if (model is CalibratedModelParametersBase calibrated) model = calibrated.SubModel;
        string typeName = model.GetType().FullName ?? model.GetType().Name;
        var (kind, trees, scale) = model switch
        {
            FastTreeRegressionModelParameters m => ("FastTree regression", Trees(m.TrainedTreeEnsemble), 1.0),
            FastTreeBinaryModelParameters m => ("FastTree binary classification", Trees(m.TrainedTreeEnsemble), 1.0),
            FastForestRegressionModelParameters m => ("FastForest regression", Trees(m.TrainedTreeEnsemble), 1.0 / Math.Max(1, m.TrainedTreeEnsemble.Trees.Count)),
            FastForestBinaryModelParameters m => ("FastForest binary classification", Trees(m.TrainedTreeEnsemble), 1.0),
            // LightGBM's model types live in Microsoft.ML.LightGbm; naming them keeps that package (and its native
            // library) out of this adapter's dependencies. Their trees are ML.NET trees like FastTree's.
            TreeEnsembleModelParametersBasedOnRegressionTree m when typeName == "Microsoft.ML.Trainers.LightGbm.LightGbmRegressionModelParameters"
                => ("LightGBM regression", Trees(m.TrainedTreeEnsemble), 1.0),
            TreeEnsembleModelParametersBasedOnRegressionTree m when typeName == "Microsoft.ML.Trainers.LightGbm.LightGbmBinaryModelParameters"
                => ("LightGBM binary classification", Trees(m.TrainedTreeEnsemble), 1.0),
            _ => throw Unavailable(source, $"its predictor is {model.GetType().Name}; Tree SHAP supports FastTree, FastForest and LightGBM regression and binary classification (not ranking, Tweedie, GAM or multiclass models)"),
        };
        if (trees.Count == 0) throw Unavailable(source, $"its {kind} model has no trees");
        return new Predictor(index, kind, predictor.FeatureColumnName, trees, scale);
    }

    /// <summary>The feature-vector slots the trees split on; throws when a tree has a categorical split.</summary>
    internal static SortedSet<int> SplitSlots(Predictor predictor, int slotCount, string source)
    {
        var slots = new SortedSet<int>();
        for (int t = 0; t < predictor.Trees.Count; t++)
        {
            var tree = predictor.Trees[t];
            for (int node = 0; node < tree.NumberOfNodes; node++)
            {
                if (tree.CategoricalSplitFlags[node])
                    throw Unavailable(source, $"tree {t} of its {predictor.Kind} model has a categorical split (node {node} tests a set of categories, as LightGBM does for one-hot encoded columns); exact Tree SHAP here needs numeric 'x <= threshold' splits: train without categorical splits (for LightGBM, UseCategoricalSplit = false)");
                int slot = tree.NumericalSplitFeatureIndexes[node];
                if (slot < 0 || slot >= slotCount)
                    throw Unavailable(source, $"tree {t} of its {predictor.Kind} model splits on slot {slot} of '{predictor.FeatureColumn}', which has {slotCount} slots");
                slots.Add(slot);
            }
        }
        return slots;
    }

    /// <summary>The thresholds each slot is split at (for probing the split boundaries).</summary>
    internal static Dictionary<int, List<float>> ThresholdsBySlot(Predictor predictor)
    {
        var result = new Dictionary<int, List<float>>();
        foreach (var tree in predictor.Trees)
        {
            for (int node = 0; node < tree.NumberOfNodes; node++)
            {
                int slot = tree.NumericalSplitFeatureIndexes[node];
                if (!result.TryGetValue(slot, out var list)) result[slot] = list = [];
                list.Add(tree.NumericalSplitThresholds[node]);
            }
        }
        return result;
    }

    /// <summary>The trees over the model's features, given the model feature each used slot holds.</summary>
    internal static TreeEnsemble Build(Predictor predictor, IReadOnlyDictionary<int, int> featureOfSlot, int featureCount, IReadOnlyList<string>? featureNames)
    {
        var trees = ImmutableArray.CreateBuilder<DecisionTree>(predictor.Trees.Count);
        foreach (var tree in predictor.Trees) trees.Add(Convert(tree, featureOfSlot));
        var ensemble = new TreeEnsemble
        {
            Trees = trees.MoveToImmutable(),
            Scale = predictor.Scale,
            Bias = 0,
            FeatureCount = featureCount,
            FeatureNames = featureNames,
            OutputNames = ["Score"],
        };
        ensemble.Validate();
        return ensemble;
    }

    /// <summary>The largest output any row can get, for scaling comparison tolerances.</summary>
    internal static double Magnitude(TreeEnsemble ensemble) =>
        Math.Abs(ensemble.Bias) + Math.Abs(ensemble.Scale) * ensemble.Trees.Sum(tree => tree.Value.Select(Math.Abs).DefaultIfEmpty(0).Max());

    internal static XaiException Unavailable(string source, string reason) =>
        new($"{source}: Tree SHAP is not available: {reason}");

    private static IReadOnlyList<RegressionTreeBase> Trees<T>(TreeEnsemble<T> ensemble) where T : RegressionTreeBase => ensemble.Trees;

    // ML.NET numbers internal nodes 0..N-1 and leaves ~0..~(L-1); here internal nodes keep their numbers and leaf l
    // becomes node N + l.
    private static DecisionTree Convert(RegressionTreeBase tree, IReadOnlyDictionary<int, int> featureOfSlot)
    {
        int internalNodes = tree.NumberOfNodes;
        if (internalNodes == 0)
        {
            // ML.NET scores a tree without splits as 0 whatever its leaf holds.
            return new DecisionTree { Feature = [0], Threshold = [0], Left = [-1], Right = [-1], Value = [0] };
        }
        int leaves = tree.NumberOfLeaves, count = internalNodes + leaves;
        var feature = new int[count];
        var threshold = new double[count];
        var left = new int[count];
        var right = new int[count];
        var value = new double[count];
        int Node(int child) => child >= 0 ? child : internalNodes + ~child;
        for (int node = 0; node < internalNodes; node++)
        {
            feature[node] = featureOfSlot[tree.NumericalSplitFeatureIndexes[node]];
            threshold[node] = tree.NumericalSplitThresholds[node];
            left[node] = Node(tree.LeftChild[node]);
            right[node] = Node(tree.RightChild[node]);
        }
        for (int leaf = 0; leaf < leaves; leaf++)
        {
            int node = internalNodes + leaf;
            left[node] = right[node] = -1;
            value[node] = tree.LeafValues[leaf];
        }
        return new DecisionTree
        {
            Feature = ImmutableArray.Create(feature),
            Threshold = ImmutableArray.Create(threshold),
            Left = ImmutableArray.Create(left),
            Right = ImmutableArray.Create(right),
            Value = ImmutableArray.Create(value),
        };
    }

    private static string TypeName(object value)
    {
        var type = value.GetType();
        if (!type.IsGenericType) return type.Name;
        string name = type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)];
        return string.Create(CultureInfo.InvariantCulture, $"{name}<{string.Join(", ", type.GetGenericArguments().Select(a => a.Name))}>");
    }

    private static string Describe(IReadOnlyList<ITransformer> chain) =>
        chain.Count == 0 ? "it is empty" : "its transformers are " + string.Join(", ", chain.Select(TypeName));
}
