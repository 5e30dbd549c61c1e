using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;

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
    /// Builds a silo host with localhost clustering: the first worker is the primary (it keeps the membership table
    /// in memory), the others name it with <see cref="WorkerOptions.Primary"/>. Production clusters use a membership
    /// provider instead (see the README: ADO.NET clustering).
    /// </summary>
    public static IHost Build(WorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsoleIfAvailable();
        builder.Services.AddSingleton<WorkerState>();
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
            // A killed worker is declared dead after a few seconds, so its partitions move on quickly.
            silo.Configure<ClusterMembershipOptions>(m =>
            {
                m.ProbeTimeout = TimeSpan.FromSeconds(2);
                m.NumMissedProbesLimit = 2;
                m.NumVotesForDeathDeclaration = 1;
            });
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

    private static void AddSimpleConsoleIfAvailable(this ILoggingBuilder logging) => logging.SetMinimumLevel(LogLevel.None);
}
