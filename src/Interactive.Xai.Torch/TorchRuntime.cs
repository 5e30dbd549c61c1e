using TorchSharp;

namespace Interactive.Xai.Torch;

/// <summary>
/// Checks that TorchSharp's native libraries load before any TorchSharp use, and turns TorchSharp's misleading
/// load failure into one clear <see cref="XaiException"/>.
/// </summary>
public static class TorchRuntime
{
    private static readonly Lock Gate = new();
    private static bool _available;

    /// <summary>Loads TorchSharp's native libraries once; throws an <see cref="XaiException"/> naming the cause when they do not load.</summary>
    public static void EnsureAvailable()
    {
        if (Volatile.Read(ref _available)) return;
        lock (Gate)
        {
            if (_available) return;
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or InvalidOperationException)
            {
                throw new XaiException("TorchSharp's native library did not load: " + TorchModel.FirstLine(e.InnerException?.Message ?? e.Message), e);
            }
            Volatile.Write(ref _available, true);
        }
    }
}
