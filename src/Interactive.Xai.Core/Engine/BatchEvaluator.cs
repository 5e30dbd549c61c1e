namespace Interactive.Xai.Engine;

/// <summary>
/// Fills the inputs of <paramref name="count"/> consecutive perturbed rows starting at <paramref name="firstRow"/>.
/// <paramref name="destination"/> is at least count x features long and has <see cref="BatchEvaluator.Padding"/> spare
/// values after them, so a vectorised fill may write whole vectors past a row's end (the model never sees them).
/// </summary>
public delegate void FillRows(long firstRow, int count, Span<float> destination);

/// <summary>
/// The one place where explainers meet the model. An explainer numbers all the perturbed inputs it needs
/// (0 .. count-1) and supplies a function that writes any consecutive range of them; the evaluator cuts the
/// range into batches of <see cref="ExplainerOptions.BatchSize"/> rows, fills and evaluates them in parallel
/// (for thread-safe models), writes every output into one row-major array, counts evaluations, reports
/// progress and honours cancellation between batches.
/// </summary>
public sealed class BatchEvaluator
{
    private readonly IModel _model;
    private readonly ExplainerOptions _options;
    private readonly IProgress<ExplanationProgress>? _progress;
    private readonly CancellationToken _cancellationToken;
    private readonly string _stage;
    private readonly System.Collections.Concurrent.ConcurrentBag<float[]> _fillBuffers = new();
    private long _evaluations;

    /// <summary>Spare values after the last row of every fill destination.</summary>
    public const int Padding = 32;
    private long _total;

