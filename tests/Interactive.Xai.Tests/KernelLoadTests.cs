using System.Reflection;
using System.Runtime.Loader;
using Interactive.Xai.Notebook;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;

namespace Interactive.Xai.Tests;

/// <summary>
/// The two mechanisms extension.dib installs first (the end-to-end proof is tests/Interactive.Xai.Kernel.Tests, which
/// runs every notebook in the real kernel): handing the loaded FSharp.Core to a request for a newer one, and quieting
/// the C# kernel's reference-unification warnings.
/// </summary>
public class KernelLoadTests
{
    private static readonly string FSharpCorePath = typeof(Microsoft.FSharp.Core.FSharpOption<int>).Assembly.Location;

    /// <summary>What a kernel process has: one FSharp.Core loaded, and a request for a newer version of it.</summary>
    private static AssemblyName Newer(Assembly loaded)
    {
        var name = loaded.GetName();
        return new AssemblyName(name.FullName) { Version = new Version(name.Version!.Major + 1, 0, 0, 0) };
    }

    [Fact]
    public void A_request_for_a_newer_FSharp_Core_gets_the_loaded_one()
    {
        // (Whether the runtime fails such a request first depends on the host: the real kernel fails it, see the
        // real-kernel tests; this test host's default context may answer it itself. The handler's answer is checked.)
        var context = new AssemblyLoadContext("kernel-like", isCollectible: true);
        try
        {
            var loaded = context.LoadFromAssemblyPath(FSharpCorePath);
            Assert.Same(loaded, KernelAssemblyBinding.Resolve(context, Newer(loaded)));
            Assert.Same(loaded, KernelAssemblyBinding.Resolve(context, new AssemblyName("FSharp.Core, Version=10.1.0.0, Culture=neutral, PublicKeyToken=b03f5f7f11d50a3a")));
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void Other_assemblies_are_not_answered()
    {
        var context = new AssemblyLoadContext("kernel-like-2", isCollectible: true);
        try
        {
            context.LoadFromAssemblyPath(FSharpCorePath);
            Assert.Null(KernelAssemblyBinding.Resolve(context, new AssemblyName("Plotly.NET, Version=6.0.0.0")));
            Assert.Null(KernelAssemblyBinding.Resolve(context, new AssemblyName("FSharp.Core.Extras, Version=1.0.0.0")));
        }
        finally
        {
            context.Unload();
        }
    }

    [Fact]
    public void Install_is_idempotent_and_leaves_normal_binding_alone()
    {
        KernelAssemblyBinding.Install();
        KernelAssemblyBinding.Install();
        // The default context still binds FSharp.Core to its own copy (the handler is asked only when binding fails).
        Assert.Equal(FSharpCorePath, Assembly.Load(new AssemblyName("FSharp.Core")).Location);
    }

    [Fact]
    public async Task Quieting_the_kernel_drops_level_2_warnings_from_its_diagnostics()
    {
        // CS0162 (unreachable code) is a level-2 warning, like CS1701 (the one TorchSharp's net8 references cause in the
        // real kernel, where the Jupyter front end prints every warning on stderr).
        const string code = "int xaiUnreachable = 1; return; xaiUnreachable = 2;";
        Assert.Contains(await Warnings(new CSharpKernel(), code), w => w.Contains("CS0162", StringComparison.Ordinal));

        var kernel = new CSharpKernel();
        Assert.True(KernelCompilerWarnings.QuietReferenceUnification(kernel));
        Assert.True(KernelCompilerWarnings.QuietReferenceUnification(kernel)); // again: nothing left to change
        Assert.Empty(await Warnings(kernel, code));
    }

    [Fact]
    public async Task Quieting_the_kernel_drops_the_CS1701_that_torchsharps_net8_references_cause_and_keeps_level_1_warnings()
    {
        // TorchSharp is built for net8.0 (System.Runtime.Numerics 8.0.0.0); binding its Complex overloads in a cell
        // unifies that reference with the running framework's 10.0.0.0. The cell is only compiled into a delegate, not run.
        var torchSharp = typeof(TorchSharp.torch).Assembly.Location;
        string code = $"#r \"{torchSharp}\"\nSystem.Func<TorchSharp.torch.Tensor> xaiMake = () => TorchSharp.torch.tensor(new System.Numerics.Complex[] {{ new(1, 2) }});\n" +
                      "var xaiAlways = 1 is int;";  // CS0183, a level-1 warning
        var before = await Warnings(new CSharpKernel(), code);
        Assert.Contains(before, w => w.StartsWith("CS1701 ", StringComparison.Ordinal));
        Assert.Contains(before, w => w.StartsWith("CS0183 ", StringComparison.Ordinal));

        var kernel = new CSharpKernel();
        Assert.True(KernelCompilerWarnings.QuietReferenceUnification(kernel));
        var after = await Warnings(kernel, code);
        Assert.DoesNotContain(after, w => w.StartsWith("CS1701 ", StringComparison.Ordinal));
        Assert.Contains(after, w => w.StartsWith("CS0183 ", StringComparison.Ordinal));  // level 1: still shown
    }

    [Fact]
    public void Quieting_something_that_is_not_a_CSharp_kernel_changes_nothing()
    {
        Assert.False(KernelCompilerWarnings.QuietReferenceUnification(null));
        Assert.False(KernelCompilerWarnings.QuietReferenceUnification(new object()));
    }

    private static async Task<List<string>> Warnings(CSharpKernel kernel, string code)
    {
        using (kernel)
        {
            var result = await kernel.SendAsync(new SubmitCode(code));
            return result.Events.OfType<DiagnosticsProduced>()
                .SelectMany(d => d.Diagnostics)
                .Where(d => d.Severity.ToString() == "Warning")
                .Select(d => d.Code + " " + d.Message)
                .ToList();
        }
    }
}
