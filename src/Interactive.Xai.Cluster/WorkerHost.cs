using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime.Hosting;

namespace Interactive.Xai.Cluster;

/// <summary>Where a worker listens and which cluster it joins.</summary>
public sealed record WorkerOptions
{
    /// <summary>The silo-to-silo port.</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>The port clients (xai explain --cluster) connect to.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>The primary silo's silo-to-silo endpoint; null makes this worker the primary (localhost clustering).</summary>
    public IPEndPoint? Primary { get; init; }

    /// <summary>The cluster's id (clients must use the same).</summary>
    public string ClusterId { get; init; } = ClusterJob.DefaultClusterId;

    /// <summary>The service's id (clients must use the same).</summary>
    public string ServiceId { get; init; } = ClusterJob.DefaultServiceId;

    /// <summary>
    /// A Redis connection string (for example "redis-host:6379"): the cluster's membership lives in Redis, so workers on
    /// several machines find one another and clients find the workers (no primary); null: localhost clustering.
    /// </summary>
    public string? Redis { get; init; }

    /// <summary>With <see cref="Redis"/>: the address other machines reach this worker at (default: this machine's first IPv4 address).</summary>
    public IPAddress? AdvertisedAddress { get; init; }
}

/// <summary>Starts an Orleans silo that serves explanation partitions (what `xai worker` runs).</summary>
public static class WorkerHost
{
    /// <summary>
    /// Builds a silo host. With <see cref="WorkerOptions.Redis"/> the membership table lives in Redis and no worker is
    /// special; otherwise localhost clustering: the first worker is the primary (it keeps the membership table in
    /// memory, and the cluster cannot outlive it), the others name it with <see cref="WorkerOptions.Primary"/>.
    /// </summary>
    public static IHost Build(WorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsoleIfAvailable();
        builder.Services.AddSingleton<WorkerState>();
        builder.Services.AddSingleton(options);
        builder.UseOrleans(silo =>
        {
            if (options.Redis is { } redis)
            {
                silo.ConfigureEndpoints(options.AdvertisedAddress ?? ThisMachine(), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = options.ClusterId;
                    o.ServiceId = options.ServiceId;
                });
                silo.UseRedisClustering(redis);
            }
            else
            {
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, options.Primary, options.ServiceId, options.ClusterId);
            }
            ConfigureMembership(silo);
            // Partition grains live only on the worker the client placed them on: a silo-local directory (no lookup or
            // registration on another silo, which may be the one that just died) instead of the cluster-wide DHT.
            silo.AddGrainDirectory(WorkerLocalDirectory.Name, (_, _) => new WorkerLocalDirectory());
            // Partitions may run for many minutes: their calls end through membership (the client cancels the calls of
            // a worker declared dead), never through this timeout.
            silo.Configure<SiloMessagingOptions>(m => m.ResponseTimeout = TimeSpan.FromHours(1));
        });
        return builder.Build();
    }

    /// <summary>This machine's first IPv4 address that is not loopback (loopback when it has none).</summary>
    public static IPAddress ThisMachine()
    {
        try
        {
            return Dns.GetHostAddresses(Dns.GetHostName())
                .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)) ?? IPAddress.Loopback;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return IPAddress.Loopback;
        }
    }

    /// <summary>
    /// Membership timings for a worker: a worker that dies or stops answering is declared dead by one other worker after
    /// two missed probes (the first direct, the second through another worker), each probe allowed 1 to 8 s
    /// (Orleans adapts it to the measured round trips) and sent every probe period (2 s at first). On localhost a killed
    /// worker refuses connections, so its probes fail at once: one was evicted 1.6 s after SIGKILL. A frozen one
    /// (SIGSTOP) was evicted after 17 s: Orleans holds back a vote while the connection delivered a message within the
    /// last 8 s x 2 probes. Workers learn the declaration by gossip; the client by polling membership.
    /// </summary>
    internal static void ConfigureMembership(ISiloBuilder silo) => silo.Configure<ClusterMembershipOptions>(m =>
    {
        m.ProbeTimeout = TimeSpan.FromSeconds(2);
        m.NumMissedProbesLimit = 2;
        m.NumVotesForDeathDeclaration = 1;
        // a backstop for a missed gossip message (the default is a minute)
        m.TableRefreshTimeout = TimeSpan.FromSeconds(5);
    });

    // XAI_CLUSTER_LOG=Information (or Debug, Warning, ...): Orleans' log lines on standard error, for diagnosing a
    // cluster (which silo suspected which, when one was declared dead). Off by default.
    private static void AddSimpleConsoleIfAvailable(this ILoggingBuilder logging)
    {
        if (ClusterLog.Level() is { } level)
        {
            logging.SetMinimumLevel(level);
            logging.AddProvider(new ClusterLog(Console.Error, "worker"));
        }
        else
        {
            logging.SetMinimumLevel(LogLevel.None);
        }
    }
}

/// <summary>A minimal log sink (timestamped lines on a writer) switched on by the XAI_CLUSTER_LOG environment variable.</summary>
internal sealed class ClusterLog(TextWriter writer, string who) : ILoggerProvider
{
    /// <summary>The level XAI_CLUSTER_LOG names, or null when it is unset or not a level.</summary>
    public static LogLevel? Level() =>
        Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("XAI_CLUSTER_LOG"), ignoreCase: true, out var level) ? level : null;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        var line = $"{DateTime.UtcNow:HH:mm:ss.fff} {who} {level} {category}: {message}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}";
        lock (writer)
        {
            writer.WriteLine(line.Replace('\n', ' ').Replace('\r', ' '));
            writer.Flush();
        }
    }

    private sealed class Logger(ClusterLog sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => sink.Write(logLevel, category, formatter(state, exception), exception);
    }
}
