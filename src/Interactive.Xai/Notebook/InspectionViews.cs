using System.Globalization;
using System.Text;
using Interactive.Xai.Charts;
using Interactive.Xai.Inspection;

namespace Interactive.Xai.Notebook;

/// <summary>
/// HTML for the inspection records (weights, activations, gradient flow, attention, feature visualisations), the
/// training monitor's dashboard, confusion matrices and layer-by-layer structures of neural networks: each a heading,
/// a table of figures and its charts.
/// </summary>
public static class InspectionViews
{
    /// <summary>Weight tensors drawn as filter grids or heatmaps (at most this many).</summary>
    public const int MaxWeightMatrices = 6;

    /// <summary>Feature-map charts of an activation capture (at most this many layers).</summary>
    public const int MaxActivationLayers = 4;

    /// <summary>A neural network's structure: the layer table (execution order, output shape, parameters), totals and the layer tree.</summary>
    public static string LayerSummary(ModelStructure structure, string? hint = null)
    {
        ArgumentNullException.ThrowIfNull(structure);
        var html = Open("xai-model", $"{structure.Name} ({structure.Format})");
        NotebookHtml.AppendFacts(html, LayerSummaryCharts.Totals(structure).Select(t => (t.Key, t.Value)));
        NotebookHtml.AppendTable(html, ["Layer (type: name)", "Output shape", "Param #", "Trainable"], LayerSummaryCharts.Rows(structure), "Layers in execution order");
        NotebookHtml.AppendChart(html, LayerSummaryCharts.Tree(structure));
        if (hint is not null) html.Append("<p class=\"xai-hint\">").Append(NotebookHtml.Encode(hint)).Append("</p>");
        return Close(html);
    }