    /// <summary>Creates an evaluator for one explain call.</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Batch size and parallelism.</param>
    /// <param name="stage">The progress stage name.</param>
    /// <param name="totalEvaluations">The evaluations expected in all (for progress).</param>
    /// <param name="progress">Receives progress after each batch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    public BatchEvaluator(IModel model, ExplainerOptions options, string stage, long totalEvaluations,
        IProgress<ExplanationProgress>? progress, CancellationToken cancellationToken)
    {
        _model = model;
        _options = options;
        _stage = stage;
        _total = totalEvaluations;
        _progress = progress;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Rows sent to the model so far.</summary>
    public long Evaluations => Interlocked.Read(ref _evaluations);

    /// <summary>Raises the expected total (for explainers that learn it as they go).</summary>
    public void AddToTotal(long rows) => Interlocked.Add(ref _total, rows);

    private void ThrowNotFinite(ReadOnlySpan<float> produced, ReadOnlySpan<float> inputs, int outputs, int features)
    {
        int index = 0;
        while (float.IsFinite(produced[index])) index++;
        int row = index / outputs;
        var input = string.Join(", ", inputs.Slice(row * features, Math.Min(features, 8)).ToArray().Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)));
        throw new XaiException($"the model returned {produced[index].ToString(System.Globalization.CultureInfo.InvariantCulture)} for output '{_model.OutputNames[index % outputs]}' on input [{input}{(features > 8 ? ", ..." : "")}]");
    }

    // A fill buffer of at least `length` floats: one that an earlier Evaluate call of this evaluator used, else a new
    // one. Explainers call Evaluate once per block; a new buffer per worker and block (320 KB at 8,192 rows x 10
    // features, on the large-object heap) was garbage that raised peak memory. Fills write every value the model
    // reads (a buffer was always reused from batch to batch), so an old buffer's contents never matter.
    private float[] RentFillBuffer(int length)
    {
        while (_fillBuffers.TryTake(out var buffer))
            if (buffer.Length >= length) return buffer;
        return new float[length];
    }

    /// <summary>Evaluates <paramref name="count"/> perturbed rows; returns count x OutputCount outputs.</summary>
    public float[] Evaluate(long count, FillRows fill)
    {
        int outputs = _model.OutputCount();
        if (count * outputs > Array.MaxLength)
            throw new XaiException($"{count} model evaluations at once are too many to hold in memory; explain fewer rows per call");
        var result = new float[count * outputs];
        Evaluate(count, fill, result);
        return result;
    }

    /// <summary>Evaluates <paramref name="count"/> perturbed rows into <paramref name="result"/>.</summary>
    /// <remarks>
    /// The batches run on up to <see cref="ExplainerOptions.MaxDegreeOfParallelism"/> workers: the calling thread and
    /// thread-pool work items.
    /// </remarks>
    public void Evaluate(long count, FillRows fill, float[] result)
    {
        ArgumentNullException.ThrowIfNull(fill);
        ArgumentNullException.ThrowIfNull(result);
        int outputs = _model.OutputCount();
        if (result.LongLength < count * outputs)
            throw new ArgumentException($"{count} rows of {outputs} outputs need {count * outputs} values, not {result.LongLength}", nameof(result));
        _cancellationToken.ThrowIfCancellationRequested();
        if (count == 0) return;
        int features = _model.FeatureCount;
        int batch = (int)Math.Min(_options.BatchSize, count);
        long batches = (count + batch - 1) / batch;
        int parallelism = _model.IsThreadSafe
            ? (int)Math.Min(batches, _options.MaxDegreeOfParallelism ?? Environment.ProcessorCount)
            : 1;
        long next = -1;

        void Work()
        {
            var buffer = RentFillBuffer(batch * features + Padding);
            try
            {
                while (true)
                {
                    long b = Interlocked.Increment(ref next);
                    if (b >= batches) break;
                    _cancellationToken.ThrowIfCancellationRequested();
                    long first = b * batch;
                    int n = (int)Math.Min(batch, count - first);
                    RunOne(first, n, buffer);
                }
            }
            catch
            {
                Interlocked.Exchange(ref next, batches); // the other workers stop after their current batch
                throw;
            }
            finally
            {
                _fillBuffers.Add(buffer);
            }
        }

        if (parallelism <= 1)
        {
            Work();
            return;
        }
        // The other workers are thread-pool tasks: reused threads, where a thread of its own per call cost the second
        // worker most of its gain (ONNX Runtime's per-thread state is set up again on every new thread; measured with
        // --floor-scaling: permutation importance 1.31-1.52x and PDP 1.09-1.27x on 2 workers with new threads,
        // 1.76-1.82x and 1.37-1.68x with pool threads). A task that starts only after the calling thread has found no
        // batch left (a busy pool) does nothing, and the call does not wait for it.
        var gate = new Lock();
        bool closed = false;
        using var running = new CountdownEvent(1);
        Exception? failure = null;
        void Record(Exception e)
        {
            lock (gate)
                if (failure is null || (failure is OperationCanceledException && e is not OperationCanceledException)) failure = e;
        }
        for (int w = 1; w < parallelism; w++)
        {
            ThreadPool.QueueUserWorkItem(_ =>
            {
                lock (gate)
                {
                    if (closed) return;
                    running.AddCount();
                }
                try
                {
                    Work();
                }
                catch (Exception e)
                {
                    Record(e);
                }
                finally
                {
                    running.Signal();
                }
            }, null);
        }
        try
        {
            Work();
        }
        catch (Exception e)
        {
            Record(e);
        }
        lock (gate) closed = true;
        running.Signal();
        // Not with the token: a worker may still be inside the model or the fill callback on cancellation; each stops
        // between batches, and the cancellation or error reaches the caller only when all have returned.
        running.Wait();
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        _cancellationToken.ThrowIfCancellationRequested();

        void RunOne(long first, int n, float[] buffer)
        {
            var inputs = buffer.AsSpan(0, n * features);
            fill(first, n, buffer.AsSpan(0, n * features + Padding));
            var produced = result.AsSpan((int)(first * outputs), n * outputs);
            _model.Predict(inputs, n, produced);
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(produced)) ThrowNotFinite(produced, inputs, outputs, features);
            long done = Interlocked.Add(ref _evaluations, n);
            _progress?.Report(new ExplanationProgress(_stage, done, Math.Max(done, Interlocked.Read(ref _total))));
        }
    }
}
