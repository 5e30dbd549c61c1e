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
    [InlineData(3, 1)]
    public void Every_row_is_evaluated_once_into_its_own_place_for_any_number_of_workers(int parallelism, int batchSize)
    {
        const int count = 999;
        var timesSeen = new int[count];
        var model = new DelegateModel(2, ["y", "z"], (inputs, rows, outputs) =>
        {
            for (int r = 0; r < rows; r++)
            {
                Interlocked.Increment(ref timesSeen[(int)inputs[2 * r]]);
                outputs[2 * r] = inputs[2 * r] * 0.5f + inputs[2 * r + 1];
                outputs[2 * r + 1] = -inputs[2 * r];
            }
        });
        FillRows fill = (first, n, dest) => { for (int i = 0; i < n; i++) { dest[2 * i] = first + i; dest[2 * i + 1] = (first + i) % 13; } };
        var evaluator = new BatchEvaluator(model, new Options { BatchSize = batchSize, MaxDegreeOfParallelism = parallelism }, "test", count, null, default);

        var result = evaluator.Evaluate(count, fill);

        var expected = Enumerable.Range(0, count).SelectMany(r => new[] { r * 0.5f + r % 13, -(float)r }).ToArray();
        Assert.Equal(expected, result);
        Assert.All(timesSeen, t => Assert.Equal(1, t));
        Assert.Equal(count, evaluator.Evaluations);
    }

    [Fact]
    public void An_error_in_one_worker_reaches_the_caller_and_stops_the_other_workers()
    {
        int batches = 0;
        var model = new DelegateModel(1, ["y"], (inputs, rows, outputs) =>
        {
            Interlocked.Increment(ref batches);
            if (inputs[0] == 50) throw new InvalidOperationException("model failed at row 50");
            outputs[..rows].Clear();
        });
        var evaluator = new BatchEvaluator(model, new Options { BatchSize = 10, MaxDegreeOfParallelism = 2 }, "test", 10_000, null, default);

        var error = Assert.Throws<InvalidOperationException>(() => evaluator.Evaluate(10_000, (first, n, dest) => { for (int i = 0; i < n; i++) dest[i] = first + i; }));

        Assert.Equal("model failed at row 50", error.Message);
        Assert.True(Volatile.Read(ref batches) < 1000, $"{batches} of 1,000 batches were evaluated after the error");
    }

    [Fact]
    public void A_result_array_shorter_than_the_outputs_is_refused()
    {
        var evaluator = new BatchEvaluator(DelegateModel.Linear([1f]), new Options(), "test", 10, null, default);

        var error = Assert.Throws<ArgumentException>(() => evaluator.Evaluate(10, (first, n, dest) => { }, new float[9]));

        Assert.Contains("10 rows of 1 outputs need 10 values, not 9", error.Message);
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
