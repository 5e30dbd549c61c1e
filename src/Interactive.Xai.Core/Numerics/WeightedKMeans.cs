namespace Interactive.Xai.Numerics;

/// <summary>
/// Weighted k-means (k-means++ seeding, Lloyd iterations) used to summarise a background data set.
/// Like SHAP's kmeans summary, each centre is then snapped, feature by feature, to the nearest value that
/// feature takes in its cluster, so that summaries of integer or categorical features stay valid inputs.
/// </summary>
internal static class WeightedKMeans
{
    public static (float[] Centers, double[] Weights) Cluster(ReadOnlySpan<float> data, int rows, int columns, int k, int seed, int maxIterations = 100)
    {
        k = Math.Min(k, rows);
        // The rows are read in place: a copy would double the memory of a 1M-row background.
        var points = data;
        var random = new Random(seed);
        var centers = new float[k * columns];
        // k-means++ seeding.
        var distance = new double[rows];
        int first = random.Next(rows);
        points.Slice(first * columns, columns).CopyTo(centers);
        for (int r = 0; r < rows; r++) distance[r] = SquaredDistance(points, r, centers, 0, columns);
        for (int c = 1; c < k; c++)
        {
            double total = 0;
            foreach (var d in distance) total += d;
            int chosen;
            if (total <= 0) chosen = random.Next(rows);
            else
            {
                double target = random.NextDouble() * total, cumulative = 0;
                chosen = rows - 1;
                for (int r = 0; r < rows; r++)
                {
                    cumulative += distance[r];
                    if (cumulative >= target) { chosen = r; break; }
                }
            }
            points.Slice(chosen * columns, columns).CopyTo(centers.AsSpan(c * columns));
            for (int r = 0; r < rows; r++) distance[r] = Math.Min(distance[r], SquaredDistance(points, r, centers, c, columns));
        }

        var assignment = new int[rows];
        var sums = new double[k * columns];
        var counts = new int[k];
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            bool changed = iteration == 0;
            for (int r = 0; r < rows; r++)
            {
                int best = Nearest(points, r, centers, k, columns);
                if (best != assignment[r]) { assignment[r] = best; changed = true; }
            }
            if (!changed) break;
            Array.Clear(sums);
            Array.Clear(counts);
            for (int r = 0; r < rows; r++)
            {
                int c = assignment[r];
                counts[c]++;
                for (int j = 0; j < columns; j++) sums[c * columns + j] += points[r * columns + j];
            }
            for (int c = 0; c < k; c++)
            {
                if (counts[c] == 0) continue; // keep an empty centre where it is
                for (int j = 0; j < columns; j++) centers[c * columns + j] = (float)(sums[c * columns + j] / counts[c]);
            }
        }

        // Snap each centre's features to the nearest value seen in its cluster; weights are cluster sizes.
        Array.Clear(counts);
        for (int r = 0; r < rows; r++) counts[assignment[r]]++;
        var snapped = new List<float>(k * columns);
        var weights = new List<double>(k);
        for (int c = 0; c < k; c++)
        {
            if (counts[c] == 0) continue;
            for (int j = 0; j < columns; j++)
            {
                float centre = centers[c * columns + j], best = centre;
                double bestDistance = double.PositiveInfinity;
                for (int r = 0; r < rows; r++)
                {
                    if (assignment[r] != c) continue;
                    double d = Math.Abs(points[r * columns + j] - centre);
                    if (d < bestDistance) { bestDistance = d; best = points[r * columns + j]; }
                }
                snapped.Add(best);
            }
            weights.Add((double)counts[c] / rows);
        }
        return (snapped.ToArray(), weights.ToArray());
    }

    private static int Nearest(ReadOnlySpan<float> points, int r, float[] centers, int k, int columns)
    {
        int best = 0;
        double bestDistance = double.PositiveInfinity;
        for (int c = 0; c < k; c++)
        {
            double d = SquaredDistance(points, r, centers, c, columns);
            if (d < bestDistance) { bestDistance = d; best = c; }
        }
        return best;
    }

    private static double SquaredDistance(ReadOnlySpan<float> points, int r, float[] centers, int c, int columns)
    {
        double sum = 0;
        for (int j = 0; j < columns; j++)
        {
            double d = points[r * columns + j] - centers[c * columns + j];
            sum += d * d;
        }
        return sum;
    }
}
