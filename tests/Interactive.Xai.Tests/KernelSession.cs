using System.Reactive.Linq;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;

namespace Interactive.Xai.Tests;

/// <summary>What one submission to the kernel produced.</summary>
public sealed record Submission(string Code, IReadOnlyList<KernelEvent> Events)
{
    public bool Succeeded => Events.OfType<CommandSucceeded>().Any() && !Failures.Any();

    public IEnumerable<string> Failures => Events.OfType<CommandFailed>().Select(f => f.Message)
        .Concat(Events.OfType<ErrorProduced>().Select(e => e.Message));

    /// <summary>Every displayed or returned value (not updates of a displayed value).</summary>
    public IReadOnlyList<DisplayEvent> Displays => Events.OfType<DisplayEvent>().Where(e => e is DisplayedValueProduced or ReturnValueProduced).ToList();

    public IEnumerable<string> Html => Displays.SelectMany(d => d.FormattedValues).Where(v => v.MimeType == "text/html").Select(v => v.Value);

    public IEnumerable<string> Plain => Displays.SelectMany(d => d.FormattedValues).Where(v => v.MimeType == "text/plain").Select(v => v.Value);

    public string Describe() => $"{Code}\n  events: {string.Join(", ", Events.Select(e => e.GetType().Name))}\n  failures: {string.Join(" | ", Failures)}";
}

/// <summary>
/// A real .NET Interactive kernel in process (a CompositeKernel with a C# kernel), with the Interactive.Xai extension
/// loaded the way the kernel loads it for a package: the package's assemblies are referenced (what #r "nuget: ..."
/// does) and the package's interactive-extensions/dotnet/extension.dib is run with the kernel's own
/// LoadAndRunInteractiveDocument (what its package extension loader does).
/// </summary>
public sealed class KernelSession : IDisposable
{
    private readonly List<KernelEvent> _events = [];
    private readonly IDisposable _subscription;

    private KernelSession()
    {
        CSharp = new CSharpKernel().UseKernelHelpers().UseValueSharing();
        Kernel = new CompositeKernel { CSharp };
        Kernel.DefaultKernelName = CSharp.Name;
        _subscription = Kernel.KernelEvents.Subscribe(e => { lock (_events) _events.Add(e); });
    }

    public CompositeKernel Kernel { get; }

    public CSharpKernel CSharp { get; }

    public Submission? Extension { get; private set; }

    public static string ExtensionScript => Path.Combine(AppContext.BaseDirectory, "extension", "extension.dib");

    /// <summary>The compile-time assemblies of the package and its dependencies (what #r "nuget: Interactive.Xai" references).</summary>
    public static IReadOnlyList<string> PackageAssemblies()
    {
        string[] prefixes = ["Interactive.Xai", "Microsoft.Data.Analysis", "Plotly.NET", "FSharp.Core", "DynamicObj", "Microsoft.ML", "System.Numerics.Tensors", "Apache.Arrow", "TorchSharp", "Google.Protobuf"];
        return Directory.GetFiles(AppContext.BaseDirectory, "*.dll")
            .Where(p => prefixes.Any(Path.GetFileName(p).StartsWith))
            .Where(p => !Path.GetFileName(p).StartsWith("Interactive.Xai.Tests", StringComparison.Ordinal))
            .ToList();
    }

    public static async Task<KernelSession> StartAsync(bool loadExtension = true)
    {
        var session = new KernelSession();
        if (loadExtension) await session.LoadExtensionAsync();
        return session;
    }

    public async Task<Submission> LoadExtensionAsync(string? script = null, IEnumerable<string>? assemblies = null)
    {
        CSharp.AddAssemblyReferences(assemblies ?? PackageAssemblies());
        Extension = await Capture("extension.dib", () => Kernel.LoadAndRunInteractiveDocument(new FileInfo(script ?? ExtensionScript)));
        return Extension;
    }

    public Task<Submission> SubmitAsync(string code) => Capture(code, () => Kernel.SendAsync(new SubmitCode(code)));

    private async Task<Submission> Capture(string code, Func<Task> run)
    {
        int start;
        lock (_events) start = _events.Count;
        await run();
        lock (_events) return new Submission(code, _events.Skip(start).ToList());
    }

    public void Dispose()
    {
        _subscription.Dispose();
        Kernel.Dispose();
    }
}
