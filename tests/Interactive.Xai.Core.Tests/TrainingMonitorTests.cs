using System.Collections.Concurrent;

namespace Interactive.Xai.Tests;

/// <summary>A clock the test moves by hand; its timers fire (synchronously, in due order) when it is advanced past them.</summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() { lock (_gate) return _ticks; }
    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());
    public int PendingTimers { get { lock (_gate) return _timers.Count(t => t.Due is not null); } }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        lock (_gate) _timers.Add(timer);
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        long end;
        lock (_gate) end = _ticks + by.Ticks;
        while (true)
        {
            ManualTimer? next;
            lock (_gate)
            {
                next = _timers.Where(t => t.Due is { } due && due <= end).OrderBy(t => t.Due).FirstOrDefault();
                if (next is null) { _ticks = end; return; }
                _ticks = Math.Max(_ticks, next.Due!.Value);
                next.Due = null;
            }
            next.Fire();
        }
    }

    internal sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public long? Due { get; set; }
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate) Due = dueTime == Timeout.InfiniteTimeSpan ? null : clock._ticks + dueTime.Ticks;
            return true;
        }
        public void Fire() => callback(state);
        public void Dispose() { lock (clock._gate) Due = null; }
        public ValueTask DisposeAsync() { Dispose(); return ValueTask.CompletedTask; }
    }
}

