using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Interactive.Xai.Cluster;
using Microsoft.Extensions.Hosting;

namespace Interactive.Xai.Cli;

/// <summary>`xai worker`: an Orleans silo that serves explanation partitions until stopped (Ctrl-C or SIGTERM).</summary>
internal static class WorkerCommand
{
    public static Command Create(TextWriter output)
    {
        var port = new Option<int>("--port") { Description = "The silo-to-silo port.", DefaultValueFactory = _ => 11111 };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "The port xai explain --cluster connects to.", DefaultValueFactory = _ => 30000 };
        var primary = new Option<string?>("--primary") { Description = "The first worker's silo endpoint (host:port, its --port) for the other workers to join; leave out on the first worker." };
        var redis = new Option<string?>("--redis") { Description = "Keep the cluster's membership in this Redis server (host:port, or a StackExchange.Redis connection string) so workers on several machines form one cluster; clients then use --cluster redis://CONNECTION. Without it: localhost clustering." };
        var address = new Option<string?>("--address") { Description = "With --redis: the IP address other machines reach this worker at (default: this machine's first IPv4 address)." };
        var command = new Command("worker",
            "Serve explanation jobs (xai explain --cluster) as an Orleans silo; others join with --primary or --redis.")
        {
            port, gatewayPort, primary, redis, address,
        };
        command.SetAction(parse => Run(new WorkerOptions
        {
            SiloPort = CheckPort(parse.GetValue(port), "--port"),
            GatewayPort = CheckPort(parse.GetValue(gatewayPort), "--gateway-port"),
            Primary = parse.GetValue(primary) is { } text ? ClusterJob.ParseGateways(text, "--primary") is [var one] ? one : throw new XaiException("--primary: give one host:port") : null,
            Redis = parse.GetValue(redis),
            AdvertisedAddress = parse.GetValue(address) is { } ip
                ? (IPAddress.TryParse(ip, out var parsed) ? parsed : throw new XaiException($"--address: '{ip}' is not an IP address"))
                : null,
        }, output));
        return command;
    }

    private static int CheckPort(int value, string option) => value is >= 1 and <= 65535
        ? value : throw new XaiException($"{option}: {value} is not a port (1 to 65535)");

    private static async Task WatchParent(int processId, CancellationTokenSource stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var parent = System.Diagnostics.Process.GetProcessById(processId);
                if (parent.HasExited) break;
            }
            catch (ArgumentException)
            {
                break;
            }
            await Task.Delay(1000).ConfigureAwait(false);
        }
        try
        {
            stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static int Run(WorkerOptions options, TextWriter output)
    {
        using var stop = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
        var host = WorkerHost.Build(options);
        try
        {
            host.StartAsync(stop.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            host.Dispose();
            throw new XaiException($"the worker could not start on port {options.SiloPort} (gateway {options.GatewayPort}): {e.GetBaseException().Message}");
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"xai worker: listening on {(options.Redis is null ? IPAddress.Loopback : options.AdvertisedAddress ?? WorkerHost.ThisMachine())}:{options.SiloPort}, gateway {options.GatewayPort}{(options.Redis is not null ? ", membership in Redis" : options.Primary is { } p ? $", joined {p}" : " (primary)")}"));
        output.Flush();
        // A worker started by a test (or a supervisor) can be told to end with its parent: XAI_WORKER_PARENT_PID.
        if (int.TryParse(Environment.GetEnvironmentVariable("XAI_WORKER_PARENT_PID"), NumberStyles.None, CultureInfo.InvariantCulture, out int parent))
            _ = WatchParent(parent, stop);
        try
        {
            Task.Delay(Timeout.Infinite, stop.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }
        // Leave the cluster gracefully, but never hang on it (a membership store that is gone can stall shutdown).
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var stopping = Task.Run(async () =>
        {
            await host.StopAsync(grace.Token).ConfigureAwait(false);
            host.Dispose();
        });
        bool stopped = stopping.Wait(TimeSpan.FromSeconds(15)) || stopping.IsCompletedSuccessfully;
        output.WriteLine(stopped ? "xai worker: stopped" : "xai worker: stopped (without leaving the cluster cleanly)");
        return 0;
    }
}

/// <summary>`xai explain ... --cluster ADDRESS`: the same request, run as a job on the workers.</summary>
internal static class ClusterExplain
{
    public static Explanation Run(ExplainRequest request, IModel model, FeatureTable table, Interactive.Xai.Hosting.ExplanationRequest explanationRequest,
        Interactive.Xai.Hosting.ExplanationInputs inputs, TextWriter? error)
    {
        using var cancel = new CancellationTokenSource();
        // Ctrl-C cancels the job (its running partitions stop on the workers), then the command ends with "cancelled".
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        var reporter = error is null ? null : ProgressReporter.For(error, request.Quiet);
        try
        {
            var progress = reporter is null ? null : new Progress(reporter);
            return ClusterJob.Run(request.Cluster!, request.Model, model, table, explanationRequest, inputs,
                new ModelFileOptions { OutputColumn = request.OutputColumn, InputShape = explanationRequest.InputShape }, progress: progress,
                cancellationToken: cancel.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            reporter?.Finish();
        }
    }

    // Partitions done, rows per second and time left, through the command line's usual progress line.
    private sealed class Progress(ProgressReporter reporter) : IProgress<ClusterProgress>
    {
        public void Report(ClusterProgress value) => reporter.Report(new ExplanationProgress(
            string.Create(CultureInfo.InvariantCulture, $"cluster: {value.PartitionsDone} of {value.Partitions} partitions on {value.Workers} workers{(value.Retries > 0 ? $", {value.Retries} re-run" : "")}"),
            value.RowsDone, value.Rows));
    }
}
