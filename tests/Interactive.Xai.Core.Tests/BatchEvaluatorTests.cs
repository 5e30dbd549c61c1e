using Interactive.Xai.Engine;

namespace Interactive.Xai.Tests;

public class BatchEvaluatorTests
{
    private sealed record Options : ExplainerOptions;

    [Fact]
    public void Evaluate_CutsIntoBatchesAndWritesEveryOutputInOrder()
    {
        var sizes = new List<int>();
        var model = new DelegateModel(1, ["y"], (inputs, rows, outputs) =>
        {
            lock (sizes) sizes.Add(rows);
            for (int r = 0; r < rows; r++) outputs[r] = inputs[r] * 2;
        });
        var evaluator = new BatchEvaluator(model, new Options { BatchSize = 10 }, "test", 95, null, default);
        var result = evaluator.Evaluate(95, (first, count, dest) => { for (int i = 0; i < count; i++) dest[i] = first + i; });
        Assert.Equal(Enumerable.Range(0, 95).Select(i => 2f * i), result);
        Assert.Equal(95, evaluator.Evaluations);
        Assert.Equal(10, sizes.Count);
        Assert.Equal(10, sizes.Max());
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(2, 7)]
    [InlineData(4, 64)]
    [InlineData(3, 1000)]
    public void Consumed_batches_hold_every_row_once_with_the_outputs_a_result_array_gets(int parallelism, int batchSize)
    {
        const int count = 999;
        var model = new DelegateModel(2, ["y", "z"], (inputs, rows, outputs) =>
        {
            for (int r = 0; r < rows; r++)
            {
                outputs[2 * r] = inputs[2 * r] * 0.1f + inputs[2 * r + 1];
                outputs[2 * r + 1] = -inputs[2 * r];
            }
        });
        FillRows fill = (first, n, dest) => { for (int i = 0; i < n; i++) { dest[2 * i] = (first + i) % 13; dest[2 * i + 1] = (first + i) / 100f; } };
        var options = new Options { BatchSize = batchSize, MaxDegreeOfParallelism = parallelism };
        var expected = new BatchEvaluator(model, options, "test", count, null, default).Evaluate(count, fill);

        var evaluator = new BatchEvaluator(model, options, "test", count, null, default);
        var seen = new float[count * 2];
        var timesSeen = new int[count];
        var states = evaluator.Evaluate(count, fill, () => new List<(long First, int Count, int Thread)>(), (state, first, n, outputs) =>
        {
            state.Add((first, n, Environment.CurrentManagedThreadId));
            outputs.CopyTo(seen.AsSpan((int)first * 2, n * 2));
            for (int i = 0; i < n; i++) Interlocked.Increment(ref timesSeen[first + i]);
        });

        Assert.Equal(expected, seen);
        Assert.All(timesSeen, t => Assert.Equal(1, t));
        Assert.Equal(count, evaluator.Evaluations);
        Assert.InRange(states.Count, 1, parallelism);
        // each state belongs to one worker: all its batches (if it got any before the others took them all) ran on one thread
        Assert.All(states, state => Assert.InRange(state.Select(b => b.Thread).Distinct().Count(), 0, 1));
        Assert.Equal(count, states.Sum(state => state.Sum(b => b.Count)));
    }

    [Fact]
    public void Exact_sums_of_consumed_batches_merged_from_any_number_of_workers_are_identical()
    {
        const int count = 5000;
        var model = new DelegateModel(1, ["y"], (inputs, rows, outputs) =>
        {
            for (int r = 0; r < rows; r++) outputs[r] = MathF.Sin(inputs[r]) * 1e6f + 1e-3f * inputs[r];
        });
        FillRows fill = (first, n, dest) => { for (int i = 0; i < n; i++) dest[i] = first + i; };
        double? reference = null;
        foreach (var (parallelism, batch) in new[] { (1, 5000), (2, 333), (4, 17), (3, 1) })
        {
            var evaluator = new BatchEvaluator(model, new Options { BatchSize = batch, MaxDegreeOfParallelism = parallelism }, "test", count, null, default);
            var states = evaluator.Evaluate(count, fill, () => new Interactive.Xai.Numerics.ExactSum(), (sum, first, n, outputs) =>
            {
                foreach (float v in outputs) sum.Add(v);
            });
            var total = new Interactive.Xai.Numerics.ExactSum();
            foreach (var state in states) total.Add(state);
            reference ??= total.Value;
            Assert.Equal(reference.Value, total.Value);
        }
    }