    /// <summary>A network's parameters without a traced forward pass: parameters per layer, the tensors, and their statistics chart.</summary>
    public static string Parameters(string name, WeightSnapshot weights, string hint)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var html = Open("xai-model", name);
        var perLayer = weights.Tensors
            .GroupBy(t => t.Name.LastIndexOf('.') is var dot and > 0 ? t.Name[..dot] : "(root)", StringComparer.Ordinal)
            .Select(g => (IReadOnlyList<string>)[g.Key, string.Join(", ", g.Select(t => t.Name[(t.Name.LastIndexOf('.') + 1)..] + " [" + string.Join(", ", t.Shape) + "]")),
                g.Sum(t => (long)t.ValueCount).ToString("N0", CultureInfo.InvariantCulture), g.All(t => t.Trainable) ? "yes" : g.Any(t => t.Trainable) ? "partly" : "no"]);
        NotebookHtml.AppendFacts(html, [("parameters", weights.Tensors.Sum(t => (long)t.ValueCount).ToString("N0", CultureInfo.InvariantCulture) + $" in {weights.Tensors.Length} tensors")]);
        NotebookHtml.AppendTable(html, ["layer", "tensors", "Param #", "trainable"], perLayer, "Parameters per layer");
        if (weights.Tensors.Length > 0) NotebookHtml.AppendChart(html, WeightCharts.Statistics(weights));
        html.Append("<p class=\"xai-hint\">").Append(NotebookHtml.Encode(hint)).Append("</p>");
        return Close(html);
    }

    /// <summary>Weight tensors: a statistics table, the per-tensor statistics and histograms, and the first matrices (conv filters as grids).</summary>
    public static string Html(WeightSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var html = Open("xai-weights", $"Weights: {snapshot.Label}");
        NotebookHtml.AppendTable(html, ["tensor", "shape", "values", "trainable", "mean", "std", "min", "max", "‖w‖"],
            snapshot.Tensors.Select(t =>
            {
                var s = WeightSnapshot.Statistics(t);
                return (IReadOnlyList<string>)[t.Name, Shape(t.Shape), t.ValueCount.ToString("N0", CultureInfo.InvariantCulture), t.Trainable ? "yes" : "no",
                    NotebookHtml.Number(s.Mean), NotebookHtml.Number(s.StandardDeviation), NotebookHtml.Number(s.Min), NotebookHtml.Number(s.Max), NotebookHtml.Number(s.Norm)];
            }), "Parameter tensors");
        if (snapshot.Tensors.Length == 0)
        {
            html.Append("<p class=\"xai-hint\">The model has no parameter tensors.</p>");
            return Close(html);
        }
        NotebookHtml.AppendChart(html, WeightCharts.Statistics(snapshot));
        NotebookHtml.AppendChart(html, WeightCharts.Histograms(snapshot));
        foreach (var tensor in snapshot.Tensors.Where(t => t.Shape.Length >= 2 && !t.Values.IsDefaultOrEmpty).Take(MaxWeightMatrices))
            NotebookHtml.AppendChart(html, tensor.Shape.Length == 4 ? WeightCharts.FilterGrid(tensor) : WeightCharts.Heatmap(tensor));
        return Close(html);
    }

    /// <summary>Layer outputs: statistics per layer, their distributions, dead units, and feature maps of the first convolutional layers.</summary>
    public static string Html(ActivationCapture capture)
    {
        ArgumentNullException.ThrowIfNull(capture);
        var html = Open("xai-activations", $"Activations for inputs [{string.Join(", ", capture.InputShape)}]");
        NotebookHtml.AppendTable(html, ["layer", "type", "shape", "mean", "std", "min", "max", "zero", "dead units"],
            capture.Layers.Select(l => (IReadOnlyList<string>)[l.Name, l.LayerType, Shape(l.Shape), NotebookHtml.Number(l.Statistics.Mean), NotebookHtml.Number(l.Statistics.StandardDeviation),
                NotebookHtml.Number(l.Statistics.Min), NotebookHtml.Number(l.Statistics.Max), Percent(l.Statistics.ZeroFraction), l.DeadFraction is { } d ? Percent(d) : ""]), "Layers");
        NotebookHtml.AppendChart(html, ActivationCharts.Distributions(capture));
        if (capture.Layers.Any(l => l.DeadFraction is not null)) NotebookHtml.AppendChart(html, ActivationCharts.DeadUnits(capture));
        int charts = 0;
        foreach (var layer in capture.Layers)
        {
            if (charts >= MaxActivationLayers) break;
            if (layer.Kind == ActivationKind.FeatureMaps && layer.Shape.Length == 4) { NotebookHtml.AppendChart(html, ActivationCharts.FeatureMaps(layer)); charts++; }
            else if (layer.Kind == ActivationKind.Recurrent) { NotebookHtml.AppendChart(html, ActivationCharts.HiddenStates(layer)); charts++; }
        }
        return Close(html);
    }

    /// <summary>Per-layer gradient magnitudes with vanishing or exploding layers named.</summary>
    public static string Html(GradientFlow flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        var html = Open("xai-gradients", "Gradient flow");
        var warnings = flow.Warnings();
        html.Append("<p>").Append(NotebookHtml.Encode(warnings.Count == 0 ? "No vanishing or exploding gradients." : "Warnings: " + string.Join("; ", warnings) + ".")).Append("</p>");
        NotebookHtml.AppendTable(html, ["layer", "type", "weights mean |grad|", "weights max |grad|", "output mean |grad|", "output max |grad|"],
            flow.Layers.Select(l => (IReadOnlyList<string>)[l.Name, l.LayerType, Number(l.Weights?.MeanAbsolute), Number(l.Weights?.MaxAbsolute),
                Number(l.Activations?.MeanAbsolute), Number(l.Activations?.MaxAbsolute)]), "Layers");
        NotebookHtml.AppendChart(html, GradientFlowCharts.Bars(flow));
        return Close(html);
    }

    /// <summary>An attention layer's weights as a heatmap with a head selector.</summary>
    public static string Html(AttentionWeights attention)
    {
        ArgumentNullException.ThrowIfNull(attention);
        var html = Open("xai-attention", $"Attention: {attention.Layer}");
        NotebookHtml.AppendChart(html, AttentionCharts.Heatmap(attention));
        return Close(html);
    }

    /// <summary>Feature visualisations: the optimised inputs and the objective per step.</summary>
    public static string Html(IReadOnlyList<FeatureVisualization> visualizations)
    {
        ArgumentNullException.ThrowIfNull(visualizations);
        var html = Open("xai-features", "Feature visualisation");
        NotebookHtml.AppendTable(html, ["layer", "unit", "start activation", "final activation"],
            visualizations.Select(v => (IReadOnlyList<string>)[v.Layer, v.Unit.ToString(CultureInfo.InvariantCulture), NotebookHtml.Number(v.StartActivation), NotebookHtml.Number(v.FinalActivation)]));
        if (visualizations.Count > 0)
        {
            NotebookHtml.AppendChart(html, FeatureVisualizationCharts.Images(visualizations));
            NotebookHtml.AppendChart(html, FeatureVisualizationCharts.Progress(visualizations));
        }
        return Close(html);
    }

    /// <summary>A confusion matrix: accuracy, per-class recall and precision, and the row-normalised heatmap.</summary>
    public static string Html(ConfusionMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var html = Open("xai-confusion", $"Confusion matrix ({matrix.Total.ToString("N0", CultureInfo.InvariantCulture)} rows)");
        NotebookHtml.AppendFacts(html, [("accuracy", NotebookHtml.Number(matrix.Accuracy))]);
        NotebookHtml.AppendChart(html, OutputCharts.ConfusionMatrix(matrix));
        NotebookHtml.AppendTable(html, ["class", "rows", "recall", "precision"],
            Enumerable.Range(0, matrix.ClassCount).Select(c => (IReadOnlyList<string>)[matrix.ClassNames[c], matrix.ActualCount(c).ToString(CultureInfo.InvariantCulture),
                NotebookHtml.Number(matrix.Recall(c)), NotebookHtml.Number(matrix.Precision(c))]), "Per class");
        return Close(html);
    }

    /// <summary>The training monitor's dashboard for its current snapshot: facts and the curves.</summary>
    public static string Html(TrainingMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        var snapshot = monitor.Snapshot();
        var html = Open("xai-training", monitor.IsCompleted ? "Training (finished)" : "Training");
        NotebookHtml.AppendFacts(html, TrainingCharts.Facts(snapshot));
        NotebookHtml.AppendChart(html, TrainingCharts.Dashboard(snapshot));
        return Close(html);
    }

    /// <summary>A training snapshot: facts and the dashboard of every recorded curve.</summary>
    public static string Html(TrainingSnapshot snapshot) => Html(new TrainingView(snapshot, "dashboard"));

    /// <summary>A training snapshot as the dashboard or one of its charts.</summary>
    public static string Html(TrainingView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var snapshot = view.Snapshot;
        var html = Open("xai-training", snapshot.IsCompleted ? "Training (finished)" : "Training");
        NotebookHtml.AppendFacts(html, TrainingCharts.Facts(snapshot));
        NotebookHtml.AppendChart(html, view.Chart switch
        {
            "dashboard" => TrainingCharts.Dashboard(snapshot),
            "learning-rate" => TrainingCharts.LearningRate(snapshot),
            "gradients" => TrainingCharts.GradientNorms(snapshot),
            var metric => TrainingCharts.Metric(snapshot, metric),
        });
        return Close(html);
    }

    /// <summary>Rows shown as probability bars by <see cref="Html(ClassProbabilities)"/> (the rest are in the heatmap).</summary>
    public const int MaxProbabilityBars = 3;

    /// <summary>Class probabilities: accuracy when labels are known, the rows-by-classes heatmap and the first rows' bars.</summary>
    public static string Html(ClassProbabilities probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var html = Open("xai-probabilities", $"Class probabilities ({probabilities.RowCount.ToString("N0", CultureInfo.InvariantCulture)} rows, {probabilities.ClassCount} classes)");
        var facts = new List<(string, string)> { ("scores", probabilities.AppliedSoftmax ? "softmax of the model's logits" : "the model's probabilities") };
        if (!probabilities.Actual.IsDefaultOrEmpty)
        {
            int right = Enumerable.Range(0, probabilities.RowCount).Count(r => probabilities.Predicted[r] == probabilities.Actual[r]);
            facts.Add(("accuracy", NotebookHtml.Number((double)right / Math.Max(1, probabilities.RowCount))));
        }
        NotebookHtml.AppendFacts(html, facts);
        if (probabilities.RowCount > 0)
        {
            NotebookHtml.AppendChart(html, OutputCharts.ProbabilityHeatmap(probabilities));
            for (int r = 0; r < Math.Min(MaxProbabilityBars, probabilities.RowCount); r++) NotebookHtml.AppendChart(html, OutputCharts.Probabilities(probabilities, r));
        }
        return Close(html);
    }

    /// <summary>How weights changed between two snapshots: relative change per tensor and the value histograms of the most changed one.</summary>
    public static string Html(WeightComparison comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        var html = Open("xai-weight-changes", $"Weights: {comparison.Before.Label} vs {comparison.After.Label}");
        NotebookHtml.AppendTable(html, ["tensor", "relative change", "mean |Δ|", "max |Δ|"],
            comparison.Changes.Select(c => (IReadOnlyList<string>)[c.Name, NotebookHtml.Number(c.RelativeChange), NotebookHtml.Number(c.Difference.MeanAbsolute),
                NotebookHtml.Number(Math.Max(Math.Abs(c.Difference.Min), Math.Abs(c.Difference.Max)))]), "Changes per tensor");
        if (comparison.Changes.Length > 0)
        {
            NotebookHtml.AppendChart(html, WeightCharts.Changes(comparison));
            var most = comparison.Changes.MaxBy(c => double.IsFinite(c.RelativeChange) ? c.RelativeChange : double.MaxValue)!;
            NotebookHtml.AppendChart(html, WeightCharts.Comparison(comparison, most.Name));
        }
        return Close(html);
    }

    private static StringBuilder Open(string kind, string heading)
        => new StringBuilder(NotebookHtml.PlotlyBootstrap()).Append(NotebookHtml.Style).Append("<div class=\"xai-view ").Append(kind).Append("\">")
            .Append("<h3>").Append(NotebookHtml.Encode(heading)).Append("</h3>\n");

    private static string Close(StringBuilder html) => html.Append("</div>").ToString();

    private static string Shape<T>(IEnumerable<T> shape) => "[" + string.Join(", ", shape) + "]";

    private static string Percent(double fraction) => (100 * fraction).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Number(double? value) => value is { } v ? NotebookHtml.Number(v) : "";
}
