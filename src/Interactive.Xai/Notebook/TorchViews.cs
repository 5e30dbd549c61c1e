using Interactive.Xai.Inspection;
using Interactive.Xai.Torch;
using Interactive.Xai.Torch.Inspection;
using TorchSharp;
using static TorchSharp.torch;

namespace Interactive.Xai.Notebook;

/// <summary>
/// TorchSharp in the notebook: loading the native library (with the Debian 12 patch) when the extension loads, and
/// the structures of <see cref="TorchModel"/>s and bare <c>nn.Module</c>s.
/// </summary>
public static class TorchViews
{
    private static readonly Lock Gate = new();
    private static string? _status;

    /// <summary>
    /// What loading TorchSharp's native library said: null before <see cref="LoadNativeLibrary"/>, "ready" when it
    /// loaded, else the one-line reason TorchSharp models cannot be used in this session.
    /// </summary>
    public static string? Status
    {
        get { lock (Gate) return _status; }
    }

    /// <summary>
    /// Loads TorchSharp's native library for the session, once, before any other TorchSharp use: the patched copy
    /// where this system's libstdc++ is too old for it (<see cref="TorchRuntime.LoadPatchedNativeLibrary"/>), then
    /// the check that it works. Never throws: a failure is returned (and kept in <see cref="Status"/>) as one line.
    /// </summary>
    public static string LoadNativeLibrary()
    {
        lock (Gate)
        {
            if (_status is not null) return _status;
            try
            {
                TorchRuntime.LoadPatchedNativeLibrary();
                TorchRuntime.EnsureAvailable();
                _status = "ready";
            }
            catch (Exception e) when (e is XaiException or DllNotFoundException or TypeInitializationException or BadImageFormatException or IOException or UnauthorizedAccessException)
            {
                _status = string.Join(' ', e.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
            }
            return _status;
        }
    }

    /// <summary>The layer-by-layer structure of a TorchSharp model, traced with one zero input of its input shape (batch of 1).</summary>
    /// <exception cref="XaiException">The forward pass fails.</exception>
    public static ModelStructure? Structure(TorchModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Module is not nn.Module<Tensor, Tensor> module) return null;
        return TorchInspector.Summarize(module, [1, .. model.InputShape.Select(d => (long)d)], Path.GetFileName(model.Source));
    }

    /// <summary>A TorchSharp model: its layer summary, or for a TorchScript file (no hooks on its submodules) its parameters.</summary>
    public static string Html(TorchModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        string shape = string.Join(", ", model.InputShape);
        if (Structure(model) is { } structure)
            return InspectionViews.LayerSummary(structure, $"Traced with one zero input of shape [1, {shape}]. #!xai-inspect --what weights|activations|gradients shows more.");
        return InspectionViews.Parameters($"{Path.GetFileName(model.Source)} (TorchScript, input [{shape}])", TorchInspector.Weights(model.Module),
            "A TorchScript module's submodules cannot be hooked, so output shapes per layer are not traced; parameters are listed per layer.");
    }

    /// <summary>
    /// A bare module: traced when it is a <c>Module&lt;Tensor, Tensor&gt;</c> and <paramref name="sampleInputShape"/>
    /// is given; otherwise its parameters per layer (from named_parameters) and how to see output shapes.
    /// </summary>
    public static string Html(nn.Module module, long[]? sampleInputShape = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        string name = module.GetName();
        if (sampleInputShape is not null && module is nn.Module<Tensor, Tensor> typed)
            return InspectionViews.LayerSummary(TorchInspector.Summarize(typed, sampleInputShape, name));
        return InspectionViews.Parameters($"{name} ({module.GetType().Name})", TorchInspector.Weights(module, name),
            "Output shapes need a sample input: wrap the module with TorchModel.FromModule(module, inputShape) (for example [1, 8, 8] for 8x8 grey images) " +
            "and display that, or call TorchInspector.Summarize(module, new long[] { 1, ... }).");
    }

    /// <summary>TorchSharp's native library check: its libstdc++ version needs, which this system lacks, and which are weak.</summary>
    public static string Html(NativeLibraryDiagnosis diagnosis)
    {
        ArgumentNullException.ThrowIfNull(diagnosis);
        var html = new System.Text.StringBuilder(NotebookHtml.Style).Append("<div class=\"xai-view xai-native\"><h3>")
            .Append(NotebookHtml.Encode("Native library: " + Path.GetFileName(diagnosis.LibraryPath))).Append("</h3>\n");
        NotebookHtml.AppendFacts(html, [("library", diagnosis.LibraryPath), ("system libstdc++", diagnosis.LibStdCxxPath ?? "not found"),
            ("newest GLIBCXX here", diagnosis.NewestLibStdCxxVersion ?? "-"),
            ("missing", diagnosis.MissingLibStdCxxVersions.IsDefaultOrEmpty ? "none" : string.Join(", ", diagnosis.MissingLibStdCxxVersions.Select(n => n.Version + (n.IsWeak ? " (weak)" : ""))))]);
        NotebookHtml.AppendTable(html, ["library", "version", "weak"], diagnosis.VersionNeeds.Select(n => (IReadOnlyList<string>)[n.Library, n.Version, n.IsWeak ? "yes" : "no"]), "Version needs");
        return html.Append("</div>").ToString();
    }
}
