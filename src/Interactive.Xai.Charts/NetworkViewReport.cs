using System.Globalization;
using Interactive.Xai.Inspection;

namespace Interactive.Xai.Charts;

/// <summary>Report sections for the network views: inner-layer gradients, activation functions, distributions over training.</summary>
public static class NetworkViewReport
{
    /// <summary>Adds a section with the channel-summed gradient images of every row and the per-channel gradients of <paramref name="row"/>.</summary>
    public static HtmlReport AddLayerOutputGradient(this HtmlReport report, LayerOutputGradient gradient, int row = 0)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(gradient);
        report.AddHeading($"Gradient of the output with respect to {gradient.Layer}");
        report.AddParagraph($"Where these images are bright, a change of {gradient.Layer}'s feature maps changes the output most (each row's own target output; " +
            "the sum over channels of |d output / d activation|). The second chart shows one row's gradient per channel, signed, on one scale.");
        report.AddChart(LayerGradientCharts.Magnitudes(gradient));
        report.AddChart(LayerGradientCharts.Channels(gradient, row));
        return report;
    }

    /// <summary>Adds a section with each activation function's curve over the range its inputs reach, and a table of the ranges.</summary>
    public static HtmlReport AddActivationFunctions(this HtmlReport report, ActivationFunctionUsage usage)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(usage);
        report.AddHeading("Activation functions over the inputs they reach");
        report.AddTable(["layer", "function", "calls", "inputs from", "to", "median", "below 0"],
            usage.Layers.Select(l => (IReadOnlyList<string>)[l.Layer, l.FunctionType, l.Calls.ToString(CultureInfo.InvariantCulture),
                G(l.ReachedMinimum), G(l.ReachedMaximum), G(l.PreActivations.Median), double.IsNaN(l.NegativeFraction) ? "" : l.NegativeFraction.ToString("0.0%", CultureInfo.InvariantCulture)]));
        report.AddChart(ActivationFunctionCharts.Curves(usage));
        return report;
    }

    /// <summary>Adds the weight and gradient distributions over training that were logged (quantile bands, and the first tensor's histograms).</summary>
    public static HtmlReport AddTrainingDistributions(this HtmlReport report, TrainingDistributions distributions)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(distributions);
        foreach (var kind in new[] { DistributionKind.Weights, DistributionKind.Gradients })
        {
            var tensors = distributions.Tensors(kind);
            if (tensors.Count == 0) continue;
            report.AddHeading(kind == DistributionKind.Weights ? "Weight distributions over training" : "Gradient distributions over training");
            report.AddChart(TrainingDistributionCharts.Bands(distributions, kind));
            report.AddChart(TrainingDistributionCharts.Histograms(distributions, kind, tensors[0]));
        }
        return report;
    }

    private static string G(double value) => double.IsNaN(value) ? "" : value.ToString("G4", CultureInfo.InvariantCulture);
}