public sealed class TrainingMonitorTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    [Fact]
    public void A_snapshot_holds_every_value_by_series_split_step_epoch_and_time()
    {
        var clock = new ManualClock();
        using var monitor = new TrainingMonitor(clock: clock);
        monitor.Log(0, 0, 2.5, new Dictionary<string, double> { ["accuracy"] = 0.1 });
        monitor.LogLearningRate(0, 0, 0.01);
        monitor.LogGradientNorms(0, new Dictionary<string, double> { ["fc1.weight"] = 3.0, ["fc2.weight"] = 0.5 });
        clock.Advance(TimeSpan.FromSeconds(1));
        monitor.Log(0, 10, 1.5, new Dictionary<string, double> { ["accuracy"] = 0.4 });
        monitor.LogValidation(0, 10, 1.8, new Dictionary<string, double> { ["accuracy"] = 0.3 });
        monitor.LogGradientNorms(10, new Dictionary<string, double> { ["fc1.weight"] = 2.0 });
        clock.Advance(TimeSpan.FromSeconds(1));
        monitor.Log(1, 20, 0.9);
        monitor.LogMetric(1, 20, "f1", 0.7, TrainingSplit.Validation);

        var s = monitor.Snapshot();
        Assert.Equal(2 + 1 + 2 + 2 + 2 + 1 + 1 + 1, s.Version);
        Assert.Equal(s.Version, monitor.Version);
        Assert.Equal(["loss", "accuracy", "f1"], s.MetricNames);
        var trainLoss = s.Find("loss")!;
        Assert.Equal([2.5, 1.5, 0.9], trainLoss.Points.Select(p => p.Value).ToArray());
        Assert.Equal([0L, 10L, 20L], trainLoss.Points.Select(p => p.Step).ToArray());
        Assert.Equal([0, 0, 1], trainLoss.Points.Select(p => p.Epoch).ToArray());
        Assert.Equal([TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], trainLoss.Points.Select(p => p.Time).ToArray());
        Assert.Equal([1.8], s.Find("loss", TrainingSplit.Validation)!.Points.Select(p => p.Value).ToArray());
        Assert.Equal([0.1, 0.4], s.Find("accuracy")!.Points.Select(p => p.Value).ToArray());
        Assert.Equal(0.3, s.Find("accuracy", TrainingSplit.Validation)!.Last!.Value);
        Assert.Equal(0.7, s.Find("f1", TrainingSplit.Validation)!.Last!.Value);
        Assert.Null(s.Find("f1"));
        Assert.Equal([0.01], s.LearningRate.Points.Select(p => p.Value).ToArray());
        Assert.Equal(["fc1.weight", "fc2.weight"], s.GradientNorms.Select(g => g.Name).ToArray());
        Assert.Equal([3.0, 2.0], s.GradientNorms[0].Points.Select(p => p.Value).ToArray());
        Assert.Equal([0L, 10L], s.GradientNorms[0].Points.Select(p => p.Step).ToArray());
        Assert.Equal((1, 20L), (s.LastEpoch!.Value, s.LastStep!.Value));
        Assert.Equal(TimeSpan.FromSeconds(2), s.Elapsed);
        Assert.False(s.IsCompleted);

        // Snapshots are copies: later logs do not change them.
        monitor.Log(1, 30, 0.5);
        Assert.Equal(3, s.Find("loss")!.Points.Length);
        Assert.Equal(4, monitor.Snapshot().Find("loss")!.Points.Length);
    }

    [Fact]
    public void Updates_come_at_most_once_per_interval_the_last_values_arrive_by_timer_and_complete_flushes_at_once()
    {
        var clock = new ManualClock();
        using var monitor = new TrainingMonitor(new TrainingMonitorOptions { MinimumUpdateInterval = Interval }, clock);
        var updates = new List<(TimeSpan At, long Version, bool Completed)>();
        monitor.Updated += (_, s) => updates.Add((s.Elapsed, s.Version, s.IsCompleted));

        // The first change is published at once.
        monitor.Log(0, 0, 1.0);
        Assert.Equal([(TimeSpan.Zero, 1L, false)], updates);

        // 100 logs 10 ms apart (1 s): one update per 250 ms, each carrying everything logged so far.
        for (int i = 1; i <= 100; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(10));
            monitor.Log(0, i, 1.0 / i);
        }
        var times = updates.Select(u => u.At).ToArray();
        for (int i = 1; i < times.Length; i++) Assert.True(times[i] - times[i - 1] >= Interval, $"updates at {times[i - 1]} and {times[i]}");
        Assert.Equal([0, 250, 500, 750, 1000], times.Select(t => (int)t.TotalMilliseconds).ToArray());
        Assert.Equal([1L, 25L, 50L, 75L, 100L], updates.Select(u => u.Version).ToArray());

        // Logging stops: the values after the last update arrive when the timer fires, not later than one interval.
        monitor.Log(0, 101, 0.001);
        Assert.Equal(5, updates.Count);
        Assert.Equal(1, clock.PendingTimers);
        clock.Advance(TimeSpan.FromMilliseconds(249));
        Assert.Equal(5, updates.Count);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal((1250, 102L), ((int)updates[^1].At.TotalMilliseconds, updates[^1].Version));

        // A quiet timer does nothing; Complete publishes at once even inside the interval, and only once.
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(6, updates.Count);
        monitor.Log(1, 102, 0.0005);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        monitor.Log(1, 103, 0.0004);
        Assert.Equal(7, updates.Count);
        monitor.Complete();
        Assert.Equal((104L, true), (updates[^1].Version, updates[^1].Completed));
        Assert.Equal(0, clock.PendingTimers);
        monitor.Complete();
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(8, updates.Count);
        Assert.Contains("was completed", Assert.Throws<XaiException>(() => monitor.Log(2, 200, 1)).Message);
    }

    [Fact]
    public void Flush_publishes_pending_values_now_and_nothing_when_there_are_none()
    {
        var clock = new ManualClock();
        using var monitor = new TrainingMonitor(new TrainingMonitorOptions { MinimumUpdateInterval = Interval }, clock);
        int updates = 0;
        monitor.Updated += (_, _) => updates++;
        monitor.Log(0, 0, 1);
        monitor.Log(0, 1, 1);
        Assert.Equal(1, updates);
        monitor.Flush();
        Assert.Equal(2, updates);
        Assert.Equal(0, clock.PendingTimers);
        monitor.Flush();
        Assert.Equal(2, updates);
    }

    [Fact]
    public void Parallel_logging_loses_no_value_and_updates_arrive_one_at_a_time_in_version_order()
    {
        using var monitor = new TrainingMonitor(new TrainingMonitorOptions { MinimumUpdateInterval = TimeSpan.Zero });
        var versions = new ConcurrentQueue<(long Version, bool Completed)>();
        int inside = 0, overlaps = 0;
        monitor.Updated += (_, s) =>
        {
            if (Interlocked.Increment(ref inside) > 1) Interlocked.Increment(ref overlaps);
            versions.Enqueue((s.Version, s.IsCompleted));
            Interlocked.Decrement(ref inside);
        };
        const int threads = 8, perThread = 2000;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            for (int i = 0; i < perThread; i++)
            {
                long step = (long)t * perThread + i;
                monitor.Log(t, step, step, new Dictionary<string, double> { ["accuracy"] = step });
                if (i % 10 == 0) monitor.LogGradientNorms(step, new Dictionary<string, double> { [$"layer{t}"] = step });
                if (i % 100 == 0) monitor.LogValidation(t, step, -step);
            }
        });
        monitor.Complete();
        var s = monitor.Snapshot();
        var loss = s.Find("loss")!.Points;
        Assert.Equal(threads * perThread, loss.Length);
        Assert.Equal(Enumerable.Range(0, threads * perThread).Select(i => (double)i).ToArray(), loss.Select(p => p.Value).Order().ToArray());
        Assert.All(loss, p => Assert.Equal(p.Step, (long)p.Value));
        Assert.Equal(threads * perThread, s.Find("accuracy")!.Points.Length);
        Assert.Equal(threads * perThread / 100, s.Find("loss", TrainingSplit.Validation)!.Points.Length);
        Assert.Equal(threads, s.GradientNorms.Length);
        Assert.All(s.GradientNorms, g => Assert.Equal(perThread / 10, g.Points.Length));
        Assert.Equal(2L * threads * perThread + threads * perThread / 10 + threads * perThread / 100, s.Version);
        var published = versions.ToArray();
        Assert.Equal(0, overlaps);
        // Strictly increasing; the completion snapshot may repeat the last version (nothing new, but now complete).
        var running = published.Where(p => !p.Completed).Select(p => p.Version).ToArray();
        Assert.True(running.Zip(running.Skip(1)).All(p => p.First < p.Second), "versions increase");
        Assert.Equal((s.Version, true), published[^1]);
        Assert.Single(published, p => p.Completed);
    }

    [Fact]
    public void Bad_values_are_refused_with_one_clear_message()
    {
        using var monitor = new TrainingMonitor();
        Assert.Contains("step must be at least 0", Assert.Throws<XaiException>(() => monitor.Log(0, -1, 1)).Message);
        Assert.Contains("epoch must be at least 0", Assert.Throws<XaiException>(() => monitor.Log(-1, 0, 1)).Message);
        Assert.Contains("metric name must not be empty", Assert.Throws<XaiException>(() => monitor.Log(0, 0, 1, new Dictionary<string, double> { [" "] = 1 })).Message);
        Assert.Contains("layer 'fc' is negative", Assert.Throws<XaiException>(() => monitor.LogGradientNorms(0, new Dictionary<string, double> { ["fc"] = -1 })).Message);
        Assert.Contains("learning rate must be a finite number", Assert.Throws<XaiException>(() => monitor.LogLearningRate(0, 0, double.NaN)).Message);
        Assert.Contains("must not be negative", Assert.Throws<XaiException>(() => new TrainingMonitor(new TrainingMonitorOptions { MinimumUpdateInterval = TimeSpan.FromSeconds(-1) })).Message);
        // Refused values leave nothing behind; a diverged (NaN) loss is recorded as it is.
        Assert.Equal(0, monitor.Version);
        monitor.Log(0, 0, double.NaN);
        Assert.True(double.IsNaN(monitor.Snapshot().Find("loss")!.Last!.Value));
    }
}
