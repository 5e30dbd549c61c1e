using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Interactive.Xai.Inspection;
using Interactive.Xai.Torch;
using Interactive.Xai.Torch.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Cli;

/// <summary>
/// The neural-network half of `xai demo`: a <see cref="DigitsCnn"/> trained in process on the shipped 8x8 digits
/// (logged into a <see cref="TrainingMonitor"/>), inspected (structure, weights, activations, gradient flow), scored
/// on its held-out fifth (confusion matrix, class probabilities) and explained on one held-out image of each digit
/// with saliency, Integrated Gradients, Grad-CAM and occlusion, each for the image's predicted digit.
/// </summary>
internal static class DemoNetwork
{
    /// <summary>The layer Grad-CAM explains (16 channels at 4x4).</summary>
    public const string GradCamLayer = "conv2";

    /// <summary>Integrated Gradients' steps.</summary>
    public const int IntegratedGradientsSteps = 50;

    /// <summary>Held-out digits whose activations are captured.</summary>
    public const int ActivationImages = 4;

    /// <summary>Training rows in the gradient-flow batch.</summary>
    public const int GradientFlowBatch = 64;

    /// <summary>Held-out images run through the network for the activation-function ranges.</summary>
    public const int ActivationFunctionImages = 256;

    private static readonly int[] ImageShape = [1, 8, 8];

    /// <summary>Trains, inspects and explains the CNN; <paramref name="epochs"/> passes over the training rows.</summary>
    public static DemoNetworkResult Build(int epochs, int seed)
    {
        var stopwatch = Stopwatch.StartNew();
        using var monitor = new TrainingMonitor();
        using var trained = BuiltInModels.TrainDigitsCnn(seed, epochs, monitor);
        var trainingTime = stopwatch.Elapsed;
        var model = trained.Model;
        var module = (nn.Module<Tensor, Tensor>)model.Module;

        var test = trained.TestFeatures;
        var labels = trained.TestLabels;
        // One held-out image of each digit (the first of each class in the held-out split).
        var shown = Enumerable.Range(0, model.OutputNames.Count).Select(d => Array.IndexOf(labels, (float)d)).Where(i => i >= 0).ToArray();
        var images = test.SelectRows(shown);

        var confusion = ConfusionMatrix.FromModel(model, test, labels, model.OutputNames);
        var probabilities = ClassProbabilities.FromModel(model, test, labels: labels);

        var target = OutputTarget.Predicted;
        var attributions = new List<AttributionExplanation>
        {
            new SaliencyExplainer(model, new SaliencyOptions { InputShape = [.. ImageShape], Seed = seed }).Explain(images, target),
            new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { InputShape = [.. ImageShape], Steps = IntegratedGradientsSteps, Seed = seed }).Explain(images, target),
            new GradCamExplainer(model, GradCamLayer, new GradCamOptions { Seed = seed }).Explain(images, target),
            new OcclusionExplainer(model, new OcclusionOptions { InputShape = [.. ImageShape], PatchHeight = 2, PatchWidth = 2, Seed = seed }).Explain(images, target),
        };

        var structure = TorchInspector.Summarize(module, [1, .. ImageShape.Select(d => (long)d)], "DigitsCnn");
        var weights = TorchInspector.Weights(module, "trained weights");
        ActivationCapture activations;
        GradientFlow flow;
        using (var scope = NewDisposeScope())
        {
            var few = images.Slice(0, Math.Min(ActivationImages, images.RowCount));
            activations = TorchInspector.Activations(module, Images(few));
            var batchRows = trained.TrainRows.Take(GradientFlowBatch).ToArray();
            var batch = trained.Dataset.Features.SelectRows(batchRows);
            var batchLabels = tensor(batchRows.Select(r => (long)trained.Dataset.Labels[r]).ToArray());
            flow = TorchInspector.GradientFlow(module, Images(batch), batchLabels,
                (probabilitiesOut, t) => nn.functional.nll_loss(probabilitiesOut.clamp_min(1e-12).log(), t));
        }
        LayerOutputGradient layerGradient;
        ActivationFunctionUsage activationFunctions;
        using (var scope = NewDisposeScope())
        {
            // the gradient of each shown digit's predicted probability with respect to conv2's maps; the activation
            // functions over the ranges the held-out digits drive them to
            layerGradient = TorchInspector.LayerOutputGradient(module, GradCamLayer, Images(images), outputNames: model.OutputNames);
            activationFunctions = TorchInspector.ActivationFunctions(module, Images(test.Slice(0, Math.Min(ActivationFunctionImages, test.RowCount))));
        }

