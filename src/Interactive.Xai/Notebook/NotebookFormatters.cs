using Interactive.Xai.Inspection;
using Interactive.Xai.MLNet;
using Interactive.Xai.Onnx;
using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;
using Microsoft.ML;
using Plotly.NET;

namespace Interactive.Xai.Notebook;

/// <summary>
/// The text/html formatters the extension registers with Microsoft.DotNet.Interactive.Formatting (the library the
/// kernel formats every displayed value with): explanations and Plotly.NET charts as charts, DataFrames, feature
/// tables and datasets as a paged table with column summaries, models as their structure, and the magic commands'
/// own results.
/// </summary>
public static partial class NotebookFormatters
{
    private const string Html = "text/html";
    private const string Plain = "text/plain";
    private static readonly Lock Gate = new();
    private static bool _registered;
    private static ITypeFormatter? _dataFrameFormatter;

    /// <summary>Whether <see cref="Register"/> has run in this process.</summary>
    public static bool IsRegistered
    {
        get { lock (Gate) return _registered; }
    }

    /// <summary>Registers every formatter once (later calls do nothing).</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered) return;
            _registered = true;
            Formatter.Register<GenericChart>((chart, writer) => writer.Write(NotebookHtml.Chart(chart)), Html);
            Formatter.Register<Explanation>((e, writer) => writer.Write(ExplanationViews.Html(e)), Html);
            Formatter.Register<ExplanationView>((v, writer) => writer.Write(ExplanationViews.Html(v)), Html);
            Formatter.Register<AttributionComparison>((c, writer) => writer.Write(ExplanationViews.Html(c)), Html);
            Formatter.Register<MagicCommandHelp>((h, writer) => writer.Write(ExplanationViews.Html(h)), Html);
            Formatter.Register<MagicCommandHelp>((h, writer) => writer.Write(ExplanationViews.Text(h)), Plain);
            Formatter.Register<MagicCommandError>((e, writer) => writer.Write("<div class=\"xai-error\" style=\"color:#b00020\">" + NotebookHtml.Encode(e.Message) + "</div>"), Html);
            Formatter.Register<MagicCommandError>((e, writer) => writer.Write(e.Message), Plain);
            Formatter.Register<ProgressView>((p, writer) => writer.Write("<div class=\"xai-progress\">" + NotebookHtml.Encode(p.ToString()) + "</div>"), Html);
            Formatter.Register<ProgressView>((p, writer) => writer.Write(p.ToString()), Plain);
            Formatter.Register<LoadedView>((v, writer) => writer.Write(NotebookHtml.PlotlyBootstrap() + "<div class=\"xai-loaded\">" + NotebookHtml.Encode(v.Message) + "</div>"), Html);
            Formatter.Register<LoadedView>((v, writer) => writer.Write(v.Message), Plain);

            Formatter.Register<FeatureTable>((t, writer) => writer.Write(TableView.Html(t)), Html);
            Formatter.Register<Dataset>((d, writer) => writer.Write(TableView.Html(d)), Html);
            RegisterDataFrame();

            Formatter.Register<ModelStructure>((s, writer) => writer.Write(ModelViews.Html(s)), Html);
            Formatter.Register<WeightsView>((w, writer) => writer.Write(ModelViews.Html(w)), Html);
            Formatter.Register<ModelSummary>((s, writer) => writer.Write(ModelViews.Html(s)), Html);
            Formatter.Register<IModel>((m, writer) => writer.Write(ModelHtml(m)), Html);
            Formatter.Register<OnnxModel>((m, writer) => writer.Write(ModelHtml(m)), Html);
            Formatter.Register<MLNetModel>((m, writer) => writer.Write(ModelHtml(m)), Html);
            Formatter.Register<TreeEnsemble>((m, writer) => writer.Write(ModelHtml(m)), Html);
            Formatter.Register<ITransformer>((t, writer) => writer.Write(ModelViews.Html(t)), Html);

            // The training monitor (shown live with LiveTraining.ShowLive, which redraws its output in place through the
            // kernel's DisplayedValue.Update), the inspection records, confusion matrices and TorchSharp models
            // (NotebookFormatters.Torch.cs).
            RegisterTrainingMonitor();
            // force plots, surrogate trees, feature-output correlation, tree gain importance (ModelViewViews.cs)
            ModelViewHtml.Register();
        }
    }

    /// <summary>
    /// Registers the DataFrame view again if another extension (Microsoft.Data.Analysis ships one that the kernel
    /// loads with that package) has since registered its own. The extension calls this after every command.
    /// </summary>
    public static void ReassertDataFrameFormatter()
    {
        lock (Gate)
        {
            if (!_registered) return;
            var current = Formatter.GetPreferredFormatterFor(typeof(DataFrame), Html);
            if (!ReferenceEquals(current, _dataFrameFormatter)) RegisterDataFrame();
        }
    }

    /// <summary>The HTML the kernel would show for <paramref name="value"/> (what tests and the notebook runner check).</summary>
    public static string ToHtml(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.ToDisplayString(Html);
    }

    private static void RegisterDataFrame()
    {
        var formatter = new HtmlFormatter<DataFrame>((frame, context) => { context.Writer.Write(TableView.Html(frame)); return true; });
        Formatter.Register(formatter);
        _dataFrameFormatter = formatter;
    }

    /// <summary>Registers the training monitor's, the inspection records' and TorchSharp models' formatters (NotebookFormatters.Torch.cs).</summary>
    static partial void RegisterTrainingMonitor();

    private static string ModelHtml(IModel model)
    {
        try
        {
            if (ModelStructures.TryDescribe(model) is { } structure) return ModelViews.Html(structure);
        }
        catch (XaiException e)
        {
            return ModelViews.Html(ModelStructures.Summarize(model)) + "<p class=\"xai-hint\">" + NotebookHtml.Encode(e.Message) + "</p>";
        }
        return ModelViews.Html(ModelStructures.Summarize(model));
    }
}

/// <summary>The extension's "loaded" line; its HTML form also carries plotly.js for the session.</summary>
/// <param name="Message">"Interactive.Xai VERSION loaded: #!xai-explain, ..."</param>
public sealed record LoadedView(string Message)
{
    /// <inheritdoc />
    public override string ToString() => Message;
}
