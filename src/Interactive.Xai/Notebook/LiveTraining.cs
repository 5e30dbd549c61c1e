namespace Interactive.Xai.Notebook;

/// <summary>The training monitor shown live in a notebook: one output whose curves are redrawn in place as values are logged.</summary>
public static class LiveTraining
{
    /// <summary>
    /// Displays <paramref name="monitor"/>'s dashboard and redraws that same output on each of the monitor's
    /// <see cref="TrainingMonitor.Updated"/> events (which the monitor already throttles, see
    /// <see cref="TrainingMonitorOptions.MinimumUpdateInterval"/>); <see cref="TrainingMonitor.Complete"/> draws the final
    /// state. Dispose the result to stop redrawing. Needs the extension (#r "nuget: Interactive.Xai").
    /// </summary>
    /// <exception cref="InvalidOperationException">No notebook is attached.</exception>
    public static IDisposable ShowLive(this TrainingMonitor monitor) => ShowLive(monitor, null);

    /// <summary>As <see cref="ShowLive(TrainingMonitor)"/>, displaying through <paramref name="host"/> (returns the update action of a displayed value).</summary>
    internal static IDisposable ShowLive(TrainingMonitor monitor, Func<object, Action<object>>? host)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        // The monitor throttles; the view adds no interval of its own (1 ms) so that no update it publishes is held back.
        return LiveViews.Show(monitor, changed => new Subscription(monitor, changed), TimeSpan.FromMilliseconds(1), host);
    }

    private sealed class Subscription : IDisposable
    {
        private readonly TrainingMonitor _monitor;
        private readonly EventHandler<TrainingSnapshot> _handler;

        public Subscription(TrainingMonitor monitor, Action changed)
        {
            _monitor = monitor;
            _handler = (_, _) => changed();
            monitor.Updated += _handler;
        }

        public void Dispose() => _monitor.Updated -= _handler;
    }
}
