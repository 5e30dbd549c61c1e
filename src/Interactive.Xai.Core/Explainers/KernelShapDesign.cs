using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>
/// The coalitions, Shapley-kernel weights and regression projections of Kernel SHAP for M features. It depends
/// only on M, the sample budget and the seed, so an explainer builds it once and reuses it for every row.
/// </summary>
internal sealed class KernelShapDesign
{
    private KernelShapDesign(int features, byte[] masks, double[] weights, bool exact, double[] projection, double[] inverse,
        int enumerated, int[] pairDraws, int drawCount, double sampledWeight)
    {
        FeatureCount = features;
        Masks = masks;
        Weights = weights;
        IsExact = exact;
        Projection = projection;
        Inverse = inverse;
        EnumeratedCount = enumerated;
        PairDraws = pairDraws;
        DrawCount = drawCount;
        SampledWeight = sampledWeight;
        Members = new int[weights.Length][];
        for (int c = 0; c < weights.Length; c++)
        {
            var list = new List<int>();
            for (int j = 0; j < features; j++) if (masks[c * features + j] != 0) list.Add(j);
            Members[c] = list.ToArray();
        }
    }

    /// <summary>For each coalition, the positions of its features (the 1s of its mask).</summary>
    public int[][] Members { get; }

    public int FeatureCount { get; }

    /// <summary>Coalitions, [coalition][feature] with 1 = the feature comes from the explained row.</summary>
    public byte[] Masks { get; }

    public double[] Weights { get; }

    public int CoalitionCount => Weights.Length;

    /// <summary>True when every coalition was enumerated: the estimate is then the exact Shapley value.</summary>
    public bool IsExact { get; }

    /// <summary>(M-1) x n matrix mapping adjusted coalition values to the first M-1 attributions.</summary>
    public double[] Projection { get; }

    /// <summary>(X'WX)^-1, (M-1) x (M-1).</summary>
    public double[] Inverse { get; }

    /// <summary>Coalitions 0 .. EnumeratedCount-1 were enumerated; the rest come in sampled complementary pairs.</summary>
    public int EnumeratedCount { get; }

    /// <summary>How many draws picked each sampled pair (pair p is coalitions EnumeratedCount + 2p and + 2p + 1).</summary>
    public int[] PairDraws { get; }

    /// <summary>The number of paired draws D.</summary>
    public int DrawCount { get; }

    /// <summary>The kernel weight R of the sampled sizes; each draw carries R / D, split over its two coalitions.</summary>
    public double SampledWeight { get; }

    public static KernelShapDesign Create(int m, int samples, int seed)
    {
        if (m < 2) return new KernelShapDesign(m, [], [], true, [], [], 0, [], 0, 0);
        var masks = new List<byte[]>();
        var weights = new List<double>();
        var sizeWeight = new double[m];
        double total = 0;
        for (int s = 1; s < m; s++) total += sizeWeight[s] = (m - 1.0) / (s * (m - s));
        for (int s = 1; s < m; s++) sizeWeight[s] /= total;

        bool exact = m <= 30 && (1L << m) - 2 <= samples;
        if (exact)
        {
            for (long bits = 1; bits < (1L << m) - 1; bits++)
            {
                var mask = new byte[m];
                int size = 0;
                for (int j = 0; j < m; j++) if ((bits & (1L << j)) != 0) { mask[j] = 1; size++; }
                masks.Add(mask);
                weights.Add(sizeWeight[size] / Combinatorics.Binomial(m, size));
            }
            return Finish(m, masks, weights, true, [], masks.Count, 0);
        }

        // Sizes s and m - s are enumerated or sampled together (paired); the middle size (m even) alone.
        int sizes = m / 2, pairedSizes = (m - 1) / 2;
        var pairWeight = new double[sizes + 1];
        for (int s = 1; s <= sizes; s++) pairWeight[s] = sizeWeight[s] * (s <= pairedSizes ? 2 : 1);
        double remainingWeight = 1;
        long remainingBudget = samples;
        int firstSampled = 1;
        for (int s = 1; s <= sizes; s++)
        {
            double count = Combinatorics.Binomial(m, s) * (s <= pairedSizes ? 2 : 1);
            if (count > remainingBudget || remainingBudget * pairWeight[s] / remainingWeight < count - 1e-9) break;
            foreach (var subset in Subsets(m, s))
            {
                masks.Add(subset);
                weights.Add(sizeWeight[s] / Combinatorics.Binomial(m, s));
                if (s <= pairedSizes)
                {
                    masks.Add(Complement(subset));
                    weights.Add(sizeWeight[s] / Combinatorics.Binomial(m, s));
                }
            }
            remainingBudget -= (long)count;
            remainingWeight -= pairWeight[s];
            firstSampled = s + 1;
        }

        // Paired sampling of the remaining sizes: each draw adds a coalition and its complement.
        var draws = new List<int>();
        int enumerated = masks.Count;
        if (firstSampled <= sizes && remainingBudget >= 2)
        {
            var random = new Random(Statistics.DeriveSeed(seed, m, 1));
            var keys = new Dictionary<string, int>(StringComparer.Ordinal);
            double[] cumulative = new double[sizes + 1];
            double running = 0;
            for (int s = firstSampled; s <= sizes; s++) cumulative[s] = running += pairWeight[s];
            long maxDraws = remainingBudget * 20 + 100;
            while (masks.Count - enumerated + 2 <= remainingBudget && draws.Count < maxDraws)
            {
                double u = random.NextDouble() * running;
                int s = firstSampled;
                while (s < sizes && cumulative[s] < u) s++;
                var subset = RandomSubset(m, s, random);
                var complement = Complement(subset);
                string key = Key(subset), complementKey = Key(complement);
                if (string.CompareOrdinal(complementKey, key) < 0) key = complementKey;
                if (!keys.TryGetValue(key, out int pair))
                {
                    pair = (masks.Count - enumerated) / 2;
                    keys[key] = pair;
                    masks.Add(subset);
                    masks.Add(complement);
                    weights.Add(0);
                    weights.Add(0);
                }
                draws.Add(pair);
            }
        }
        return Finish(m, masks, weights, false, draws.ToArray(), enumerated, remainingWeight);
    }

