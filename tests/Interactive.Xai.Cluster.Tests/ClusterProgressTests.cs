using Interactive.Xai.Hosting;

namespace Interactive.Xai.Cluster.Tests;

/// <summary>A cluster job's progress as one line, and as explanation progress any display shows (the CLI's line, a notebook cell).</summary>
public class ClusterProgressTests
{
    [Fact]
    public void ProgressLine_NamesPartitionsWorkersRateAndTimeLeft()
    {
        var progress = new ClusterProgress(PartitionsDone: 4, Partitions: 16, RowsDone: 5000, Rows: 20000, Workers: 3, Retries: 1, Elapsed: TimeSpan.FromSeconds(10));
        // 5,000 rows in 10 s: 500 rows/s; 15,000 rows left: 30 s.
        Assert.Equal("cluster: 4 of 16 partitions on 3 workers, 1 re-run, 500 rows/s, about 30 s left", progress.ToString());
        Assert.Equal("cluster: 0 of 8 partitions on 1 worker", new ClusterProgress(0, 8, 0, 100, 1, 0, TimeSpan.FromSeconds(1)).ToString());
        Assert.Equal("cluster: 8 of 8 partitions on 2 workers, 10 rows/s", new ClusterProgress(8, 8, 100, 100, 2, 0, TimeSpan.FromSeconds(10)).ToString());
        Assert.Equal("cluster: 1 of 100 partitions on 2 workers, 1 rows/s, about 17 min",
            new ClusterProgress(1, 100, 10, 1000, 2, 0, TimeSpan.FromSeconds(10)).ToString()[..^5]);
    }

    [Fact]
    public void To_ForwardsRowsDoneOfRows_WithTheLineAsStage()
    {
        var seen = new List<ExplanationProgress>();
        var sink = ClusterProgress.To(new Collect(seen));
        sink.Report(new ClusterProgress(2, 4, 50, 100, 2, 0, TimeSpan.FromSeconds(5)));
        var only = Assert.Single(seen);
        Assert.Equal(50, only.Completed);
        Assert.Equal(100, only.Total);
        Assert.Equal("cluster: 2 of 4 partitions on 2 workers, 10 rows/s, about 5 s left", only.Stage);
    }

    private sealed class Collect(List<ExplanationProgress> into) : IProgress<ExplanationProgress>
    {
        public void Report(ExplanationProgress value) => into.Add(value);
    }
}
