using System.Globalization;
using System.Numerics.Tensors;

namespace Interactive.Xai.Engine;

/// <summary>
/// Fills the inputs of <paramref name="count"/> consecutive gradient evaluations starting at <paramref name="firstRow"/>,
/// and for each the output whose gradient is wanted.
/// </summary>
public delegate void FillGradientRows(long firstRow, int count, Span<float> inputs, Span<int> outputIndices);

/// <summary>
/// Receives the outputs (count x OutputCount) and input gradients (count x FeatureCount) of <paramref name="count"/>
/// consecutive gradient evaluations starting at <paramref name="firstRow"/>.
/// </summary>
public delegate void ConsumeGradients(long firstRow, int count, ReadOnlySpan<float> outputs, ReadOnlySpan<float> gradients);

/// <summary>
/// The one batching loop of the gradient attribution methods (saliency, SmoothGrad, Integrated Gradients). An
/// explainer numbers every gradient evaluation it needs (0 .. count-1) and supplies a function that fills any
/// consecutive range of them and a function that folds a range's gradients into its sums. The loop cuts the range
/// into batches of <see cref="ExplainerOptions.BatchSize"/> rows (fewer when a batch would hold more than
/// <see cref="MaxValuesPerBatch"/> input values, so large images stay bounded), calls
/// <see cref="IDifferentiableModel.PredictWithGradient"/> on several batches at once for thread-safe models, and hands
/// the batches to the consumer strictly in order, so sums are added in the same order whatever the batch size or
/// parallelism (results are bit-for-bit identical). At most one batch per worker is in memory. It counts
/// evaluations, reports progress and honours cancellation between batches.
/// </summary>
public sealed class GradientBatches
{
    /// <summary>The most input values one batch holds; the batch size is lowered for inputs larger than this allows.</summary>
    public const int MaxValuesPerBatch = 1 << 22;

    private readonly IDifferentiableModel _model;
    private readonly ExplainerOptions _options;
    private readonly string _stage;
    private readonly long _total;
    private readonly IProgress<ExplanationProgress>? _progress;
    private readonly CancellationToken _cancellationToken;
    private long _evaluations;
    private readonly long _completedBefore;