        return new DemoNetworkResult
        {
            Epochs = epochs,
            TrainRowCount = trained.TrainRows.Length,
            TestAccuracy = trained.TestAccuracy,
            TrainingTime = trainingTime,
            Training = monitor.Snapshot(),
            Structure = structure,
            Weights = weights,
            Activations = activations,
            GradientFlow = flow,
            LayerGradient = layerGradient,
            ActivationFunctions = activationFunctions,
            Confusion = confusion,
            Probabilities = probabilities,
            ExplainedRows = shown.Select(i => trained.TestRows[i]).ToArray(),
            ExplainedLabels = shown.Select(i => model.OutputNames[(int)labels[i]]).ToArray(),
            Attributions = attributions,
            Elapsed = stopwatch.Elapsed,
        };
    }

    private static Tensor Images(FeatureTable rows) => tensor(rows.Values.ToArray()).reshape(rows.RowCount, ImageShape[0], ImageShape[1], ImageShape[2]);

    /// <summary>Writes the network part of the demo JSON as the current property's value.</summary>
    public static void WriteJson(Utf8JsonWriter writer, DemoNetworkResult network)
    {
        writer.WriteStartObject();
        writer.WriteString("dataset", "digits");
        writer.WriteString("model", "TorchSharp DigitsCnn (conv1 8x3x3 - relu - maxpool 2 - conv2 16x3x3 - relu - fc 10), Adam lr 0.01, batches of 64, trained in process");
        writer.WriteNumber("epochs", network.Epochs);
        writer.WriteNumber("trainRows", network.TrainRowCount);
        writer.WriteNumber("testRows", network.Confusion.Total);
        writer.WriteNumber("testAccuracy", network.TestAccuracy);
        writer.WriteNumber("trainingSeconds", network.TrainingTime.TotalSeconds);

        writer.WritePropertyName("training");
        writer.WriteStartObject();
        writer.WriteNumber("steps", (network.Training.LastStep ?? -1) + 1);
        writer.WritePropertyName("validation");
        writer.WriteStartArray();
        var validationLoss = network.Training.Find(TrainingMonitor.LossName, TrainingSplit.Validation);
        var validationAccuracy = network.Training.Find("accuracy", TrainingSplit.Validation);
        if (validationLoss is not null)
        {
            for (int i = 0; i < validationLoss.Points.Length; i++)
            {
                var p = validationLoss.Points[i];
                writer.WriteStartObject();
                writer.WriteNumber("epoch", p.Epoch);
                writer.WriteNumber("step", p.Step);
                writer.WriteNumber("loss", p.Value);
                if (validationAccuracy is not null && i < validationAccuracy.Points.Length) writer.WriteNumber("accuracy", validationAccuracy.Points[i].Value);
                writer.WriteEndObject();
            }
        }
        writer.WriteEndArray();
        writer.WritePropertyName("finalGradientNorms");
        writer.WriteStartObject();
        foreach (var series in network.Training.GradientNorms)
            if (series.Last is { } last) writer.WriteNumber(series.Name, last.Value);
        writer.WriteEndObject();
        writer.WriteEndObject();

        writer.WritePropertyName("structure");
        StructureJson.Write(writer, network.Structure);

        writer.WritePropertyName("weights");
        writer.WriteStartArray();
        foreach (var t in network.Weights.Tensors)
        {
            var s = WeightSnapshot.Statistics(t);
            writer.WriteStartObject();
            writer.WriteString("name", t.Name);
            WriteShape(writer, "shape", t.Shape.Select(d => (long)d));
            WriteStatistics(writer, s);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();

        writer.WritePropertyName("activations");
        writer.WriteStartObject();
        WriteShape(writer, "inputShape", network.Activations.InputShape);
        writer.WritePropertyName("layers");
        writer.WriteStartArray();
        foreach (var l in network.Activations.Layers)
        {
            writer.WriteStartObject();
            writer.WriteString("name", l.Name);
            writer.WriteString("type", l.LayerType);
            WriteShape(writer, "shape", l.Shape);
            WriteStatistics(writer, l.Statistics);
            if (l.DeadFraction is { } dead) writer.WriteNumber("deadFraction", dead);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();

        writer.WritePropertyName("gradientFlow");
        writer.WriteStartObject();
        writer.WriteNumber("batchSize", network.GradientFlow.BatchSize);
        writer.WriteNumber("loss", network.GradientFlow.Loss);
        writer.WritePropertyName("warnings");
        writer.WriteStartArray();
        foreach (var w in network.GradientFlow.Warnings()) writer.WriteStringValue(w);
        writer.WriteEndArray();
        writer.WritePropertyName("layers");
        writer.WriteStartArray();
        foreach (var l in network.GradientFlow.Layers)
        {
            writer.WriteStartObject();
            writer.WriteString("name", l.Name);
            writer.WriteString("type", l.LayerType);
            if (l.Weights is { } w) writer.WriteNumber("weightsMeanAbsGradient", w.MeanAbsolute);
            if (l.Activations is { } a) writer.WriteNumber("outputMeanAbsGradient", a.MeanAbsolute);
            writer.WriteString("weightHealth", l.WeightHealth.ToString().ToLowerInvariant());
            writer.WriteString("outputHealth", l.ActivationHealth.ToString().ToLowerInvariant());
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();

        writer.WritePropertyName("confusionMatrix");
        writer.WriteStartObject();
        writer.WritePropertyName("classNames");
        writer.WriteStartArray();
        foreach (var name in network.Confusion.ClassNames) writer.WriteStringValue(name);
        writer.WriteEndArray();
        writer.WriteNumber("accuracy", network.Confusion.Accuracy);
        writer.WritePropertyName("counts");
        writer.WriteStartArray();
        for (int actual = 0; actual < network.Confusion.ClassCount; actual++)
        {
            writer.WriteStartArray();
            for (int predicted = 0; predicted < network.Confusion.ClassCount; predicted++) writer.WriteNumberValue(network.Confusion.Count(actual, predicted));
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();

        writer.WritePropertyName("explainedRows");
        writer.WriteStartArray();
        foreach (var r in network.ExplainedRows) writer.WriteNumberValue(r);
        writer.WriteEndArray();
        writer.WritePropertyName("explainedLabels");
        writer.WriteStartArray();
        foreach (var l in network.ExplainedLabels) writer.WriteStringValue(l);
        writer.WriteEndArray();
        writer.WritePropertyName("results");
        writer.WriteStartArray();
        foreach (var a in network.Attributions) ExplanationJson.Write(writer, a);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The console lines of the network part.</summary>
    public static IEnumerable<string> Summary(DemoNetworkResult network)
    {
        yield return string.Create(CultureInfo.InvariantCulture,
            $"{"digits CNN training",-24} {network.Epochs,4} epochs, {(network.Training.LastStep ?? -1) + 1} steps {network.TrainingTime.TotalSeconds,8:F3} s  held-out accuracy {network.TestAccuracy:P1}");
        foreach (var a in network.Attributions)
        {
            string quality = a.ConvergenceDeltas.IsDefaultOrEmpty ? "" : string.Create(CultureInfo.InvariantCulture, $"  max |convergence delta| {a.ConvergenceDeltas.Max(Math.Abs):G3}");
            yield return string.Create(CultureInfo.InvariantCulture,
                $"{"digits " + a.Method,-24} {a.ModelEvaluations,10} model evaluations {a.Elapsed.TotalSeconds,8:F3} s{quality}");
        }
    }

    private static void WriteShape(Utf8JsonWriter writer, string name, IEnumerable<long> shape)
    {
        writer.WritePropertyName(name);
        writer.WriteStartArray();
        foreach (var d in shape) writer.WriteNumberValue(d);
        writer.WriteEndArray();
    }

    private static void WriteStatistics(Utf8JsonWriter writer, ValueStatistics s)
    {
        Number(writer, "mean", s.Mean);
        Number(writer, "std", s.StandardDeviation);
        Number(writer, "min", s.Min);
        Number(writer, "max", s.Max);
        Number(writer, "norm", s.Norm);
        Number(writer, "zeroFraction", s.ZeroFraction);
    }

    private static void Number(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumber(name, value);
        else writer.WriteNull(name);
    }
}

/// <summary>What the network part of the demo computed.</summary>
internal sealed record DemoNetworkResult
{
    public required int Epochs { get; init; }
    public required int TrainRowCount { get; init; }
    public required double TestAccuracy { get; init; }
    public required TimeSpan TrainingTime { get; init; }
    public required TrainingSnapshot Training { get; init; }
    public required ModelStructure Structure { get; init; }
    public required WeightSnapshot Weights { get; init; }
    public required ActivationCapture Activations { get; init; }
    public required GradientFlow GradientFlow { get; init; }
    public LayerOutputGradient? LayerGradient { get; init; }
    public ActivationFunctionUsage? ActivationFunctions { get; init; }
    public required ConfusionMatrix Confusion { get; init; }
    public required ClassProbabilities Probabilities { get; init; }
    /// <summary>The dataset rows of the explained held-out images (one per digit).</summary>
    public required IReadOnlyList<int> ExplainedRows { get; init; }
    /// <summary>The true digit of each explained image.</summary>
    public required IReadOnlyList<string> ExplainedLabels { get; init; }
    /// <summary>Saliency, Integrated Gradients, Grad-CAM and occlusion of the explained images, each for its predicted digit.</summary>
    public required IReadOnlyList<AttributionExplanation> Attributions { get; init; }
    public required TimeSpan Elapsed { get; init; }
}
