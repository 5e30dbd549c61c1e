using System.Collections.Immutable;
using Interactive.Xai.Inspection;
using System.Globalization;

namespace Interactive.Xai;

/// <summary>Options for <see cref="TrainingMonitor"/>.</summary>
public sealed record TrainingMonitorOptions
{
    /// <summary>
    /// The shortest time between two <see cref="TrainingMonitor.Updated"/> events. Values logged sooner are gathered
    /// and published together when the interval has passed (and by <see cref="TrainingMonitor.Complete"/>).
    /// </summary>
    public TimeSpan MinimumUpdateInterval { get; init; } = TimeSpan.FromMilliseconds(250);
}

/// <summary>
/// A thread-safe recorder for a training loop the user writes: call <see cref="Log"/> (or <see cref="LogValidation"/>)
/// with the loss and any metrics, <see cref="LogLearningRate"/> and <see cref="LogGradientNorms"/> as often as you
/// like, from any thread; <see cref="Snapshot"/> returns an immutable copy at any time.
/// <para>
/// Every value logged raises <see cref="Version"/>. The <see cref="Updated"/> event carries a fresh snapshot at most
/// once per <see cref="TrainingMonitorOptions.MinimumUpdateInterval"/>: the first change after a quiet interval is
/// published at once, later ones are gathered and published by a timer when the interval has passed, so the last
/// values always arrive even if logging stops; <see cref="Complete"/> publishes a final snapshot at once. Events are
/// raised one at a time, in increasing version order, outside the monitor's lock (a handler may call
/// <see cref="Snapshot"/>). Time comes from the injected <see cref="TimeProvider"/>, so tests need no real waiting.
/// </para>
/// Charts (loss and metric curves, learning rate, gradient norms) and <c>SaveHtml</c> live in Interactive.Xai.Charts.
/// </summary>
public sealed class TrainingMonitor : IDisposable
{
    /// <summary>The series name of the loss.</summary>
    public const string LossName = "loss";

    /// <summary>The series name of the learning rate.</summary>
    public const string LearningRateName = "learning rate";

    private readonly Lock _gate = new();
    private readonly Lock _publishGate = new();
    private readonly TimeProvider _clock;
    private readonly long _started;
    private readonly TimeSpan _interval;
    private readonly List<(string Name, string Split, List<TrainingPoint> Points)> _metrics = [];
    private readonly Dictionary<(string Name, string Split), List<TrainingPoint>> _metricIndex = [];
    private readonly List<TrainingPoint> _learningRate = [];
    private readonly List<(string Layer, List<TrainingPoint> Points)> _gradients = [];
    private readonly Dictionary<string, List<TrainingPoint>> _gradientIndex = new(StringComparer.Ordinal);
    private readonly List<TrainingDistribution> _distributions = [];
    private readonly Dictionary<(string Tensor, DistributionKind Kind, int Epoch), int> _distributionIndex = [];
    private long _version;
    private long _publishedVersion;
    private TimeSpan? _lastPublished;
    private ITimer? _timer;
    private bool _completed;
    private bool _completionPublished;
    private int? _lastEpoch;
    private long? _lastStep;

    /// <summary>Creates a monitor; <paramref name="clock"/> defaults to the system clock.</summary>
    public TrainingMonitor(TrainingMonitorOptions? options = null, TimeProvider? clock = null)
    {
        var settings = options ?? new TrainingMonitorOptions();
        if (settings.MinimumUpdateInterval < TimeSpan.Zero)
            throw new XaiException($"the minimum update interval must not be negative, got {settings.MinimumUpdateInterval}");
        _interval = settings.MinimumUpdateInterval;
        _clock = clock ?? TimeProvider.System;
        _started = _clock.GetTimestamp();
    }

    /// <summary>Raised with a fresh snapshot, throttled as the class describes.</summary>
    public event EventHandler<TrainingSnapshot>? Updated;

    /// <summary>The change counter: the number of values logged so far.</summary>
    public long Version
    {
        get { lock (_gate) return _version; }
    }

    /// <summary>True once <see cref="Complete"/> was called.</summary>
    public bool IsCompleted
    {
        get { lock (_gate) return _completed; }
    }

