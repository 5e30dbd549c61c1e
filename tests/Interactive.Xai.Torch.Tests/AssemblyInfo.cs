// TorchSharp's default random generator (manual_seed, module initialisation) is process-wide: test classes running in
// parallel would draw from it between another test's manual_seed and its module construction, so the seeded-determinism
// tests (same seed, same model) could see different weights. The Torch tests therefore run one class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Interactive.Xai.Torch.Tests
{
    internal static class TorchFirst
    {
        // Some tests build TorchSharp modules and run them directly. Loading Interactive.Xai.Torch's runtime first, as an
        // application's first Torch call through the library does, makes its oneDNN ISA cap apply before libtorch's first
        // convolution; otherwise oneDNN latches its AVX-512 level and the load-time check has to turn oneDNN off
        // (ConvolutionCheckTests requires the cap to have worked on AVX-512 CPUs).
        [System.Runtime.CompilerServices.ModuleInitializer]
        internal static void LoadTorchRuntime() => TorchRuntime.EnsureAvailable();
    }
}
