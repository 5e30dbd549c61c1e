using System.Reflection;
using System.Runtime.Loader;

namespace Interactive.Xai.Notebook;

/// <summary>
/// Lets the package's chart stack bind to the FSharp.Core the kernel process has already loaded. extension.dib calls
/// <see cref="Install"/> first, before anything touches Plotly.NET.
/// </summary>
/// <remarks>
/// <para>
/// The problem: Plotly.NET 6.0.0 and DynamicObj 8.0.0 are compiled against FSharp.Core 10.1 (assembly version
/// 10.1.0.0). The .NET Interactive kernel is itself an F# program: its process loads its own FSharp.Core (10.0.0.0 in
/// dotnet-interactive 1.0.712001) from its tool folder long before a notebook runs <c>#r "nuget: Interactive.Xai"</c>.
/// The runtime's default load context then cannot satisfy the request for 10.1.0.0 (its trusted copy is older, and a
/// second assembly named FSharp.Core cannot join the context), so the first chart fails with "Could not load file or
/// assembly 'FSharp.Core, Version=10.1.0.0'". A kernel hosted in a test process does not show this: there NuGet
/// resolves one FSharp.Core (the newest any package asks for) for everything.
/// </para>
/// <para>
/// The choice: when the default load context cannot resolve FSharp.Core, hand over the FSharp.Core that is already
/// loaded in it, whatever its version. FSharp.Core keeps its public surface across versions within a major release
/// and the F# compiler emits calls only to what the referenced version has; the parts of Plotly.NET, DynamicObj and
/// Giraffe.ViewEngine this package uses (building traces and layouts, serialising a chart to HTML/JSON) rest on
/// long-standing FSharp.Core APIs, and every tutorial and the README notebook run against the kernel's FSharp.Core
/// 10.0 in the real-kernel tests (tests/Interactive.Xai.Kernel.Tests).
/// Should a newer FSharp.Core API ever be missing, the failure is a MissingMethodException naming it, in the cell that
/// needs it, and those tests catch it.
/// </para>
/// <para>
/// The alternative, loading Plotly.NET with its own FSharp.Core into a separate <see cref="AssemblyLoadContext"/>, was
/// rejected: chart objects (<c>GenericChart</c>) cross into notebook code, which the kernel compiles against the
/// default context, so every chart type would exist twice and user code such as <c>Chart.Combine(...)</c> or our
/// formatters keyed by type would no longer match. A kernel whose FSharp.Core is newer than 10.1 needs no help: the
/// runtime's default binding accepts a higher version, so this handler is then never asked.
/// </para>
/// </remarks>
public static class KernelAssemblyBinding
{
    private const string FSharpCore = "FSharp.Core";
    private static int installed;
    [ThreadStatic] private static bool resolving;

    /// <summary>
    /// Installs the resolver once per process (later calls do nothing). Safe to call in any host: it only answers
    /// requests the runtime could not satisfy itself.
    /// </summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref installed, 1) == 1) return;
        AssemblyLoadContext.Default.Resolving += Resolve;
    }

    /// <summary>
    /// The assembly to hand to a failed request for <paramref name="requested"/> in <paramref name="context"/>: the
    /// FSharp.Core already loaded there, or <see langword="null"/> (not ours to answer).
    /// </summary>
    internal static Assembly? Resolve(AssemblyLoadContext context, AssemblyName requested)
    {
        if (!string.Equals(requested.Name, FSharpCore, StringComparison.OrdinalIgnoreCase)) return null;
        foreach (var assembly in context.Assemblies)
        {
            if (string.Equals(assembly.GetName().Name, FSharpCore, StringComparison.OrdinalIgnoreCase))
                return assembly;
        }
        // None loaded yet, but the host may carry an older one it has not needed so far: ask for it without a version.
        // (That request comes back here if the host has none; the flag stops the recursion.)
        if (resolving || requested.Version is null) return null;
        resolving = true;
        try
        {
            return context.LoadFromAssemblyName(new AssemblyName(FSharpCore));
        }
        catch (IOException)
        {
            return null;
        }
        finally
        {
            resolving = false;
        }
    }
}