    /// <summary>
    /// Logs the loss and any metrics (for example accuracy) of <paramref name="split"/> (training by default) at a step.
    /// </summary>
    public void Log(int epoch, long step, double loss, IReadOnlyDictionary<string, double>? metrics = null, string split = TrainingSplit.Train)
    {
        CheckPosition(epoch, step);
        CheckName(split, "split");
        if (metrics is not null) foreach (var name in metrics.Keys) CheckName(name, "metric name");
        lock (_gate)
        {
            EnsureOpen();
            var time = Now();
            Add(LossName, split, new TrainingPoint(epoch, step, loss, time));
            if (metrics is not null)
                foreach (var (name, value) in metrics.OrderBy(m => m.Key, StringComparer.Ordinal)) Add(name, split, new TrainingPoint(epoch, step, value, time));
            Touch(epoch, step, 1 + (metrics?.Count ?? 0));
        }
        Changed();
    }

    /// <summary>Logs the validation loss and metrics at a step (<see cref="Log"/> with the validation split).</summary>
    public void LogValidation(int epoch, long step, double loss, IReadOnlyDictionary<string, double>? metrics = null)
        => Log(epoch, step, loss, metrics, TrainingSplit.Validation);

    /// <summary>Logs one metric without a loss.</summary>
    public void LogMetric(int epoch, long step, string name, double value, string split = TrainingSplit.Train)
    {
        CheckPosition(epoch, step);
        CheckName(name, "metric name");
        CheckName(split, "split");
        lock (_gate)
        {
            EnsureOpen();
            Add(name, split, new TrainingPoint(epoch, step, value, Now()));
            Touch(epoch, step, 1);
        }
        Changed();
    }

    /// <summary>Logs the learning rate in use at a step.</summary>
    public void LogLearningRate(int epoch, long step, double learningRate)
    {
        CheckPosition(epoch, step);
        if (!(learningRate >= 0) || double.IsInfinity(learningRate))
            throw new XaiException($"the learning rate must be a finite number of at least 0, got {learningRate.ToString(CultureInfo.InvariantCulture)}");
        lock (_gate)
        {
            EnsureOpen();
            _learningRate.Add(new TrainingPoint(epoch, step, learningRate, Now()));
            Touch(epoch, step, 1);
        }
        Changed();
    }

    /// <summary>
    /// Logs each layer's gradient norm at a step (for example the L2 norm of each parameter's gradient after the
    /// backward pass). The epoch recorded is the highest logged so far, or 0.
    /// </summary>
    public void LogGradientNorms(long step, IReadOnlyDictionary<string, double> perLayer)
    {
        ArgumentNullException.ThrowIfNull(perLayer);
        CheckPosition(0, step);
        foreach (var (layer, norm) in perLayer)
        {
            CheckName(layer, "layer name");
            if (norm < 0) throw new XaiException($"the gradient norm of layer '{layer}' is negative ({norm.ToString(CultureInfo.InvariantCulture)}); a norm is at least 0");
        }
        if (perLayer.Count == 0) return;
        lock (_gate)
        {
            EnsureOpen();
            var time = Now();
            int epoch = _lastEpoch ?? 0;
            foreach (var (layer, norm) in perLayer)
            {
                if (!_gradientIndex.TryGetValue(layer, out var points))
                {
                    points = [];
                    _gradientIndex.Add(layer, points);
                    _gradients.Add((layer, points));
                }
                points.Add(new TrainingPoint(epoch, step, norm, time));
            }
            Touch(epoch, step, perLayer.Count);
        }
        Changed();
    }

    /// <summary>
    /// Logs the distribution of each tensor's values (weights, or gradients after a backward pass) in
    /// <paramref name="epoch"/>: a histogram of <paramref name="bins"/> equal-width bins and fixed quantiles
    /// (<see cref="ValueDistribution"/>), so memory stays bounded by tensors × epochs whatever the tensors' sizes. A
    /// tensor logged again in the same epoch replaces that epoch's entry (log once per epoch, or let the last call win).
    /// The values are summarised before the call returns; the caller may reuse its buffers.
    /// </summary>
    public void LogDistributions(int epoch, long step, DistributionKind kind, IReadOnlyDictionary<string, float[]> perTensor, int bins = ValueDistribution.DefaultBins)
    {
        ArgumentNullException.ThrowIfNull(perTensor);
        CheckPosition(epoch, step);
        if (bins < 1) throw new XaiException($"a distribution needs at least 1 bin, got {bins}");
        var summaries = new List<TrainingDistribution>(perTensor.Count);
        foreach (var (tensor, values) in perTensor)
        {
            CheckName(tensor, "tensor name");
            ArgumentNullException.ThrowIfNull(values, tensor);
            summaries.Add(new TrainingDistribution(tensor, kind, epoch, step, ValueDistribution.Of(values, bins)));
        }
        if (summaries.Count == 0) return;
        lock (_gate)
        {
            EnsureOpen();
            foreach (var d in summaries)
            {
                if (_distributionIndex.TryGetValue((d.Tensor, d.Kind, d.Epoch), out int at)) _distributions[at] = d;
                else
                {
                    _distributionIndex.Add((d.Tensor, d.Kind, d.Epoch), _distributions.Count);
                    _distributions.Add(d);
                }
            }
            Touch(epoch, step, summaries.Count);
        }
        Changed();
    }

