using System.Runtime.InteropServices;

namespace Interactive.Xai.Torch;

/// <summary>
/// A process-wide backend switch of libtorch that TorchSharp does not expose: a user-enabled flag of libtorch's global
/// context (<c>at::globalContext()</c>), such as oneDNN's (Python's <c>torch.backends.mkldnn.enabled</c>) or NNPACK's
/// (<c>torch.backends.nnpack.enabled</c>), reached through libtorch_cpu.so's exports.
/// </summary>
internal sealed class LibTorchSwitch
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr GlobalContextFunction();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetEnabledFunction(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    [return: MarshalAs(UnmanagedType.U1)]
    private delegate bool GetEnabledFunction(IntPtr context);

    // Itanium C++ ABI names: at::globalContext(), at::Context::setUserEnabled<Name>(bool) and
    // at::Context::userEnabled<Name>() const (a member function takes the object as its first argument).
    private const string GlobalContext = "_ZN2at13globalContextEv";
    private readonly string _set;
    private readonly string _get;

    private LibTorchSwitch(string name)
    {
        string set = "setUserEnabled" + name, get = "userEnabled" + name;
        _set = $"_ZN2at7Context{set.Length}{set}Eb";
        _get = $"_ZNK2at7Context{get.Length}{get}Ev";
    }

    /// <summary>libtorch's use of oneDNN (MKL-DNN) for convolutions and other operators.</summary>
    public static LibTorchSwitch OneDnn { get; } = new("Mkldnn");

    /// <summary>libtorch's use of NNPACK for convolutions.</summary>
    public static LibTorchSwitch Nnpack { get; } = new("NNPACK");

    /// <summary>libtorch_cpu.so: the loaded copy (found by its soname), else the first in TorchSharp's folders; zero when there is none.</summary>
    public static IntPtr FindLibTorchCpu()
    {
        if (!OperatingSystem.IsLinux()) return IntPtr.Zero;
        if (NativeLibrary.TryLoad("libtorch_cpu.so", out var loaded)) return loaded;
        foreach (var directory in TorchRuntime.NativeSearchDirectories())
            if (NativeLibrary.TryLoad(Path.Combine(directory, "libtorch_cpu.so"), out var handle)) return handle;
        return IntPtr.Zero;
    }

    /// <summary>Whether libtorch uses the backend (null when the switch cannot be found, e.g. not Linux).</summary>
    public bool? IsEnabled()
        => Context() is { } context && TryExport(_get, out var get)
            ? Marshal.GetDelegateForFunctionPointer<GetEnabledFunction>(get)(context)
            : null;

    /// <summary>Turns the backend off for the process; false when the switch cannot be found.</summary>
    public bool TryDisable()
    {
        if (Context() is not { } context || !TryExport(_set, out var set)) return false;
        Marshal.GetDelegateForFunctionPointer<SetEnabledFunction>(set)(context, false);
        return IsEnabled() == false;
    }

    private static IntPtr? Context()
        => TryExport(GlobalContext, out var global) ? Marshal.GetDelegateForFunctionPointer<GlobalContextFunction>(global)() : null;

    private static bool TryExport(string name, out IntPtr address)
    {
        address = IntPtr.Zero;
        var library = FindLibTorchCpu();
        return library != IntPtr.Zero && NativeLibrary.TryGetExport(library, name, out address);
    }
}
