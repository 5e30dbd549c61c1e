using Interactive.Xai.Engine;

namespace Interactive.Xai.Tests;

public class GradientBatchesTests
{
    [Fact]
    public void ParallelBatches_AreConsumedStrictlyInOrder_AndEveryRowOnce()
    {
        var model = DifferentiableDelegateModel.Linear([1f, 2f]);
        var batches = new GradientBatches(model, new SaliencyOptions { BatchSize = 3, MaxDegreeOfParallelism = 2 }, "test", 100, 0, null, default);
        var seen = new List<long>();
        batches.Run(100,
            (first, count, inputs, indices) =>
            {
                for (int i = 0; i < count; i++) { inputs[2 * i] = first + i; inputs[2 * i + 1] = 0; indices[i] = 0; }
            },
            (first, count, outputs, gradients) =>
            {
                for (int i = 0; i < count; i++)
                {
                    Assert.Equal(first + i, outputs[i]); // y = x0 = the evaluation's number
                    Assert.Equal(2f, gradients[2 * i + 1]);
                    seen.Add(first + i);
                }
            });
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), seen);
        Assert.Equal(100, batches.Evaluations);
    }

    [Fact]
    public void AModelErrorInOneParallelBatch_ReachesTheCallerAsItself()
    {
        var model = new DifferentiableDelegateModel(1, ["y"], (x, n, y) => y.Clear(), (x, n, o, y, g) =>
        {
            if (x[0] >= 50) throw new XaiException("boom at 50");
            y.Clear();
            g.Clear();
        });
        var batches = new GradientBatches(model, new SaliencyOptions { BatchSize = 10, MaxDegreeOfParallelism = 2 }, "test", 100, 0, null, default);
        var e = Assert.Throws<XaiException>(() => batches.Run(100,
            (first, count, inputs, indices) => { for (int i = 0; i < count; i++) { inputs[i] = first + i; indices[i] = 0; } },
            (_, _, _, _) => { }));
        Assert.Equal("boom at 50", e.Message);
    }

    [Fact]
    public void CancellingWhileAWorkerIsInsideTheModel_ThrowsOnlyAfterEveryWorkerHasStopped()
    {
        // Parallel saliency on a model that blocks on a semaphore: cancel while both workers are inside the model, and
        // release them only 300 ms later. Explain must throw only when no call is active any more.
        int active = 0, entered = 0;
        using var gate = new SemaphoreSlim(0);
        using var bothInside = new CountdownEvent(2);
        var model = new DifferentiableDelegateModel(1, ["y"], (x, n, y) => y.Clear(), (x, n, o, y, g) =>
        {
            Interlocked.Increment(ref active);
            if (Interlocked.Increment(ref entered) <= 2) bothInside.Signal();
            gate.Wait();
            y.Clear();
            g.Clear();
            Interlocked.Decrement(ref active);
        });
        using var cts = new CancellationTokenSource();
        var rows = FeatureTable.FromArray(new float[100, 1]);
        var explainer = new SaliencyExplainer(model, new SaliencyOptions { BatchSize = 5, MaxDegreeOfParallelism = 2 });
        var run = Task.Run(() => explainer.Explain(rows, cancellationToken: cts.Token));
        Assert.True(bothInside.Wait(TimeSpan.FromSeconds(30)), "both workers should have entered the model");
        cts.Cancel();
        var release = Task.Run(async () => { await Task.Delay(300); gate.Release(1000); });
        Assert.ThrowsAny<OperationCanceledException>(() => run.GetAwaiter().GetResult());
        Assert.Equal(0, Volatile.Read(ref active));
        release.Wait();
        Assert.Equal(2, Volatile.Read(ref entered)); // nothing started after the cancellation
    }

    [Fact]
    public void CancellingWhileABatchIsBeingConsumed_ThrowsOnlyAfterTheConsumerReturns()
    {
        int consuming = 0;
        using var gate = new SemaphoreSlim(0);
        using var inside = new ManualResetEventSlim();
        using var cts = new CancellationTokenSource();
        var model = DifferentiableDelegateModel.Linear([1f]);
        var batches = new GradientBatches(model, new SaliencyOptions { BatchSize = 4, MaxDegreeOfParallelism = 2 }, "test", 100, 0, null, cts.Token);
        var run = Task.Run(() => batches.Run(100,
            (first, count, inputs, indices) => { for (int i = 0; i < count; i++) { inputs[i] = first + i; indices[i] = 0; } },
            (first, _, _, _) =>
            {
                Interlocked.Increment(ref consuming);
                if (first == 0) { inside.Set(); gate.Wait(); }
                Interlocked.Decrement(ref consuming);
            }));
        Assert.True(inside.Wait(TimeSpan.FromSeconds(30)));
        cts.Cancel();
        var release = Task.Run(async () => { await Task.Delay(300); gate.Release(); });
        Assert.ThrowsAny<OperationCanceledException>(() => run.GetAwaiter().GetResult());
        Assert.Equal(0, Volatile.Read(ref consuming));
        release.Wait();
    }
}