    /// <summary>Publishes a snapshot now if anything was logged since the last <see cref="Updated"/> event.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            CancelTimer();
            _lastPublished = Now();
        }
        Publish(force: false);
    }

    /// <summary>Marks training as finished and publishes the final snapshot at once (IsCompleted true). Later logs are refused.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            CancelTimer();
            _lastPublished = Now();
        }
        Publish(force: true);
    }

    /// <summary>An immutable copy of everything logged so far.</summary>
    public TrainingSnapshot Snapshot()
    {
        lock (_gate)
        {
            return new TrainingSnapshot
            {
                Version = _version,
                Metrics = _metrics.Select(m => new TrainingSeries(m.Name, m.Split, [.. m.Points])).ToImmutableArray(),
                LearningRate = new TrainingSeries(LearningRateName, TrainingSplit.Train, [.. _learningRate]),
                GradientNorms = _gradients.Select(g => new TrainingSeries(g.Layer, TrainingSplit.Train, [.. g.Points])).ToImmutableArray(),
                Distributions = _distributions.Count == 0 ? TrainingDistributions.Empty : new TrainingDistributions { Entries = [.. _distributions] },
                Elapsed = Now(),
                IsCompleted = _completed,
                LastEpoch = _lastEpoch,
                LastStep = _lastStep,
            };
        }
    }

    /// <summary>Stops the pending update timer, if any (no event is raised).</summary>
    public void Dispose()
    {
        lock (_gate) CancelTimer();
    }

    private TimeSpan Now() => _clock.GetElapsedTime(_started);

    private void Add(string name, string split, TrainingPoint point)
    {
        if (!_metricIndex.TryGetValue((name, split), out var points))
        {
            points = [];
            _metricIndex.Add((name, split), points);
            _metrics.Add((name, split, points));
        }
        points.Add(point);
    }

    private void Touch(int epoch, long step, int values)
    {
        _version += values;
        _lastEpoch = Math.Max(_lastEpoch ?? epoch, epoch);
        _lastStep = Math.Max(_lastStep ?? step, step);
    }

    private void EnsureOpen()
    {
        if (_completed) throw new XaiException("the training monitor was completed; start a new TrainingMonitor to log another run");
    }

    private static void CheckPosition(int epoch, long step)
    {
        if (epoch < 0) throw new XaiException($"the epoch must be at least 0, got {epoch}");
        if (step < 0) throw new XaiException($"the step must be at least 0, got {step}");
    }

    private static void CheckName(string? name, string what)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new XaiException($"a {what} must not be empty");
    }

    /// <summary>After a change: publish now when the interval since the last event has passed, else make sure a timer will.</summary>
    private void Changed()
    {
        bool now = false;
        lock (_gate)
        {
            var time = Now();
            if (_lastPublished is null || time - _lastPublished.Value >= _interval)
            {
                CancelTimer();
                _lastPublished = time;
                now = true;
            }
            else
            {
                _timer ??= _clock.CreateTimer(_ => OnTimer(), null, _lastPublished.Value + _interval - time, Timeout.InfiniteTimeSpan);
            }
        }
        if (now) Publish(force: false);
    }

    private void OnTimer()
    {
        lock (_gate)
        {
            if (_timer is null) return;
            CancelTimer();
            _lastPublished = Now();
        }
        Publish(force: false);
    }

    private void CancelTimer()
    {
        _timer?.Dispose();
        _timer = null;
    }

    private void Publish(bool force)
    {
        lock (_publishGate)
        {
            var snapshot = Snapshot();
            bool completion = force && snapshot.IsCompleted && !_completionPublished;
            if (snapshot.Version <= _publishedVersion && !completion) return;
            _publishedVersion = snapshot.Version;
            if (snapshot.IsCompleted) _completionPublished = true;
            Updated?.Invoke(this, snapshot);
        }
    }
}