    private static KernelShapDesign Finish(int m, List<byte[]> maskList, List<double> weightList, bool exact,
        int[] draws, int enumerated, double sampledWeight)
    {
        int n = maskList.Count;
        var masks = new byte[n * m];
        for (int c = 0; c < n; c++) maskList[c].CopyTo(masks, c * m);
        var weights = weightList.ToArray();
        int pairs = (n - enumerated) / 2;
        var counts = new int[pairs];
        foreach (var d in draws) counts[d]++;
        for (int p = 0; p < pairs; p++)
        {
            double w = sampledWeight * counts[p] / (2.0 * draws.Length);
            weights[enumerated + 2 * p] = w;
            weights[enumerated + 2 * p + 1] = w;
        }
        var (projection, inverse) = Project(masks, weights, n, m);
        return new KernelShapDesign(m, masks, weights, exact, projection, inverse, enumerated, counts, draws.Length, sampledWeight);
    }

    /// <summary>
    /// With the efficiency constraint sum(phi) = delta substituted for the last feature, the weighted least-squares
    /// solution is phi_rest = (X'WX)^-1 X'W y' with X_cj = z_cj - z_c,last and y'_c = v_c - base - z_c,last * delta.
    /// Returns (X'WX)^-1 X'W, (M-1) x n, and (X'WX)^-1.
    /// </summary>
    private static (double[] Projection, double[] Inverse) Project(byte[] masks, double[] weights, int n, int m)
    {
        int p = m - 1;
        var gram = new double[p * p];
        var x = new double[p];
        for (int c = 0; c < n; c++)
        {
            double w = weights[c];
            if (w == 0) continue;
            int last = masks[c * m + p];
            for (int j = 0; j < p; j++) x[j] = masks[c * m + j] - last;
            for (int i = 0; i < p; i++)
            {
                if (x[i] == 0) continue;
                for (int j = 0; j < p; j++) gram[i * p + j] += w * x[i] * x[j];
            }
        }
        var inverse = LinearAlgebra.Inverse(gram, p);
        var projection = new double[p * n];
        for (int c = 0; c < n; c++)
        {
            double w = weights[c];
            if (w == 0) continue;
            int last = masks[c * m + p];
            for (int j = 0; j < p; j++) x[j] = masks[c * m + j] - last;
            for (int i = 0; i < p; i++)
            {
                double sum = 0;
                for (int j = 0; j < p; j++) sum += inverse[i * p + j] * x[j];
                projection[i * n + c] = sum * w;
            }
        }
        return (projection, inverse);
    }

    private static IEnumerable<byte[]> Subsets(int m, int size)
    {
        var indices = Enumerable.Range(0, size).ToArray();
        while (true)
        {
            var mask = new byte[m];
            foreach (var i in indices) mask[i] = 1;
            yield return mask;
            int k = size - 1;
            while (k >= 0 && indices[k] == m - size + k) k--;
            if (k < 0) yield break;
            indices[k]++;
            for (int j = k + 1; j < size; j++) indices[j] = indices[j - 1] + 1;
        }
    }

    private static byte[] RandomSubset(int m, int size, Random random)
    {
        var order = Statistics.Permutation(m, random);
        var mask = new byte[m];
        for (int i = 0; i < size; i++) mask[order[i]] = 1;
        return mask;
    }

    private static byte[] Complement(byte[] mask)
    {
        var result = new byte[mask.Length];
        for (int i = 0; i < mask.Length; i++) result[i] = (byte)(1 - mask[i]);
        return result;
    }

    private static string Key(byte[] mask)
    {
        var chars = new char[(mask.Length + 15) / 16];
        for (int i = 0; i < mask.Length; i++) if (mask[i] != 0) chars[i / 16] |= (char)(1 << (i % 16));
        return new string(chars);
    }
}
