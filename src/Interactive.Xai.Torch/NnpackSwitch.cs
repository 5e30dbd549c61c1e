using System.Runtime.InteropServices;

namespace Interactive.Xai.Torch;

/// <summary>
/// libtorch's use of NNPACK (an optional convolution library) on CPUs where NNPACK cannot start.
/// </summary>
/// <remarks>
/// libtorch asks NNPACK to initialise at its first eligible convolution; where NNPACK refuses (on this project's AVX-512
/// build machines: "unsupported hardware") libtorch logs "[W NNPACK.cpp:...] Could not initialize NNPACK! Reason:
/// Unsupported hardware." on stderr and runs the convolution without it. TorchSharp has no switch for NNPACK, but
/// libtorch exports the one PyTorch's <c>torch.backends.nnpack.flags(enabled=False)</c> sets
/// (<see cref="LibTorchSwitch.Nnpack"/>), which libtorch checks before it tries NNPACK. So
/// <see cref="TurnOffWhereUnavailable"/> first asks NNPACK itself (<c>nnp_initialize</c>, which logs nothing and may
/// be called any number of times) and, only when NNPACK cannot start, turns libtorch's use of it off: the same
/// convolutions run as before, without the warning. Where NNPACK starts nothing changes, and no other libtorch
/// message is hidden (libtorch's log level is untouched).
/// </remarks>
internal static class NnpackSwitch
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int InitializeFunction();

    /// <summary>
    /// After libtorch has loaded: when NNPACK cannot start on this CPU, turns libtorch's use of it off. Returns what it
    /// found: "available" (NNPACK starts; nothing changed), "turned off (nnp_initialize status N)", or "not found" (this
    /// libtorch has no NNPACK or does not export the switch; nothing changed). Never throws.
    /// </summary>
    public static string TurnOffWhereUnavailable()
    {
        var library = LibTorchSwitch.FindLibTorchCpu();
        if (library == IntPtr.Zero || !NativeLibrary.TryGetExport(library, "nnp_initialize", out var initialize)
            || LibTorchSwitch.Nnpack.IsEnabled() is null)
            return "not found";
        int status = Marshal.GetDelegateForFunctionPointer<InitializeFunction>(initialize)();
        if (status == 0) return "available";  // nnp_status_success
        return LibTorchSwitch.Nnpack.TryDisable() ? $"turned off (nnp_initialize status {status})" : "not found";
    }
}
