// Loaded into the `xai` child processes of FloorBenchmark through DOTNET_STARTUP_HOOKS (this assembly's path): at exit it
// writes the process's JIT-compiled method count, JIT time and CPU time to the file named by XAI_BENCH_STATS, so the
// first-call figures carry counts that do not depend on how busy the shared machine is. Needs nothing but the BCL.
using System.Globalization;

#pragma warning disable CA1050 // the runtime looks for a type named StartupHook in no namespace
internal static class StartupHook
#pragma warning restore CA1050
{
    public static void Initialize()
    {
        var path = Environment.GetEnvironmentVariable("XAI_BENCH_STATS");
        if (string.IsNullOrEmpty(path)) return;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            using var self = System.Diagnostics.Process.GetCurrentProcess();
            File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture,
                $"{System.Runtime.JitInfo.GetCompiledMethodCount()} {System.Runtime.JitInfo.GetCompilationTime().TotalSeconds} {self.TotalProcessorTime.TotalSeconds}"));
        };
    }
}
