using System.Globalization;
using System.Runtime.CompilerServices;
using Interactive.Xai.Hosting;

namespace Interactive.Xai.Notebook;

public sealed partial class MagicCommandDispatcher
{
    /// <summary>The #!xai-explain methods --cluster runs (the cluster itself runs more, through other commands' CLI forms).</summary>
    internal static readonly string[] ClusterExplainMethods = ["exact-shap", "kernel-shap", "ig"];

    // #!xai-explain ... --cluster ADDRESS: the same request as the in-process run, submitted as a job to `xai worker`
    // silos. The cell shows a progress line (partitions done, rows/s, time left) from the moment the job is submitted,
    // redrawn in place, and left at its final state (done, failed or cancelled) when the job ends; the result is the
    // same view as the in-process run's. Orleans is loaded only here (see NotebookCluster).
    private void ExplainOnCluster(CommandContext context, IModel model, FeatureTable data, string method, string address, Action<object> show)
    {
        string modelPath = ClusterModelPath(context);
        var rows = SelectRows(data, context.Get("rows"));
        var inputs = new ExplanationInputs
        {
            Reference = data,
            Background = context.Get("background") is { } b ? ResolveData(context, model, "background", b).Table : null,
        };
        var shape = InputShape(context);
        var request = method == "ig"
            ? new ExplanationRequest
            {
                Method = method,
                Target = context.Get("target") ?? (model.OutputCount() > 1 ? "predicted" : "0"),
                InputShape = shape,
                Steps = context.GetInt("steps") ?? 50,
                Seed = context.GetInt("seed") ?? 42,
            }
            : new ExplanationRequest
            {
                Method = method,
                Target = context.Get("target") ?? "0",
                Samples = context.GetInt("samples"),
                Seed = context.GetInt("seed") ?? 42,
            };

        using var view = new ClusterProgressLine(context, address, rows.RowCount);
        try
        {
            var explanation = NotebookCluster.Run(address, modelPath, model, rows, request, inputs, shape, view.Sink, context.CancellationToken);
            view.Finish(null);
            ShowAttribution(context, (AttributionExplanation)explanation, show);
        }
        catch (OperationCanceledException)
        {
            view.Finish("cancelled");
            throw;
        }
        catch (Exception)
        {
            view.Finish("failed");
            throw;
        }
    }

    // The file behind --model: every worker loads the model itself, from a path it can read.
    private static string ClusterModelPath(CommandContext context)
    {
        string reference = context.Get("model")!;
        if (!context.Variables.TryGetValue(reference, out var value)) return reference; // a file (ResolveModel checked it exists)
        return value switch
        {
            string path => path,
            LoadedModel loaded => loaded.Path,
            _ => throw new XaiException($"--model {reference}: --cluster needs a model file every worker can read (a .onnx, .zip or .pt path, or a variable holding one), not a {value?.GetType().Name} variable"),
        };
    }

    /// <summary>
    /// The progress line of a cluster job in its cell: shown at once ("submitting"), then redrawn in place (at most every
    /// 200 ms) with the job's partitions, rows/s and time left, and finally left showing how the job ended. Without a
    /// live display (a caller that passes none) the job's progress goes to the command's progress sink instead.
    /// </summary>
    private sealed class ClusterProgressLine : IDisposable
    {
        private readonly Lock _gate = new();
        private readonly Action<object>? _redraw;
        private readonly long _rows;
        private ProgressView _last;
        private bool _finished;

        public ClusterProgressLine(CommandContext context, string address, long rows)
        {
            _rows = rows;
            _last = new ProgressView($"cluster {address}: submitting {rows.ToString("N0", CultureInfo.InvariantCulture)} rows", 0, rows) { Unit = "rows" };
            if (context.Live is { } live)
            {
                _redraw = live(_last);
                Sink = XaiNotebook.Progress(Redraw, "rows");
            }
            else Sink = context.Progress;
        }

        /// <summary>Where the job's progress (as explanation progress, counted in rows) goes.</summary>
        public IProgress<ExplanationProgress>? Sink { get; }

        private void Redraw(ProgressView view)
        {
            lock (_gate)
            {
                if (_finished) return;
                _last = view;
                _redraw!(view);
            }
        }

        /// <summary>Leaves the line at the job's end: its last progress when it completed, else "cancelled" or "failed" and how far it got.</summary>
        public void Finish(string? failure)
        {
            lock (_gate)
            {
                if (_finished || _redraw is null) return;
                _finished = true;
                var final = failure is null
                    ? _last with { Completed = _rows }
                    : _last with { Stage = $"{_last.Stage} ({failure})" };
                _redraw(final);
            }
        }

        public void Dispose() => Finish("failed");
    }
}

/// <summary>
/// The one place the notebook package calls Interactive.Xai.Cluster (and so Orleans). Its assemblies load when
/// <see cref="RunOnCluster"/> is first compiled, that is when a cell first runs with --cluster; every other command
/// leaves them unloaded. The package does not bring Orleans (as dependencies it slowed every notebook, see
/// Interactive.Xai.csproj): a notebook that wants a cluster adds the packages <see cref="OrleansReferences"/> names.
/// </summary>
internal static class NotebookCluster
{
    /// <summary>The Orleans version Interactive.Xai.Cluster is built against.</summary>
    internal const string OrleansVersion = "10.4.2";

    /// <summary>The #r lines a notebook runs before its first --cluster cell.</summary>
    internal static readonly string OrleansReferences =
        $"#r \"nuget: Microsoft.Orleans.Client, {OrleansVersion}\", #r \"nuget: Microsoft.Orleans.Server, {OrleansVersion}\" and #r \"nuget: Microsoft.Orleans.Clustering.Redis, {OrleansVersion}\"";

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static Explanation Run(string address, string modelPath, IModel model, FeatureTable rows, ExplanationRequest request,
        ExplanationInputs inputs, IReadOnlyList<int>? inputShape, IProgress<ExplanationProgress>? progress, CancellationToken cancellationToken)
    {
        try
        {
            return RunOnCluster(address, modelPath, model, rows, request, inputs, inputShape, progress, cancellationToken);
        }
        catch (Exception e) when (MissingOrleans(e) is { } missing)
        {
            throw missing;
        }
    }

    /// <summary>The one-line error for an Orleans assembly the notebook has not loaded, or null for any other exception.</summary>
    internal static XaiException? MissingOrleans(Exception exception)
    {
        string? assembly = exception switch
        {
            FileNotFoundException f => f.FileName,
            FileLoadException f => f.FileName,
            _ => null,
        };
        if (assembly is null || !(assembly.StartsWith("Orleans", StringComparison.Ordinal) || assembly.StartsWith("Microsoft.Orleans", StringComparison.Ordinal)
                || assembly.StartsWith("StackExchange.Redis", StringComparison.Ordinal)))
            return null;
        string name = assembly.Split(',')[0];
        return new XaiException($"--cluster needs the Orleans client, which Interactive.Xai does not load into every notebook ({name} is missing): run {OrleansReferences} in a cell first, then this one again", exception);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Explanation RunOnCluster(string address, string modelPath, IModel model, FeatureTable rows, ExplanationRequest request,
        ExplanationInputs inputs, IReadOnlyList<int>? inputShape, IProgress<ExplanationProgress>? progress, CancellationToken cancellationToken)
        => Interactive.Xai.Cluster.ClusterJob.Run(address, modelPath, model, rows, request, inputs,
            new Interactive.Xai.Cluster.ModelFileOptions { InputShape = inputShape },
            progress: progress is null ? null : Interactive.Xai.Cluster.ClusterProgress.To(progress), cancellationToken: cancellationToken);
}
