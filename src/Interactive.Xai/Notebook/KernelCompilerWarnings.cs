using System.Reflection;

namespace Interactive.Xai.Notebook;

/// <summary>
/// Keeps the C# kernel from printing reference-unification warnings (CS1701) for the package's dependencies on stderr.
/// extension.dib calls <see cref="QuietReferenceUnification"/> with the kernel's C# kernel.
/// </summary>
/// <remarks>
/// <para>
/// TorchSharp is built for net8.0, so it refers to System.Runtime.Numerics 8.0.0.0, while the kernel compiles cells
/// against the running .NET 10 framework (10.0.0.0). The scripting compiler (Roslyn, with the desktop identity
/// comparer) then reports "warning CS1701: Assuming assembly reference 'System.Runtime.Numerics, Version=8.0.0.0' used
/// by 'TorchSharp' matches identity ... 10.0.0.0" for every cell that binds TorchSharp members, and the Jupyter
/// front end prints each warning on stderr. The assumption is exactly what the runtime does (it binds the newer
/// framework assembly), so the warning says nothing a user can act on. An SDK build hides it the same way: MSBuild's
/// default NoWarn lists 1701 and 1702.
/// </para>
/// <para>
/// Only CS1701 and CS1702 should go, but the kernel offers no per-diagnostic switch (read from dotnet/interactive's
/// CSharpKernel and Roslyn's C# script compiler, and checked against Microsoft.CodeAnalysis.Scripting 5.0.0): a cell is
/// compiled with C# compilation options that the script compiler builds afresh from the kernel's <c>ScriptOptions</c>,
/// passing on its warning level but no specific diagnostic options (ScriptOptions has none to pass), and the kernel
/// publishes every diagnostic of the compilation unfiltered (no event filter exists between the kernel and the Jupyter
/// front end). A <c>#pragma warning disable</c> cannot reach them either: Roslyn reports unification warnings without
/// a source location. So the narrowest switch there is, the warning level, is used: CS1701 is a level-2 warning (CS1702
/// level 3), so this lowers the C# kernel's level to 1, keeping the level-1 warnings (such as CS0183, an `is` test that
/// is always true, and the nullable warnings) and dropping levels 2 to 4: among them unused-variable and
/// unreachable-code notes, which notebooks print as noise anyway, but also CS0618 (a member marked obsolete with a
/// message), the price of having no narrower switch. The options are a private field of the kernel (<c>_scriptOptions</c>, a Roslyn
/// <c>ScriptOptions</c>), reached by reflection: if a kernel version lacks it, nothing changes and the warnings
/// simply show again — the real-kernel tests (tests/Interactive.Xai.Kernel.Tests) would report that as stderr output.
/// </para>
/// </remarks>
public static class KernelCompilerWarnings
{
    /// <summary>The warning level the C# kernel is set to: 1 (CS1701 is level 2).</summary>
    public const int WarningLevel = 1;

    /// <summary>
    /// Lowers <paramref name="csharpKernel"/>'s warning level to <see cref="WarningLevel"/> if it is higher. Returns
    /// whether the kernel's options were found (never throws).
    /// </summary>
    public static bool QuietReferenceUnification(object? csharpKernel)
    {
        if (csharpKernel is null) return false;
        try
        {
            for (var type = csharpKernel.GetType(); type is not null; type = type.BaseType)
            {
                var field = type.GetField("_scriptOptions", BindingFlags.Instance | BindingFlags.NonPublic);
                if (field is null) continue;
                var options = field.GetValue(csharpKernel);
                if (options is null) return false;
                var level = options.GetType().GetProperty("WarningLevel")?.GetValue(options) as int?;
                var with = options.GetType().GetMethod("WithWarningLevel", [typeof(int)]);
                if (level is null || with is null) return false;
                if (level > WarningLevel) field.SetValue(csharpKernel, with.Invoke(options, [WarningLevel]));
                return true;
            }
            return false;
        }
        catch (TargetInvocationException)
        {
            return false;
        }
        catch (FieldAccessException)
        {
            return false;
        }
    }
}
