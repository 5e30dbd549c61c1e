using System.Globalization;
using Interactive.Xai.Inspection;

namespace Interactive.Xai.Charts;

/// <summary>Report sections for network inspection: layer summary, weights, activations, gradient flow, attention and feature visualisation.</summary>
public static class InspectionReport
{
    /// <summary>Adds a torchinfo-style layer summary: the table with totals and memory, the module tree and the data-flow graph.</summary>
    public static HtmlReport AddLayerSummary(this HtmlReport report, ModelStructure structure)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(structure);
        report.AddHeading($"{structure.Name}: layer summary");
        report.AddTable(["Layer (type: name)", "Output shape", "Param #", "Trainable"], LayerSummaryCharts.Rows(structure), "Layers in execution order");
        report.AddTable([], LayerSummaryCharts.Totals(structure).Select(t => (IReadOnlyList<string>)[t.Key, t.Value]), "Totals");
        report.AddChart(LayerSummaryCharts.Tree(structure));
        report.AddChart(StructureCharts.Graph(structure));
        return report;
    }

    /// <summary>Adds a weights section: statistics table and chart, histograms, a heatmap of each 2-D weight and a filter grid of each convolution weight.</summary>
    public static HtmlReport AddWeights(this HtmlReport report, WeightSnapshot snapshot, int maxMatrices = 6)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(snapshot);
        report.AddHeading($"Weights: {snapshot.Label}");
        report.AddTable(["tensor", "shape", "values", "trainable", "mean", "std", "min", "max", "‖w‖"],
            snapshot.Tensors.Select(t =>
            {
                var s = WeightSnapshot.Statistics(t);
                return (IReadOnlyList<string>)[t.Name, "[" + string.Join(", ", t.Shape) + "]", t.ValueCount.ToString("N0", CultureInfo.InvariantCulture),
                    t.Trainable ? "yes" : "no", G(s.Mean), G(s.StandardDeviation), G(s.Min), G(s.Max), G(s.Norm)];
            }), "Parameter tensors");
        report.AddChart(WeightCharts.Statistics(snapshot));
        report.AddChart(WeightCharts.Histograms(snapshot));
        foreach (var tensor in snapshot.Tensors.Where(t => t.Shape.Length >= 2 && !t.Values.IsDefaultOrEmpty).Take(maxMatrices))
            report.AddChart(tensor.Shape.Length == 4 ? WeightCharts.FilterGrid(tensor) : WeightCharts.Heatmap(tensor));
        return report;
    }

    /// <summary>Adds a before/after section: the change of every tensor, and the overlaid histograms of the most changed one.</summary>
    public static HtmlReport AddWeightComparison(this HtmlReport report, WeightComparison comparison)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(comparison);
        report.AddHeading($"Weights: {comparison.Before.Label} vs {comparison.After.Label}");
        report.AddTable(["tensor", "relative change", "mean |Δ|", "max |Δ|"],
            comparison.Changes.Select(c => (IReadOnlyList<string>)[c.Name, G(c.RelativeChange), G(c.Difference.MeanAbsolute), G(c.Difference.MaxAbsolute)]));
        report.AddChart(WeightCharts.Changes(comparison));
        if (comparison.Changes.Length > 0)
            report.AddChart(WeightCharts.Comparison(comparison, comparison.Changes.MaxBy(c => double.IsFinite(c.RelativeChange) ? c.RelativeChange : double.MaxValue)!.Name));
        return report;
    }

    /// <summary>Adds an activations section: distributions, dead-ReLU bars, and for input <paramref name="sample"/> the feature maps of convolutional layers and hidden states of recurrent layers.</summary>
    public static HtmlReport AddActivations(this HtmlReport report, ActivationCapture capture, int sample = 0, int maxLayerCharts = 6)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(capture);
        report.AddHeading($"Activations for inputs [{string.Join(", ", capture.InputShape)}]");
        report.AddTable(["layer", "type", "shape", "mean", "std", "min", "max", "zero", "dead units"],
            capture.Layers.Select(l => (IReadOnlyList<string>)[l.Name, l.LayerType, "[" + string.Join(", ", l.Shape) + "]", G(l.Statistics.Mean), G(l.Statistics.StandardDeviation),
                G(l.Statistics.Min), G(l.Statistics.Max), Percent(l.Statistics.ZeroFraction),
                l.DeadFraction is { } d ? Percent(d) : ""]));
        report.AddChart(ActivationCharts.Distributions(capture));
        if (capture.Layers.Any(l => l.DeadFraction is not null)) report.AddChart(ActivationCharts.DeadUnits(capture));
        int charts = 0;
        foreach (var layer in capture.Layers)
        {
            if (charts >= maxLayerCharts) break;
            if (layer.Kind == ActivationKind.FeatureMaps && layer.Shape.Length == 4) { report.AddChart(ActivationCharts.FeatureMaps(layer, sample)); charts++; }
            else if (layer.Kind == ActivationKind.Recurrent) { report.AddChart(ActivationCharts.HiddenStates(layer, sample)); charts++; }
        }
        return report;
    }

    /// <summary>Adds a gradient-flow section: the warnings, a table of per-layer gradients and the log-scale bar chart.</summary>
    public static HtmlReport AddGradientFlow(this HtmlReport report, GradientFlow flow)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(flow);
        report.AddHeading("Gradient flow");
        var warnings = flow.Warnings();
        report.AddParagraph(warnings.Count == 0 ? "No vanishing or exploding gradients." : "Warnings: " + string.Join("; ", warnings) + ".");
        report.AddTable(["layer", "type", "weights mean |grad|", "weights max |grad|", "output mean |grad|", "output max |grad|", "status"],
            flow.Layers.Select(l => (IReadOnlyList<string>)[l.Name, l.LayerType, G(l.Weights?.MeanAbsolute), G(l.Weights?.MaxAbsolute), G(l.Activations?.MeanAbsolute), G(l.Activations?.MaxAbsolute),
                string.Join(", ", new[] { l.WeightHealth != GradientHealth.Normal ? $"weights {l.WeightHealth.ToString().ToLowerInvariant()}" : null, l.ActivationHealth != GradientHealth.Normal ? $"output {l.ActivationHealth.ToString().ToLowerInvariant()}" : null }.OfType<string>())]));
        report.AddChart(GradientFlowCharts.Bars(flow));
        return report;
    }

    /// <summary>Adds an attention section: the heatmap of input <paramref name="sample"/> with a head dropdown.</summary>
    public static HtmlReport AddAttention(this HtmlReport report, AttentionWeights attention, int sample = 0, int? head = 0)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(attention);
        report.AddHeading($"Attention: {attention.Layer}");
        report.AddChart(AttentionCharts.Heatmap(attention, sample, head));
        return report;
    }

    /// <summary>Adds a feature-visualisation section: the image grid, a table of start and final activations, and the objective per step.</summary>
    public static HtmlReport AddFeatureVisualizations(this HtmlReport report, IReadOnlyList<FeatureVisualization> visualizations)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(visualizations);
        report.AddHeading("Feature visualisation");
        report.AddTable(["layer", "unit", "start activation", "final activation"],
            visualizations.Select(v => (IReadOnlyList<string>)[v.Layer, v.Unit.ToString(CultureInfo.InvariantCulture), G(v.StartActivation), G(v.FinalActivation)]));
        report.AddChart(FeatureVisualizationCharts.Images(visualizations));
        report.AddChart(FeatureVisualizationCharts.Progress(visualizations));
        return report;
    }

    private static string Percent(double fraction) => (100 * fraction).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string G(double? value) => value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "";
}