    /// <summary>Creates the loop for one explain call.</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Batch size and parallelism.</param>
    /// <param name="stage">The progress stage name.</param>
    /// <param name="totalEvaluations">All evaluations of the explain call (for progress), including earlier plain ones.</param>
    /// <param name="completedBefore">Evaluations the explain call already made before this loop (for progress).</param>
    /// <param name="progress">Receives progress after each batch.</param>
    /// <param name="cancellationToken">Checked between batches.</param>
    public GradientBatches(IDifferentiableModel model, ExplainerOptions options, string stage, long totalEvaluations,
        long completedBefore, IProgress<ExplanationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        _model = model;
        _options = options;
        _stage = stage;
        _total = totalEvaluations;
        _completedBefore = completedBefore;
        _progress = progress;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Gradient evaluations (rows sent to <see cref="IDifferentiableModel.PredictWithGradient"/>) so far.</summary>
    public long Evaluations => Interlocked.Read(ref _evaluations);

    /// <summary>The rows per model call this loop uses for the model's feature count.</summary>
    public int RowsPerBatch => Math.Max(1, Math.Min(_options.BatchSize, MaxValuesPerBatch / _model.FeatureCount));

    /// <summary>
    /// Evaluates <paramref name="count"/> gradient rows; <paramref name="consume"/> sees the batches in order. On
    /// cancellation it throws <see cref="OperationCanceledException"/> only after every worker has stopped (none is
    /// still in the model or in <paramref name="consume"/>).
    /// </summary>
    public void Run(long count, FillGradientRows fill, ConsumeGradients consume)
    {
        ArgumentNullException.ThrowIfNull(fill);
        ArgumentNullException.ThrowIfNull(consume);
        _cancellationToken.ThrowIfCancellationRequested();
        if (count == 0) return;
        int batch = (int)Math.Min(RowsPerBatch, count);
        long batches = (count + batch - 1) / batch;
        int parallelism = _model.IsThreadSafe
            ? (int)Math.Min(batches, _options.MaxDegreeOfParallelism ?? Environment.ProcessorCount)
            : 1;

        if (parallelism <= 1)
        {
            var buffers = new Buffers(batch, _model);
            for (long b = 0; b < batches; b++)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                long first = b * batch;
                int n = (int)Math.Min(batch, count - first);
                Compute(first, n, buffers, fill);
                consume(first, n, buffers.Outputs(n), buffers.Gradients(n));
            }
            return;
        }

        long next = -1, consumed = 0;
        var gate = new object();
        Exception? failure = null;
        var workers = new Task[parallelism];
        for (int w = 0; w < parallelism; w++)
        {
            workers[w] = Task.Factory.StartNew(() =>
            {
                var buffers = new Buffers(batch, _model);
                try
                {
                    while (true)
                    {
                        long b = Interlocked.Increment(ref next);
                        if (b >= batches || _cancellationToken.IsCancellationRequested || Volatile.Read(ref failure) is not null) return;
                        long first = b * batch;
                        int n = (int)Math.Min(batch, count - first);
                        Compute(first, n, buffers, fill);
                        lock (gate)
                        {
                            // Batches are folded in strictly in order, so every sum sees the same order of additions.
                            while (consumed != b && failure is null && !_cancellationToken.IsCancellationRequested) Monitor.Wait(gate, 50);
                            if (failure is not null || _cancellationToken.IsCancellationRequested) return;
                        }
                        consume(first, n, buffers.Outputs(n), buffers.Gradients(n));
                        lock (gate)
                        {
                            consumed++;
                            Monitor.PulseAll(gate);
                        }
                    }
                }
                catch (Exception e)
                {
                    lock (gate)
                    {
                        failure ??= e;
                        Monitor.PulseAll(gate);
                    }
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        try
        {
            // Not with the token: on cancellation a worker may still be inside the model or the consumer, which writes
            // the caller's sums. Every worker checks the token between batches and stops; only when all have returned
            // does the cancellation reach the caller.
            Task.WaitAll(workers);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        _cancellationToken.ThrowIfCancellationRequested();
    }

    private void Compute(long first, int n, Buffers buffers, FillGradientRows fill)
    {
        int features = _model.FeatureCount, outputs = _model.OutputCount();
        var inputs = buffers.Inputs.AsSpan(0, n * features);
        var indices = buffers.Indices.AsSpan(0, n);
        fill(first, n, inputs, indices);
        for (int i = 0; i < n; i++)
            if ((uint)indices[i] >= (uint)outputs) throw new InvalidOperationException($"output index {indices[i]} out of range");
        var produced = buffers.Outputs(n);
        var gradients = buffers.Gradients(n);
        _model.PredictWithGradient(inputs, n, indices, produced, gradients);
        if (!TensorPrimitives.IsFiniteAll(produced)) ThrowNotFinite(produced, inputs, outputs, features, "output", i => _model.OutputNames[i % outputs]);
        if (!TensorPrimitives.IsFiniteAll(gradients))
        {
            var rowOutputs = buffers.Indices;
            ThrowNotFinite(gradients, inputs, features, features, "the gradient of output", i => _model.OutputNames[rowOutputs[i / features]]);
        }
        long done = Interlocked.Add(ref _evaluations, n) + _completedBefore;
        _progress?.Report(new ExplanationProgress(_stage, done, Math.Max(done, _total)));
    }

    private static void ThrowNotFinite(ReadOnlySpan<float> produced, ReadOnlySpan<float> inputs, int width, int features,
        string what, Func<int, string> name)
    {
        int index = 0;
        while (float.IsFinite(produced[index])) index++;
        int row = index / width;
        var input = string.Join(", ", inputs.Slice(row * features, Math.Min(features, 8)).ToArray().Select(v => v.ToString("G6", CultureInfo.InvariantCulture)));
        throw new XaiException($"the model returned {produced[index].ToString(CultureInfo.InvariantCulture)} for {what} '{name(index)}' on input [{input}{(features > 8 ? ", ..." : "")}]");
    }

    private sealed class Buffers(int rows, IModel model)
    {
        public readonly float[] Inputs = new float[rows * model.FeatureCount];
        public readonly int[] Indices = new int[rows];
        private readonly float[] _outputs = new float[rows * model.OutputCount()];
        private readonly float[] _gradients = new float[rows * model.FeatureCount];

        public Span<float> Outputs(int n) => _outputs.AsSpan(0, n * model.OutputCount());

        public Span<float> Gradients(int n) => _gradients.AsSpan(0, n * model.FeatureCount);
    }
}
