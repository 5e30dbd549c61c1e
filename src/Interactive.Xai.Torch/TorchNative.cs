namespace Interactive.Xai.Torch;

/// <summary>Facts about TorchSharp's native library that the build step and the runtime checks share.</summary>
public static class TorchNative
{
    /// <summary>The symbol version TorchSharp 0.107.0's libLibTorchSharp.so asks for that GCC 12's libstdc++ lacks.</summary>
    public const string MissingLibStdCxxVersion = "GLIBCXX_3.4.32";
}
