namespace Interactive.Xai.Notebook;

/// <summary>
/// Outputs that update in place while work goes on (progress lines, the training monitor's curves). The extension
/// binds <see cref="Host"/> to the kernel: it displays a value and returns a function that replaces that output
/// (the kernel's DisplayedValue.Update). Without a host (plain C#, tests) values go nowhere unless one is set.
/// </summary>
public static class LiveViews
{
    /// <summary>Displays a value and returns an updater for that same output. Set by extension.dib.</summary>
    public static Func<object, Action<object>>? Host { get; set; }

    /// <summary>
    /// Shows <paramref name="value"/> and keeps its output current: <paramref name="subscribe"/> is given a callback
    /// to invoke whenever the value changed; updates are throttled to at most one per <paramref name="interval"/>
    /// (default 250 ms), and the last change is always shown. Dispose the result to stop updating.
    /// </summary>
    /// <exception cref="InvalidOperationException">No host is bound (the extension is not loaded).</exception>
    public static IDisposable Show(object value, Func<Action, IDisposable> subscribe, TimeSpan? interval = null)
        => Show(value, subscribe, interval, null);

    /// <summary>As <see cref="Show(object, Func{Action, IDisposable}, TimeSpan?)"/>, displaying through <paramref name="host"/> (a magic command's own output) instead of <see cref="Host"/>.</summary>
    public static IDisposable Show(object value, Func<Action, IDisposable> subscribe, TimeSpan? interval, Func<object, Action<object>>? host)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(subscribe);
        host ??= Host ?? throw new InvalidOperationException("No notebook is attached: load the extension with #r \"nuget: Interactive.Xai\".");
        var update = host(value);
        return new LiveView(value, update, subscribe, interval ?? TimeSpan.FromMilliseconds(250));
    }

    private sealed class LiveView : IDisposable
    {
        private readonly object _value;
        private readonly Action<object> _update;
        private readonly IDisposable _subscription;
        private readonly Timer _timer;
        private readonly long _intervalMs;
        private readonly Lock _gate = new();
        private long _lastUpdate = long.MinValue;
        private bool _pending, _disposed;

        public LiveView(object value, Action<object> update, Func<Action, IDisposable> subscribe, TimeSpan interval)
        {
            _value = value;
            _update = update;
            _intervalMs = Math.Max(1, (long)interval.TotalMilliseconds);
            _timer = new Timer(_ => Flush(), null, Timeout.Infinite, Timeout.Infinite);
            _subscription = subscribe(Changed);
        }

        private void Changed()
        {
            lock (_gate)
            {
                if (_disposed) return;
                long now = Environment.TickCount64;
                if (_lastUpdate == long.MinValue || now - _lastUpdate >= _intervalMs)
                {
                    _lastUpdate = now;
                    _pending = false;
                    _update(_value);
                }
                else if (!_pending)
                {
                    _pending = true;
                    _timer.Change(_intervalMs - (now - _lastUpdate), Timeout.Infinite);
                }
            }
        }

        private void Flush()
        {
            lock (_gate)
            {
                if (_disposed || !_pending) return;
                _pending = false;
                _lastUpdate = Environment.TickCount64;
                _update(_value);
            }
        }

        public void Dispose()
        {
            _subscription.Dispose();
            lock (_gate)
            {
                if (_disposed) return;
                bool pending = _pending;
                _disposed = true;
                _pending = false;
                _timer.Dispose();
                if (pending) _update(_value);
            }
        }
    }
}
