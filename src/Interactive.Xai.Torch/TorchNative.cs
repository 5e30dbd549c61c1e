namespace Interactive.Xai.Torch;

/// <summary>Facts about TorchSharp's native library that the build step and the runtime checks share.</summary>
public static class TorchNative
{
    /// <summary>The symbol version TorchSharp 0.107.0's libLibTorchSharp.so asks for that GCC 12's libstdc++ lacks.</summary>
    public const string MissingLibStdCxxVersion = "GLIBCXX_3.4.32";

    /// <summary>The libtorch version TorchSharp 0.107.0's native bindings are built against (its libtorch-cpu-* packages).</summary>
    public const string LibTorchVersion = "2.10.0";

    /// <summary>The NuGet package with libtorch's CPU natives for this platform (only linux-x64 is supported by the loader here).</summary>
    public const string LibTorchPackageId = "libtorch-cpu-linux-x64";

    /// <summary>
    /// The environment variable naming a folder that holds libtorch's native libraries (libtorch.so, libtorch_cpu.so,
    /// libc10.so ... of version <see cref="LibTorchVersion"/>), used when the application carries no libtorch of its own.
    /// </summary>
    public const string LibTorchVariable = "XAI_LIBTORCH";
}
