using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Interactive.Xai.Cluster.Tests;

/// <summary>
/// `xai worker` processes on localhost (the built xai.dll, as a user starts it). The first is the primary; disposing
/// kills every one still running (and each worker also ends by itself when this test process ends).
/// </summary>
internal sealed class Workers : IDisposable
{
    private readonly List<Worker> _workers = [];

    private Workers()
    {
    }

    public IReadOnlyList<Worker> All => _workers;

    /// <summary>The gateways, as --cluster takes them.</summary>
    public string Address => string.Join(',', _workers.Where(w => !w.Process.HasExited).Select(w => $"localhost:{w.GatewayPort}"));

    /// <summary>
    /// Starts <paramref name="count"/> workers with their membership in the Redis server at <paramref name="redis"/>
    /// (xai worker --redis, each advertising 127.0.0.1), one after another, and waits until each says it is listening.
    /// There is no primary: the first started is an ordinary member.
    /// </summary>
    public static Workers StartWithRedis(int count, string redis)
    {
        var workers = new Workers();
        try
        {
            for (int i = 0; i < count; i++) workers.Add(null, redis).WaitUntilListening();
            return workers;
        }
        catch
        {
            workers.Dispose();
            throw;
        }
    }

    /// <summary>Starts <paramref name="count"/> workers and waits until each says it is listening.</summary>
    public static Workers Start(int count)
    {
        var workers = new Workers();
        try
        {
            var primary = workers.Add(null);
            primary.WaitUntilListening();
            var others = Enumerable.Range(1, count - 1).Select(_ => workers.Add(primary.SiloPort)).ToList();
            foreach (var worker in others) worker.WaitUntilListening();
            return workers;
        }
        catch
        {
            workers.Dispose();
            throw;
        }
    }

    private Worker Add(int? primaryPort, string? redis = null)
    {
        int siloPort = FreePort(), gatewayPort = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "xai.dll"));
        foreach (var a in new[] { "worker", "--port", siloPort.ToString(), "--gateway-port", gatewayPort.ToString() }) start.ArgumentList.Add(a);
        if (primaryPort is { } p)
        {
            start.ArgumentList.Add("--primary");
            start.ArgumentList.Add($"localhost:{p}");
        }
        if (redis is not null)
        {
            foreach (var a in new[] { "--redis", redis, "--address", "127.0.0.1" }) start.ArgumentList.Add(a);
        }
        start.Environment["XAI_WORKER_PARENT_PID"] = Environment.ProcessId.ToString();
        var worker = new Worker(Process.Start(start)!, siloPort, gatewayPort);
        _workers.Add(worker);
        return worker;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Every worker's output (its log lines when XAI_CLUSTER_LOG is set), for a failed test's report.</summary>
    public string Outputs() => string.Join('\n', _workers.Select(w => $"--- worker on port {w.SiloPort} ---\n{w.Output}"));

    public void Dispose()
    {
        foreach (var worker in _workers) worker.Kill();
    }
}

/// <summary>One worker process.</summary>
internal sealed class Worker
{
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Worker(Process process, int siloPort, int gatewayPort)
    {
        Process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        process.OutputDataReceived += (_, e) => Received(e.Data);
        process.ErrorDataReceived += (_, e) => Received(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    private void Received(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (line.StartsWith("xai worker: listening", StringComparison.Ordinal)) _listening.TrySetResult();
    }

    public void WaitUntilListening()
    {
        var exited = Process.WaitForExitAsync();
        var first = Task.WhenAny(_listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(120))).GetAwaiter().GetResult();
        if (first != _listening.Task)
            throw new InvalidOperationException($"worker on port {SiloPort} did not start: {(Process.HasExited ? $"exit {Process.ExitCode}" : "no listening line in 120 s")}\n{Output}");
    }

    /// <summary>Stops the process where it is (SIGSTOP): it holds its connections open but answers nothing.</summary>
    public void Freeze() => Signal(SigStop);

    /// <summary>Lets a frozen process run again (SIGCONT).</summary>
    public void Resume() => Signal(SigCont);

    private const int SigCont = 18, SigStop = 19;

    private void Signal(int signal)
    {
        if (SendSignal(Process.Id, signal) != 0) throw new InvalidOperationException($"kill({Process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    public void Kill()
    {
        try
        {
            if (!Process.HasExited)
            {
                // (a frozen process is killed too: SIGKILL needs no cooperation)
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        Process.Dispose();
    }
}
