// Loaded into the `xai` child processes of FloorBenchmark through DOTNET_STARTUP_HOOKS (this assembly's path): at exit it
// writes the process's JIT-compiled method count, JIT time and CPU time to the file named by XAI_BENCH_STATS, so the
// first-call figures carry counts that do not depend on how busy the shared machine is. With XAI_BENCH_ASSEMBLIES it
// also writes every assembly the process loaded, in load order, with the wall time since process start and the CPU time
// the process had used when it loaded (CPU time is far less sensitive to a busy machine than wall time): the start-up
// study of issue 15 (which assemblies does an ONNX explain pull in, and where does the time go?). Needs only the BCL.
using System.Globalization;
using System.Text;

#pragma warning disable CA1050 // the runtime looks for a type named StartupHook in no namespace
internal static class StartupHook
#pragma warning restore CA1050
{
    public static void Initialize()
    {
        var path = Environment.GetEnvironmentVariable("XAI_BENCH_STATS");
        var assemblies = Environment.GetEnvironmentVariable("XAI_BENCH_ASSEMBLIES");
        var loads = new StringBuilder();
        if (!string.IsNullOrEmpty(assemblies))
        {
            var start = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();
            void Note(string what)
            {
                lock (loads)
                    loads.Append(string.Create(CultureInfo.InvariantCulture,
                        $"{(DateTime.UtcNow - start).TotalSeconds:F3} s wall, {Environment.CpuUsage.TotalTime.TotalSeconds:F3} s CPU: {what}\n"));
            }
            Note("startup hook");
            AppDomain.CurrentDomain.AssemblyLoad += (_, e) => Note(e.LoadedAssembly.GetName().Name ?? "?");
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                Note("exit");
                lock (loads) File.WriteAllText(assemblies, loads.ToString());
            };
        }
        if (string.IsNullOrEmpty(path)) return;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            using var self = System.Diagnostics.Process.GetCurrentProcess();
            File.WriteAllText(path, string.Create(CultureInfo.InvariantCulture,
                $"{System.Runtime.JitInfo.GetCompiledMethodCount()} {System.Runtime.JitInfo.GetCompilationTime().TotalSeconds} {self.TotalProcessorTime.TotalSeconds}"));
        };
    }
}
