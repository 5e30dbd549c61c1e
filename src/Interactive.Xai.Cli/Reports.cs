using System.Globalization;
using Interactive.Xai.Charts;

namespace Interactive.Xai.Cli;

/// <summary>The HTML reports the command line writes.</summary>
internal static class Reports
{
    /// <summary>The report of one `xai explain` run.</summary>
    public static string ForExplanation(Explanation explanation, string modelPath, string dataPath)
    {
        var report = new HtmlReport($"{ExplanationReport.Heading(explanation)} — {Path.GetFileName(modelPath)}");
        report.AddParagraph(string.Create(CultureInfo.InvariantCulture,
            $"Model {Path.GetFileName(modelPath)}, data {Path.GetFileName(dataPath)}; {explanation.Method} used {explanation.ModelEvaluations:N0} model evaluations in {explanation.Elapsed.TotalSeconds:F3} s."));
        report.AddExplanation(explanation);
        return report.ToHtml();
    }

    /// <summary>The demo report: every method's result on the built-in diabetes model, then the digits CNN's sections.</summary>
    public static string ForDemo(IReadOnlyList<Explanation> results, IModel model, DemoNetworkResult? network = null)
    {
        var report = new HtmlReport(network is null
            ? "Interactive.Xai demo — diabetes progression, ML.NET FastTree"
            : "Interactive.Xai demo — diabetes progression (ML.NET FastTree) and 8x8 digits (TorchSharp CNN)");
        report.AddParagraph(
            "A FastTree regression (100 trees of 8 leaves) trained in process on scikit-learn's diabetes data (442 patients, " +
            $"{model.FeatureCount} features: age, sex, body-mass index, blood pressure and six blood serum measurements, in their original units; " +
            "the target is a measure of disease progression one year after baseline). " +
            "Every chart is interactive: hover for values, drag to zoom, double-click to reset. In the attribution sections, " +
            "click a dot in the beeswarm or a cell in the heatmap to see that patient's waterfall.");
        report.AddTable(["method", "model evaluations", "seconds", "quality"], results.Select(r => (IReadOnlyList<string>)
        [
            r.Method,
            r.ModelEvaluations.ToString("N0", CultureInfo.InvariantCulture),
            r.Elapsed.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture),
            ExplanationReport.QualitySummary(r),
        ]), "What each method cost");
        foreach (var result in results)
        {
            if (result is PartialDependenceExplanation { Method: "ice" } ice)
            {
                report.AddHeading($"Centred ICE curves for {ice.Feature}");
                report.AddParagraph("Each thin line is one patient's prediction as the feature varies, shifted to start at zero; the thick line is their mean (centred partial dependence). Spread between lines points to interactions.");
                report.AddChart(PartialDependenceCharts.Line(ice, centered: true));
                continue;
            }
            if (result is AttributionExplanation { Method: "kernel-shap" } kernel
                && results.OfType<AttributionExplanation>().FirstOrDefault(e => e.Method == "exact-shap" && e.RowCount == kernel.RowCount) is { } exact)
            {
                AddKernelComparison(report, kernel, exact);
                continue;
            }
            report.AddExplanation(result);
        }
        if (network is not null) AddNetwork(report, network);
        return report.ToHtml();
    }

    /// <summary>
    /// The digits CNN's sections, in this order: training (1 chart), layer summary (2), weights (statistics,
    /// histograms, one chart per tensor of two or more dimensions, at most 6), activations (distributions, dead units
    /// when any layer has them, feature maps of up to 6 convolutional layers), gradient flow (1), held-out outputs
    /// (confusion matrix, probability heatmap, first row's probabilities) and per image method a grid of overlays and
    /// the mean |attribution| map (2 each).
    /// </summary>
    private static void AddNetwork(HtmlReport report, DemoNetworkResult network)
    {
        report.AddHeading("Neural network: a CNN on the 8x8 digits");
        var inv = CultureInfo.InvariantCulture;
        report.AddParagraph(
            "A small TorchSharp CNN (conv1 8 channels 3x3 - ReLU - 2x2 max-pool - conv2 16 channels 3x3 - ReLU - linear, softmax outputs) trained in process " +
            string.Create(inv, $"for {network.Epochs} epochs with Adam on {network.TrainRowCount:N0} of scikit-learn's 1,797 handwritten 8x8 digits (pixel values 0..16) in {network.TrainingTime.TotalSeconds:F1} s; ") +
            string.Create(inv, $"the other {network.Confusion.Total:N0} were held out and the network scores {network.TestAccuracy * 100:F1}% on them. ") +
            "The sections below show its training curves, its layers, weights, activations and gradients, its held-out outputs, and four attribution methods " +
            "on one held-out image of each digit, each explaining the digit the network predicts.");
        report.AddTraining(network.Training, "Training the digits CNN: loss, accuracy, learning rate and gradient norms");
        report.AddTrainingDistributions(network.Training.Distributions);
        report.AddLayerSummary(network.Structure);
        report.AddWeights(network.Weights);
        report.AddActivations(network.Activations);
        report.AddGradientFlow(network.GradientFlow);
        if (network.LayerGradient is { } layerGradient) report.AddLayerOutputGradient(layerGradient);
        if (network.ActivationFunctions is { } activationFunctions) report.AddActivationFunctions(activationFunctions);
        report.AddClassifierOutputs(network.Confusion, network.Probabilities, "Held-out digits: confusion matrix and class probabilities");
        foreach (var a in network.Attributions)
        {
            report.AddHeading($"{ExplanationReport.Heading(a)} on held-out digits");
            report.AddTable([], ExplanationReport.Facts(a).Select(f => (IReadOnlyList<string>)[f.Label, f.Value]));
            if (!a.ConvergenceDeltas.IsDefaultOrEmpty)
            {
                report.AddParagraph("Completeness: the attributions of each image add up to f(x) - f(baseline) for its predicted digit, up to the convergence delta below (the integral's numerical error).");
                report.AddTable(["image", "true digit", "predicted", "f(x)", "f(black image)", "sum of attributions", "convergence delta"],
                    Enumerable.Range(0, a.RowCount).Select(r =>
                    {
                        int t = a.RowTargets.IsDefaultOrEmpty ? 0 : a.RowTargets[r];
                        double sum = 0;
                        for (int f = 0; f < a.FeatureCount; f++) sum += a.Value(r, f);
                        return (IReadOnlyList<string>)
                        [
                            r.ToString(CultureInfo.InvariantCulture), network.ExplainedLabels[r], network.Confusion.ClassNames[t],
                            G(a.Prediction(r)), G(a.Prediction(r) - sum + a.ConvergenceDeltas[r]), G(sum), a.ConvergenceDeltas[r].ToString("G3", CultureInfo.InvariantCulture),
                        ];
                    }), "Integrated Gradients convergence per image");
            }
            report.AddChart(ImageAttributionCharts.Grid(a, labels: network.ExplainedLabels, columns: 5));
            report.AddChart(ImageAttributionCharts.MeanAbsoluteMap(a));
        }
    }

    /// <summary>
    /// Kernel SHAP next to the exact values it estimates: how far apart they are over every row and feature, and the
    /// bars of both for the first row and for the row where they differ most (instead of repeating exact SHAP's charts).
    /// </summary>
    private static void AddKernelComparison(HtmlReport report, AttributionExplanation kernel, AttributionExplanation exact)
    {
        report.AddHeading($"{ExplanationReport.MethodTitle(kernel.Method)} compared with exact Shapley values");
        report.AddTable([], ExplanationReport.Facts(kernel).Select(f => (IReadOnlyList<string>)[f.Label, f.Value]));
        double maxDifference = 0, sumDifference = 0, sumExact = 0;
        int worstRow = 0;
        for (int r = 0; r < kernel.RowCount; r++)
            for (int f = 0; f < kernel.FeatureCount; f++)
            {
                double d = Math.Abs(kernel.Value(r, f) - exact.Value(r, f));
                sumDifference += d;
                sumExact += Math.Abs(exact.Value(r, f));
                if (d > maxDifference) { maxDifference = d; worstRow = r; }
            }
        int cells = kernel.RowCount * kernel.FeatureCount;
        var inv = CultureInfo.InvariantCulture;
        report.AddParagraph(
            string.Create(inv, $"Kernel SHAP estimates the same Shapley values as the exact method from {kernel.ModelEvaluations:N0} model evaluations (exact: {exact.ModelEvaluations:N0}). ") +
            string.Create(inv, $"Over {kernel.RowCount} rows x {kernel.FeatureCount} features the mean |difference| is {sumDifference / cells:G3} ") +
            string.Create(inv, $"({100 * sumDifference / Math.Max(sumExact, double.Epsilon):F1}% of the mean |exact value| {sumExact / cells:G3}), the largest {maxDifference:G3} (row {worstRow}). ") +
            "The bars below put both methods' values side by side for row 0 and for that row; the exact section above has the other charts.");
        report.AddChart(ComparisonCharts.Bars([exact, kernel], 0));
        if (worstRow != 0) report.AddChart(ComparisonCharts.Bars([exact, kernel], worstRow));
    }

    private static string G(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}
