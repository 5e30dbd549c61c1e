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
}
