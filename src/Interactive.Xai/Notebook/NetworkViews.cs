using System.Globalization;
using System.Text;
using Interactive.Xai.Charts;
using Interactive.Xai.Inspection;

namespace Interactive.Xai.Notebook;

/// <summary>What #!xai-distributions shows: a training monitor's weight or gradient distributions, optionally one tensor's histograms.</summary>
/// <param name="Distributions">The distributions logged so far.</param>
/// <param name="Kind">Weights or gradients; null for both.</param>
/// <param name="Tensor">A tensor whose per-epoch histograms to show; null for the first of each kind.</param>
public sealed record TrainingDistributionsView(TrainingDistributions Distributions, DistributionKind? Kind = null, string? Tensor = null);

/// <summary>Notebook HTML for the network views (inner-layer gradients, activation functions, distributions over training).</summary>
public static class NetworkViews
{
    /// <summary>The gradient images of an inner layer's output.</summary>
    public static string Html(LayerOutputGradient gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        var html = Open("xai-layer-gradient", $"Gradient of the output with respect to {gradient.Layer}");
        NotebookHtml.AppendChart(html, LayerGradientCharts.Magnitudes(gradient));
        NotebookHtml.AppendChart(html, LayerGradientCharts.Channels(gradient, 0));
        return Close(html);
    }

    /// <summary>The activation functions' curves over the reached ranges, with a table of the ranges.</summary>
    public static string Html(ActivationFunctionUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var html = Open("xai-activation-functions", "Activation functions over the inputs they reach");
        NotebookHtml.AppendTable(html, ["layer", "function", "calls", "inputs from", "to", "median", "below 0"],
            usage.Layers.Select(l => (IReadOnlyList<string>)[l.Layer, l.FunctionType, l.Calls.ToString(CultureInfo.InvariantCulture),
                NotebookHtml.Number(l.ReachedMinimum), NotebookHtml.Number(l.ReachedMaximum), NotebookHtml.Number(l.PreActivations.Median),
                double.IsNaN(l.NegativeFraction) ? "" : l.NegativeFraction.ToString("0.0%", CultureInfo.InvariantCulture)]));
        NotebookHtml.AppendChart(html, ActivationFunctionCharts.Curves(usage));
        return Close(html);
    }

    /// <summary>Distributions over training: quantile bands of every tensor and one tensor's per-epoch histograms, per kind.</summary>
    public static string Html(TrainingDistributionsView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var html = Open("xai-distributions", "Distributions over training");
        foreach (var kind in view.Kind is { } k ? [k] : new[] { DistributionKind.Weights, DistributionKind.Gradients })
        {
            var tensors = view.Distributions.Tensors(kind);
            if (tensors.Count == 0) continue;
            NotebookHtml.AppendChart(html, TrainingDistributionCharts.Bands(view.Distributions, kind));
            NotebookHtml.AppendChart(html, TrainingDistributionCharts.Histograms(view.Distributions, kind, view.Tensor ?? tensors[0]));
        }
        return Close(html);
    }

    private static StringBuilder Open(string kind, string heading)
        => new StringBuilder(NotebookHtml.PlotlyBootstrap()).Append(NotebookHtml.Style).Append("<div class=\"xai-view ").Append(kind).Append("\">")
            .Append("<h3>").Append(NotebookHtml.Encode(heading)).Append("</h3>\n");

    private static string Close(StringBuilder html) => html.Append("</div>").ToString();
}
