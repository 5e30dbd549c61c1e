using Interactive.Xai.Inspection;
using Interactive.Xai.Torch;
using Microsoft.DotNet.Interactive.Formatting;
using TorchSharp;

namespace Interactive.Xai.Notebook;

public static partial class NotebookFormatters
{
    static partial void RegisterTrainingMonitor()
    {
        Formatter.Register<TrainingMonitor>((m, writer) => writer.Write(InspectionViews.Html(m)), Html);
        Formatter.Register<WeightSnapshot>((s, writer) => writer.Write(InspectionViews.Html(s)), Html);
        Formatter.Register<ActivationCapture>((c, writer) => writer.Write(InspectionViews.Html(c)), Html);
        Formatter.Register<GradientFlow>((f, writer) => writer.Write(InspectionViews.Html(f)), Html);
        Formatter.Register<AttentionWeights>((a, writer) => writer.Write(InspectionViews.Html(a)), Html);
        Formatter.Register<FeatureVisualization>((v, writer) => writer.Write(InspectionViews.Html([v])), Html);
        Formatter.Register<IReadOnlyList<FeatureVisualization>>((v, writer) => writer.Write(InspectionViews.Html(v)), Html);
        Formatter.Register<FeatureVisualization[]>((v, writer) => writer.Write(InspectionViews.Html(v)), Html);
        Formatter.Register<List<FeatureVisualization>>((v, writer) => writer.Write(InspectionViews.Html(v)), Html);
        Formatter.Register<ConfusionMatrix>((m, writer) => writer.Write(InspectionViews.Html(m)), Html);
        Formatter.Register<ClassProbabilities>((p, writer) => writer.Write(InspectionViews.Html(p)), Html);
        Formatter.Register<TrainingSnapshot>((s, writer) => writer.Write(InspectionViews.Html(s)), Html);
        Formatter.Register<TrainingView>((v, writer) => writer.Write(InspectionViews.Html(v)), Html);
        Formatter.Register<WeightComparison>((c, writer) => writer.Write(InspectionViews.Html(c)), Html);
        Formatter.Register<NativeLibraryDiagnosis>((d, writer) => writer.Write(TorchViews.Html(d)), Html);
        Formatter.Register<LayerOutputGradient>((g, writer) => writer.Write(NetworkViews.Html(g)), Html);
        Formatter.Register<ActivationFunctionUsage>((u, writer) => writer.Write(NetworkViews.Html(u)), Html);
        Formatter.Register<TrainingDistributionsView>((v, writer) => writer.Write(NetworkViews.Html(v)), Html);

        // TorchSharp: types only (no native call happens until a model is formatted, after extension.dib loaded the library).
        ModelStructures.Register<TorchModel>(TorchViews.Structure);
        Formatter.Register<TorchModel>((m, writer) => writer.Write(Guarded(() => TorchViews.Html(m))), Html);
        Formatter.Register<TrainedTorchModel>((m, writer) => writer.Write(Guarded(() => TorchViews.Html(m.Model))), Html);
        Formatter.Register<torch.nn.Module>((m, writer) => writer.Write(Guarded(() => TorchViews.Html(m))), Html);
    }

    private static string Guarded(Func<string> html)
    {
        try
        {
            return html();
        }
        catch (XaiException e)
        {
            return NotebookHtml.Style + "<div class=\"xai-view xai-error\">" + NotebookHtml.Encode(e.Message) + "</div>";
        }
    }
}
