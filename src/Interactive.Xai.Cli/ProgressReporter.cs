using System.Diagnostics;
using System.Globalization;

namespace Interactive.Xai.Cli;

/// <summary>
/// Shows an explainer's progress on standard error: on a terminal one line redrawn in place (a bar with rate and
/// time left), otherwise a line every few seconds. Nothing for runs shorter than the first interval.
/// </summary>
internal sealed class ProgressReporter : IProgress<ExplanationProgress>
{
    private readonly TextWriter _error;
    private readonly bool _terminal;
    private readonly TimeSpan _interval;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private TimeSpan _last;
    private bool _drawn;

    public ProgressReporter(TextWriter error, bool terminal)
    {
        _error = error;
        _terminal = terminal;
        _interval = terminal ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(5);
        _last = terminal ? TimeSpan.FromSeconds(0.75) - _interval : TimeSpan.Zero;
    }

    /// <summary>A reporter for the command line's standard error, or null with --quiet.</summary>
    public static ProgressReporter? For(TextWriter error, bool quiet)
        => quiet ? null : new ProgressReporter(error, ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected);

    public void Report(ExplanationProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        lock (_gate)
        {
            var now = _clock.Elapsed;
            if (now - _last < _interval) return;
            _last = now;
            _error.Write(_terminal ? "\r" + Line(value, now) + "\u001b[K" : Line(value, now) + Environment.NewLine);
            _drawn = true;
        }
    }

    /// <summary>Ends a redrawn terminal line so that what follows starts on its own line.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_terminal && _drawn) _error.Write("\r\u001b[K");
            _drawn = false;
        }
    }

    private string Line(ExplanationProgress value, TimeSpan elapsed)
    {
        var inv = CultureInfo.InvariantCulture;
        double fraction = value.Fraction;
        double rate = elapsed.TotalSeconds > 0 ? value.Completed / elapsed.TotalSeconds : 0;
        string left = fraction > 0 && fraction < 1
            ? string.Create(inv, $", about {elapsed.TotalSeconds * (1 - fraction) / fraction:F0} s left") : "";
        string bar = _terminal ? "[" + new string('#', (int)(fraction * 20)).PadRight(20) + "] " : "";
        return string.Create(inv, $"{value.Stage}: {bar}{fraction * 100:F0}% ({value.Completed:N0} of {value.Total:N0}, {rate:N0}/s{left})");
    }
}
