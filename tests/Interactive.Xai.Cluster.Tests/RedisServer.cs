using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Interactive.Xai.TestSupport;

namespace Interactive.Xai.Cluster.Tests;

/// <summary>
/// A private Debian redis-server for one test: a free loopback port, its own temporary folder, nothing saved to disk
/// (--save "" --appendonly no), killed and its folder deleted on dispose. Each test has its own server, so no two tests
/// share a membership table. A missing redis-server is installed with apt-get when the tests run as root (as CI's
/// .ci/run does up front); otherwise the test fails with one line naming the install command. Never skipped.
/// </summary>
internal sealed class RedisServer : IDisposable
{
    public const string Executable = "/usr/bin/redis-server";

    private readonly Process _process;
    private readonly string _folder;
    private readonly StringBuilder _output = new();

    private RedisServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    /// <summary>The server's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The connection string xai worker --redis takes (and, after redis://, xai explain --cluster).</summary>
    public string Connection => $"127.0.0.1:{Port}";

    /// <summary>What the server printed (for a failed test's report).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Starts a server and waits until it answers PING.</summary>
    public static RedisServer Start()
    {
        Prerequisites.Require("redis-server (the Redis membership tests need it)", () => File.Exists(Executable), "redis-server");
        var folder = Directory.CreateTempSubdirectory("xai-redis-").FullName;
        int port = Workers.FreePort();
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = folder };
        foreach (var a in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder, "--daemonize", "no", "--protected-mode", "yes" })
            start.ArgumentList.Add(a);
        var server = new RedisServer(Process.Start(start)!, folder, port);
        server._process.OutputDataReceived += (_, e) => server.Received(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Received(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        try
        {
            var clock = Stopwatch.StartNew();
            while (!server.AnswersPing())
            {
                if (server._process.HasExited)
                    throw new InvalidOperationException($"redis-server on port {port} exited with {server._process.ExitCode}: {server.Output}");
                if (clock.Elapsed > TimeSpan.FromSeconds(30))
                    throw new InvalidOperationException($"redis-server on port {port} did not answer PING in 30 s: {server.Output}");
                Thread.Sleep(100);
            }
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private void Received(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private bool AnswersPing()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            stream.ReadTimeout = 2000;
            stream.Write("PING\r\n"u8);
            var buffer = new byte[16];
            int read = stream.Read(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }
    }

    /// <summary>The membership keys in the server (KEYS *), to show which cluster a test's workers wrote.</summary>
    public IReadOnlyList<string> Keys()
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, Port);
        var stream = client.GetStream();
        stream.ReadTimeout = 2000;
        stream.Write("KEYS *\r\n"u8);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var header = reader.ReadLine() ?? "";
        if (!header.StartsWith('*')) throw new InvalidOperationException($"KEYS answered '{header}'");
        int count = int.Parse(header[1..], System.Globalization.CultureInfo.InvariantCulture);
        var keys = new List<string>();
        for (int i = 0; i < count; i++)
        {
            _ = reader.ReadLine();
            keys.Add(reader.ReadLine() ?? "");
        }
        return keys;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