    [Fact]
    public void An_error_in_a_consumer_reaches_the_caller_and_stops_the_other_workers()
    {
        int batches = 0;
        var model = DelegateModel.Linear([1f]);
        var evaluator = new BatchEvaluator(model, new Options { BatchSize = 10, MaxDegreeOfParallelism = 2 }, "test", 10_000, null, default);

        var error = Assert.Throws<InvalidOperationException>(() => evaluator.Evaluate(10_000, (first, n, dest) => dest[..n].Clear(), () => 0,
            (_, first, n, outputs) =>
            {
                Interlocked.Increment(ref batches);
                if (first == 50) throw new InvalidOperationException("consumer failed at row 50");
            }));

        Assert.Equal("consumer failed at row 50", error.Message);
        Assert.True(Volatile.Read(ref batches) < 1000, $"{batches} of 1,000 batches were consumed after the error");
    }

    [Fact]
    public void Evaluate_NeverCallsANonThreadSafeModelConcurrently()
    {
        int active = 0, maxActive = 0;
        var model = new DelegateModel(1, ["y"], (inputs, rows, outputs) =>
        {
            int now = Interlocked.Increment(ref active);
            maxActive = Math.Max(maxActive, now);
            Thread.SpinWait(1000);
            Interlocked.Decrement(ref active);
        }, isThreadSafe: false);
        new BatchEvaluator(model, new Options { BatchSize = 4, MaxDegreeOfParallelism = 4 }, "test", 400, null, default)
            .Evaluate(400, (first, count, dest) => { });
        Assert.Equal(1, maxActive);
    }

    [Fact]
    public void Evaluate_ReportsProgressUpToTheTotal()
    {
        var progress = new SynchronousProgress(_ => { });
        var model = DelegateModel.Linear([1f]);
        new BatchEvaluator(model, new Options { BatchSize = 25 }, "stage", 100, progress, default)
            .Evaluate(100, (first, count, dest) => { });
        Assert.Equal(4, progress.Reports.Count);
        Assert.Equal(100, progress.Reports.Max(p => p.Completed));
        Assert.All(progress.Reports, p => Assert.Equal("stage", p.Stage));
    }

    [Fact]
    public void CancellingWhileWorkersAreInsideTheModel_ThrowsOnlyAfterEveryWorkerHasStopped()
    {
        int active = 0, entered = 0;
        using var gate = new SemaphoreSlim(0);
        using var bothInside = new CountdownEvent(2);
        var model = new DelegateModel(1, ["y"], (inputs, rows, outputs) =>
        {
            Interlocked.Increment(ref active);
            if (Interlocked.Increment(ref entered) <= 2) bothInside.Signal();
            gate.Wait();
            outputs.Clear();
            Interlocked.Decrement(ref active);
        });
        using var cts = new CancellationTokenSource();
        var evaluator = new BatchEvaluator(model, new Options { BatchSize = 5, MaxDegreeOfParallelism = 2 }, "test", 100, null, cts.Token);
        var run = Task.Run(() => evaluator.Evaluate(100, (first, count, dest) => dest.Clear()));
        Assert.True(bothInside.Wait(TimeSpan.FromSeconds(30)), "both workers should have entered the model");
        cts.Cancel();
        var release = Task.Run(async () => { await Task.Delay(300); gate.Release(1000); });
        Assert.ThrowsAny<OperationCanceledException>(() => run.GetAwaiter().GetResult());
        Assert.Equal(0, Volatile.Read(ref active));
        release.Wait();
        Assert.Equal(2, Volatile.Read(ref entered));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void RepeatedEvaluateCalls_ReuseTheirFillBuffers(int parallelism)
    {
        // Explainers call Evaluate once per block: 50 blocks must not cost 50 fill buffers per worker (issue 13.3).
        // Counted on this thread only, so the single-threaded case is the one that sees every allocation.
        var model = new DelegateModel(10, ["y"], (inputs, rows, outputs) =>
        {
            for (int r = 0; r < rows; r++) outputs[r] = inputs[r * 10] + inputs[r * 10 + 9];
        });
        var evaluator = new BatchEvaluator(model, new Options { BatchSize = 4096, MaxDegreeOfParallelism = parallelism }, "test", 0, null, default);
        var result = new float[8192];
        FillRows fill = (first, count, dest) => { for (int i = 0; i < count * 10; i++) dest[i] = (first * 10 + i) % 7; };
        evaluator.Evaluate(8192, fill, result);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int block = 0; block < 50; block++) evaluator.Evaluate(8192, fill, result);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long buffer = (4096L * 10 + BatchEvaluator.Padding) * sizeof(float);
        if (parallelism == 1) Assert.True(allocated < buffer, $"50 blocks allocated {allocated} bytes; one fill buffer is {buffer}");
        // Reused buffers hold the last block's rows: the outputs must still be this block's own.
        for (int r = 0; r < 8192; r += 511) Assert.Equal((r * 10 % 7) + ((r * 10 + 9) % 7), result[r]);
        Assert.Equal(51 * 8192, evaluator.Evaluations);
    }
}
