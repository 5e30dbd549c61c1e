using Interactive.Xai.Numerics;

namespace Interactive.Xai.Tests;

/// <summary>The inlined seeded shuffle draws what System.Random with the same seed draws, so shuffles stay the same.</summary>
public class SeededShuffleTests
{
    private static readonly int[] Seeds = [0, 1, -1, 42, 161803398, -161803398, int.MaxValue, int.MinValue, int.MinValue + 1, 123456789];

    [Fact]
    public void Draws_AreSystemRandomsDraws_ForEverySeedAndBound()
    {
        var random = new Random(8);
        var seeds = Seeds.Concat(Enumerable.Range(0, 200).Select(_ => random.Next(int.MinValue, int.MaxValue))).ToArray();
        foreach (int seed in seeds)
            foreach (int bound in new[] { 1, 2, 7, 1000, 5000, int.MaxValue })
            {
                var reference = new Random(seed);
                var expected = Enumerable.Range(0, 300).Select(_ => reference.Next(bound)).ToArray();
                Assert.Equal(expected, SeededShuffle.Next(seed, bound, 300));
            }
    }

    [Fact]
    public void Permutations_AreStatisticsPermutationWithASeededRandom()
    {
        var random = new Random(3);
        foreach (int n in new[] { 0, 1, 2, 3, 10, 57, 1000, 5000 })
            foreach (int seed in Seeds.Concat(Enumerable.Range(0, 20).Select(_ => random.Next())))
            {
                var expected = new int[n];
                Statistics.Permutation(expected, new Random(seed));
                var actual = new int[n];
                SeededShuffle.Permutation(actual, seed);
                Assert.Equal(expected, actual);
            }
    }
}
