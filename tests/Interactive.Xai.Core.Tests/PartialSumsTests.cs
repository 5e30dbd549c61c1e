using System.Collections.Immutable;
using Interactive.Xai.Numerics;

namespace Interactive.Xai.Tests;

/// <summary>
/// The decomposable explainers split over blocks of rows (as a cluster job's partitions) and merged give the
/// whole-table result bit for bit: permutation importance, partial dependence with ICE, ALE; LIME by row index.
/// </summary>
public class PartialSumsTests
{
    private static readonly int[][] Splits = [[1], [37], [300], [7, 1, 100, 3]];

    // Contiguous blocks of the given sizes (repeated) covering n rows.
    private static IEnumerable<(int First, int Count)> Blocks(int n, int[] sizes)
    {
        int first = 0, i = 0;
        while (first < n)
        {
            int count = Math.Min(sizes[i++ % sizes.Length], n - first);
            yield return (first, count);
            first += count;
        }
    }

    private static void Bits(IReadOnlyList<double> expected, IReadOnlyList<double> actual, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]), $"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R}");
    }

    [Theory]
    [InlineData(PermutationMetric.MeanSquaredError)]
    [InlineData(PermutationMetric.R2)]
    [InlineData(PermutationMetric.MeanAbsoluteError)]
    public void PermutationImportance_MergedBlocks_EqualTheWholeTable(PermutationMetric metric)
    {
        var model = TestModels.Nonlinear(5);
        var data = TestModels.RandomTable(301, 5, seed: 4, scale: 3);
        var labels = Enumerable.Range(0, 301).Select(r => (float)(data[r, 0] * data[r, 1] + 0.5 * data[r, 2] + 0.1 * r % 3)).ToArray();
        var explainer = new PermutationImportanceExplainer(model, new PermutationImportanceOptions { Metric = metric, Repeats = 3, Seed = 2 });
        var whole = explainer.Explain(data, labels);
        var (_, columns) = explainer.Groups(data);
        int jobs = columns.Length * 3;
        var permutations = Enumerable.Range(0, jobs).Select(j => explainer.Permutation(j, data.RowCount)).ToArray();
        foreach (var split in Splits)
        {
            var merged = Enumerable.Range(0, 1 + jobs).Select(_ => new ExactSum()).ToArray();
            foreach (var (first, count) in Blocks(data.RowCount, split).Reverse())
            {
                var shuffled = new List<float>();
                for (int j = 0; j < jobs; j++)
                    for (int r = first; r < first + count; r++)
                        foreach (var c in columns[j / 3]) shuffled.Add(data[permutations[j][r], c]);
                var sums = explainer.PartialSums(data.SelectRows(Enumerable.Range(first, count).ToArray()), labels[first..(first + count)], first, shuffled.ToArray());
                for (int i = 0; i < sums.Length; i++) merged[i].Add(sums[i]);
            }
            var combined = explainer.Combine(data, labels, merged, TimeSpan.Zero, 0);
            Bits(whole.Mean, combined.Mean, "mean");
            Bits(whole.StandardDeviation, combined.StandardDeviation, "std");
            Assert.Equal(BitConverter.DoubleToInt64Bits(whole.BaselineScore), BitConverter.DoubleToInt64Bits(combined.BaselineScore));
        }
    }

    [Fact]
    public void PartialDependenceAndAle_MergedBlocks_EqualTheWholeTable()
    {
        var model = TestModels.Nonlinear(5);
        var data = TestModels.RandomTable(301, 5, seed: 6, scale: 2);
        var pdp = new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 9, MaxIceCurves = 50 });
        var ale = new AccumulatedLocalEffectsExplainer(model, new AccumulatedLocalEffectsOptions { Bins = 8 });
        var wholePdp = pdp.Explain(data, 3);
        var wholeAle = ale.Explain(data, 4);
        var grid = pdp.GridFor(data, 3);
        var edges = ale.EdgesFor(data, 4);
        var iceRows = pdp.IceRows(data.RowCount);
        ImmutableArray<int> targets = [0];
        foreach (var split in Splits)
        {
            var cells = Enumerable.Range(0, grid.Length).Select(_ => new ExactSum()).ToArray();
            var bins = Enumerable.Range(0, edges.Length - 1).Select(_ => new ExactSum()).ToArray();
            var counts = new long[edges.Length - 1];
            var ice = new List<double>();
            foreach (var (first, count) in Blocks(data.RowCount, split))
            {
                var rows = data.SelectRows(Enumerable.Range(first, count).ToArray());
                var part = pdp.PartialSums(rows, 3, grid, targets, iceRows.Where(r => r >= first && r < first + count).Select(r => r - first).ToArray());
                for (int i = 0; i < cells.Length; i++) cells[i].Add(part.Cells[i]);
                ice.AddRange(part.IceValues);
                var alePart = ale.PartialSums(rows, 4, edges, targets);
                for (int b = 0; b < bins.Length; b++)
                {
                    bins[b].Add(alePart.Sums[b]);
                    counts[b] += alePart.Counts[b];
                }
            }
            var combinedPdp = pdp.Combine(data, 3, grid, targets, iceRows, cells, ice.ToArray(), TimeSpan.Zero, 0);
            Bits(wholePdp.AverageValues, combinedPdp.AverageValues, "pdp");
            Bits(wholePdp.IceValues, combinedPdp.IceValues, "ice");
            var combinedAle = ale.Combine(data, 4, edges, targets, counts, bins, TimeSpan.Zero, 0);
            Bits(wholeAle.EffectValues, combinedAle.EffectValues, "ale");
            Assert.Equal(wholeAle.BinCounts.ToArray(), combinedAle.BinCounts.ToArray());
        }
    }

    [Fact]
    public void Lime_RowsExplainedFromTheirIndex_EqualTheWholeTable()
    {
        var model = TestModels.Nonlinear(5);
        var data = TestModels.RandomTable(40, 5, seed: 8);
        var lime = new LimeExplainer(model, data, new LimeOptions { Samples = 300, FeatureCount = 3, Seed = 4 });
        var whole = lime.Explain(data);
        var block = lime.ExplainFrom(data.SelectRows(Enumerable.Range(13, 10).ToArray()), 13);
        Bits(whole.Values.Skip(13 * 5).Take(10 * 5).ToArray(), block.Values, "values");
        Bits(whole.Fidelity.Skip(13).Take(10).ToArray(), block.Fidelity, "fidelity");
        // Without the row index the block's rows would take rows 0..9's streams: different values.
        Assert.NotEqual(whole.Values.Skip(13 * 5).Take(10 * 5), lime.Explain(data.SelectRows(Enumerable.Range(13, 10).ToArray())).Values);
    }
}
