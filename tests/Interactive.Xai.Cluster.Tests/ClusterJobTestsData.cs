namespace Interactive.Xai.Cluster.Tests;

/// <summary>Rows for cluster tests and the cluster benchmark (which links this file).</summary>
internal static class ClusterJobTestsData
{
    // Rows in the diabetes data's ranges (age, sex, bmi, bp, s1..s6), from a fixed seed.
    public static FeatureTable DiabetesLikeRows(int count, int seed)
    {
        var random = new Random(seed);
        (double Low, double High)[] ranges = [(19, 79), (1, 2), (18, 42), (62, 133), (97, 301), (41, 243), (22, 99), (2, 9), (3.3, 6.1), (58, 124)];
        var values = new float[count * ranges.Length];
        for (int r = 0; r < count; r++)
            for (int j = 0; j < ranges.Length; j++)
                values[r * ranges.Length + j] = (float)(ranges[j].Low + random.NextDouble() * (ranges[j].High - ranges[j].Low));
        return FeatureTable.FromRowMajor(values, count, ranges.Length, ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]);
    }

}
