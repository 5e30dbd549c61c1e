using System.Buffers;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Interactive.Xai.Engine;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>Options for <see cref="PartialDependenceExplainer"/>.</summary>
public sealed record PartialDependenceOptions : ExplainerOptions
{
    /// <summary>Explicit grid values (used as given, sorted); null means <see cref="GridPoints"/> points between quantiles.</summary>
    public IReadOnlyList<double>? Grid { get; init; }

    /// <summary>Grid points between the <see cref="LowerQuantile"/> and <see cref="UpperQuantile"/> of the feature;
    /// when the feature has no more distinct values than this, its distinct values are the grid (as scikit-learn does).</summary>
    public int GridPoints { get; init; } = 20;

    /// <summary>The lower end of the automatic grid, as a quantile of the data.</summary>
    public double LowerQuantile { get; init; } = 0.05;

    /// <summary>The upper end of the automatic grid, as a quantile of the data.</summary>
    public double UpperQuantile { get; init; } = 0.95;

    /// <summary>
    /// The most rows whose ICE curves are kept in the result (an evenly spaced subset: row i * rows / max for
    /// i = 0 .. max-1); null keeps every row's curve, which costs rows x grid points x targets x 8 bytes of memory
    /// up to <see cref="MaxIceBytesInMemory"/> and disk space (4 bytes a value) beyond it. The partial dependence
    /// always averages all rows.
    /// </summary>
    public int? MaxIceCurves { get; init; } = 100;

    /// <summary>
    /// The most bytes of kept ICE curves (as doubles: curves x grid points x targets x 8) held in memory. Beyond it the
    /// curves go to a temporary file as float32 (exact: model outputs are float32) while they are computed, so that
    /// keeping every row's curve of a large table costs no memory; <see cref="PartialDependenceExplanation.IceAt"/>,
    /// the JSON writer and the charts read them back curve by curve. 0 always uses a file; the default is 16 MB.
    /// </summary>
    public long MaxIceBytesInMemory { get; init; } = 16L << 20;

    /// <summary>Bins of the feature histogram in the result (equal widths between the feature's minimum and maximum).</summary>
    public int HistogramBins { get; init; } = 40;

    /// <summary>Data rows evaluated per block (all grid points of a row in one block); 0 chooses automatically.
    /// The result does not depend on it.</summary>
    internal int RowsPerBlock { get; init; }
}

/// <summary>
/// Partial dependence and ICE curves (Friedman 2001; Goldstein et al. 2015). For each row of the data and each
/// grid value v, the model output with the feature set to v is the ICE value; the partial dependence is their mean
/// over rows. Rows x grid points go to the model in blocks of rows; the mean is accumulated block by block, so memory
/// does not grow with rows x grid points, and only a bounded subset of ICE curves is kept
/// (<see cref="PartialDependenceOptions.MaxIceCurves"/>). Two-feature partial dependence is computed on the product grid.
/// </summary>
public sealed class PartialDependenceExplainer
{
    private readonly IModel _model;
    private readonly PartialDependenceOptions _options;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "pdp";

    /// <summary>Creates the explainer.</summary>
    public PartialDependenceExplainer(IModel model, PartialDependenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new PartialDependenceOptions();
        _options.Validate();
        if (_options.Grid is null && _options.GridPoints < 2) throw new XaiException($"the grid needs at least 2 points, got {_options.GridPoints}");
        if (!(_options.LowerQuantile >= 0 && _options.LowerQuantile < _options.UpperQuantile && _options.UpperQuantile <= 1))
            throw new XaiException("grid quantiles must satisfy 0 <= lower < upper <= 1");
        if (_options.MaxIceCurves is < 0) throw new XaiException($"the number of ICE curves kept must not be negative, got {_options.MaxIceCurves}");
        if (_options.MaxIceBytesInMemory < 0) throw new XaiException($"the memory for ICE curves must not be negative, got {_options.MaxIceBytesInMemory}");
        if (_options.HistogramBins < 1) throw new XaiException($"the histogram needs at least 1 bin, got {_options.HistogramBins}");
        _model = model;
    }

    /// <summary>Data rows per evaluation block for <paramref name="cells"/> model evaluations per row.</summary>
    private int RowsPerBlock(int rows, int cells)
    {
        if (_options.RowsPerBlock > 0) return Math.Min(_options.RowsPerBlock, rows);
        // About 16 full batches per block: enough to keep parallel workers busy, a few MB of outputs at most.
        long evaluations = Math.Max((long)_options.BatchSize * 16, 65536);
        return (int)Math.Clamp(evaluations / Math.Max(cells, 1), 1, rows);
    }

    /// <summary>The evenly spaced rows (i * rows / max) whose ICE curves are kept.</summary>
    internal static int[] IceRowsFor(int rows, int? max)
    {
        if (max is null || rows <= max) return Enumerable.Range(0, rows).ToArray();
        return Enumerable.Range(0, max.Value).Select(i => (int)((long)i * rows / max.Value)).ToArray();
    }

    /// <summary>The grid this explainer uses for a feature of <paramref name="data"/>.</summary>
    public double[] GridFor(FeatureTable data, int feature)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_options.Grid is not null)
        {
            if (_options.Grid.Count == 0) throw new XaiException("the grid is empty");
            if (_options.Grid.Any(v => !double.IsFinite(v) || Math.Abs(v) > float.MaxValue)) throw new XaiException("grid values must be finite float32 numbers");
            return _options.Grid.Distinct().Order().ToArray();
        }
        double lo, hi;
        if (Quantiles.HasNegativeZero(data, feature))
        {
            // Which of -0 and 0 stands for zero in the grid is what the sorted column gives.
            if (GridBySorting(data, feature) is var (distinct, low, high) && distinct is not null) return distinct;
            (lo, hi) = (low, high);
        }
        else
        {
            // The same values without sorting the column: distinct values up to the limit, else two order statistics.
            if (Quantiles.DistinctColumn(data, feature, _options.GridPoints) is { } distinct) return distinct;
            (lo, hi) = Quantiles.LinearPair(data, feature, _options.LowerQuantile, _options.UpperQuantile);
        }
        if (lo == hi) return [lo];
        var grid = new double[_options.GridPoints];
        for (int g = 0; g < grid.Length; g++) grid[g] = lo + (hi - lo) * g / (grid.Length - 1);
        return grid;
    }

    /// <summary>The automatic grid's distinct values (when few) or its quantile ends, from the sorted column.</summary>
    internal (double[]? Distinct, double Lower, double Upper) GridBySorting(FeatureTable data, int feature)
    {
        var sorted = Quantiles.SortedColumn(data, feature);
        if (Quantiles.Distinct(sorted, _options.GridPoints) is { } distinct) return (distinct, 0, 0);
        return (null, Quantiles.Linear(sorted, _options.LowerQuantile), Quantiles.Linear(sorted, _options.UpperQuantile));
    }

    /// <summary>Partial dependence and ICE curves of one feature over the rows of <paramref name="data"/>.</summary>
    public PartialDependenceExplanation Explain(FeatureTable data, string feature, OutputTarget? target = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Explain(data, data.IndexOf(feature), target, progress, cancellationToken);
    }

    /// <summary>Partial dependence and ICE curves of the feature at column <paramref name="feature"/>.</summary>
    public PartialDependenceExplanation Explain(FeatureTable data, int feature, OutputTarget? target = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        _model.EnsureAccepts(data, "the data");
        if ((uint)feature >= (uint)data.ColumnCount) throw new XaiException($"feature index {feature} does not exist");
        if (data.RowCount == 0) throw new XaiException("the data has no rows");
        var stopwatch = Stopwatch.StartNew();
        var targets = (target ?? OutputTarget.Output(0)).Resolve(_model);
        var grid = GridFor(data, feature);
        int n = data.RowCount;
        // Every row's curve, or an evenly spaced subset (listed; "every row" needs no list of a million row numbers).
        var iceRows = _options.MaxIceCurves is null || n <= _options.MaxIceCurves ? null : IceRowsFor(n, _options.MaxIceCurves);
        var sums = Sums(data, feature, grid, targets, iceRows, allowFile: true, progress, cancellationToken);
        return Combine(data, feature, grid, targets, iceRows, sums.Cells, sums.IceValues, sums.IceFile, stopwatch.Elapsed, sums.ModelEvaluations);
    }

    /// <summary>The rows of a table of <paramref name="rowCount"/> rows whose ICE curves the result keeps (evenly spaced, ascending).</summary>
    public int[] IceRows(int rowCount) => IceRowsFor(rowCount, _options.MaxIceCurves);

    /// <summary>
    /// The exact sums, per grid point and target, of the model's output over a block of rows with the feature set to
    /// each grid value, and the ICE curves of the block's rows <paramref name="iceRows"/> (indices into the block,
    /// ascending), [curve][grid point][target], in memory. The merged sums of the blocks of any partition of a table
    /// give, through <see cref="Combine(FeatureTable, int, IReadOnlyList{double}, ImmutableArray{int}, IReadOnlyList{int}, IReadOnlyList{ExactSum}, double[], TimeSpan, long)"/>,
    /// the same result bit for bit as <see cref="Explain(FeatureTable, int, OutputTarget?, IProgress{ExplanationProgress}?, CancellationToken)"/>
    /// with the same grid.
    /// </summary>
    public PartialDependenceSums PartialSums(FeatureTable rows, int feature, IReadOnlyList<double> grid, ImmutableArray<int> targets,
        IReadOnlyList<int> iceRows, IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(iceRows);
        _model.EnsureAccepts(rows, "the data");
        if ((uint)feature >= (uint)rows.ColumnCount) throw new XaiException($"feature index {feature} does not exist");
        return Sums(rows, feature, grid, targets, iceRows, allowFile: false, progress, cancellationToken);
    }

    // The sums and kept curves (iceRows null: every row's) of a block of rows; with allowFile, kept curves beyond
    // MaxIceBytesInMemory go to a temporary file, block by block, as float32 (exact: model outputs are float32).
    private PartialDependenceSums Sums(FeatureTable rows, int feature, IReadOnlyList<double> grid, ImmutableArray<int> targets,
        IReadOnlyList<int>? iceRows, bool allowFile, IProgress<ExplanationProgress>? progress, CancellationToken cancellationToken)
    {
        int m = _model.FeatureCount, k = _model.OutputCount(), t = targets.Length, n = rows.RowCount, g = grid.Count;
        var gridFloat = grid.Select(v => (float)v).ToArray();
        var evaluator = new BatchEvaluator(_model, _options, MethodName, (long)n * g, progress, cancellationToken);
        int kept = iceRows?.Count ?? n;
        int block = RowsPerBlock(Math.Max(n, 1), g);
        bool spill = allowFile && (long)kept * g * t * sizeof(double) > _options.MaxIceBytesInMemory;
        var iceFile = spill ? IceCurveFile.Create(g * t) : null;
        var ice = spill ? [] : new double[(long)kept * g * t];
        var blockIce = spill ? new float[(long)Math.Min(block, kept) * g * t] : [];
        var cells = new ExactSum[g * t];
        for (int i = 0; i < cells.Length; i++) cells[i] = new ExactSum();
        // From the shared pool (the model writes every value read): reused from call to call.
        var outputs = ArrayPool<float>.Shared.Rent(checked(block * g * k));
        try
        {
            int nextIce = 0;
            for (int start = 0; start < n; start += block)
            {
                int count = Math.Min(block, n - start);
                evaluator.Evaluate((long)count * g, (first, number, dest) =>
                {
                    var values = rows.Values;
                    int r = start + (int)(first / g), p = (int)(first % g);
                    for (int i = 0; i < number;)
                    {
                        // Row r with the feature at grid points p, p + 1, ...: copies of the row, then the grid values.
                        int copies = Math.Min(number - i, g - p);
                        var destination = dest.Slice(i * m);
                        RowFill.Repeat(values.Slice(r * m, m), copies, destination);
                        for (int c = 0; c < copies; c++) destination[c * m + feature] = gridFloat[p + c];
                        i += copies;
                        p = 0;
                        r++;
                    }
                }, outputs);
                int blockFirstIce = nextIce;
                for (int b = 0; b < count; b++)
                {
                    if (!(iceRows is null || (nextIce < iceRows.Count && iceRows[nextIce] == start + b))) continue;
                    for (int p = 0; p < g; p++)
                        for (int s = 0; s < t; s++)
                        {
                            float value = outputs[((long)b * g + p) * k + targets[s]];
                            if (spill) blockIce[((long)(nextIce - blockFirstIce) * g + p) * t + s] = value;
                            else ice[((long)nextIce * g + p) * t + s] = value;
                        }
                    nextIce++;
                }
                // Each grid point's outputs over the block, through the fast exact accumulator (the same exact totals).
                AddBlock(outputs, count, g, k, targets, cells, cancellationToken);
                if (spill && nextIce > blockFirstIce) iceFile!.Append(blockIce.AsSpan(0, (nextIce - blockFirstIce) * g * t));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(outputs);
        }
        return new PartialDependenceSums(cells, ice, evaluator.Evaluations) { IceFile = iceFile };
    }

    // Below this many outputs in a block, summing them on one thread costs less than starting tasks.
    private const long ParallelAccumulationOutputs = 16_384;

    // Adds a block's outputs to the exact sums: `rows` data rows, each evaluated at `cellCount` grid points (2-D: grid
    // cells) in turn, k outputs each; sums[cell * targets + s] gets target s of that cell. Each cell is summed by one
    // thread with its own accumulator, in parallel (up to the options' degree of parallelism) when the block is large
    // enough, so the sums are the same for any number of threads.
    private void AddBlock(float[] outputs, int rows, int cellCount, int k, ImmutableArray<int> targets, ExactSum[] sums, CancellationToken cancellationToken)
    {
        int t = targets.Length;
        void SumCell(int cell, ExactAccumulator accumulator)
        {
            for (int s = 0; s < t; s++)
            {
                int offset = cell * k + targets[s], stride = cellCount * k;
                for (int b = 0; b < rows; b++) accumulator.Add(outputs[(long)b * stride + offset]);
                accumulator.MoveTo(sums[cell * t + s]);
            }
        }
        int parallelism = _options.MaxDegreeOfParallelism ?? Environment.ProcessorCount;
        if (parallelism <= 1 || cellCount <= 1 || (long)cellCount * rows < ParallelAccumulationOutputs)
        {
            var accumulator = ExactAccumulator.ForThisThread();
            for (int cell = 0; cell < cellCount; cell++) SumCell(cell, accumulator);
            return;
        }
        Parallel.For(0, cellCount, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            cell => SumCell(cell, ExactAccumulator.ForThisThread()));
    }

    /// <summary>
    /// The explanation of <paramref name="data"/>'s feature from the exact sums over all its rows (merged
    /// <see cref="PartialSums"/> of its blocks) and the ICE curves of <paramref name="iceRows"/> (indices into
    /// <paramref name="data"/>), [curve][grid point][target].
    /// </summary>
    public PartialDependenceExplanation Combine(FeatureTable data, int feature, IReadOnlyList<double> grid, ImmutableArray<int> targets,
        IReadOnlyList<int> iceRows, IReadOnlyList<ExactSum> cells, double[] iceValues, TimeSpan elapsed, long modelEvaluations)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(iceRows);
        // Every row's curve is not listed row by row (as in Explain).
        bool everyRow = iceRows.Count == data.RowCount && Enumerable.Range(0, iceRows.Count).All(i => iceRows[i] == i);
        return Combine(data, feature, grid, targets, everyRow ? null : iceRows, cells, iceValues, null, elapsed, modelEvaluations);
    }

    private PartialDependenceExplanation Combine(FeatureTable data, int feature, IReadOnlyList<double> grid, ImmutableArray<int> targets,
        IReadOnlyList<int>? iceRows, IReadOnlyList<ExactSum> cells, double[] iceValues, IceCurveFile? iceFile, TimeSpan elapsed, long modelEvaluations)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(iceValues);
        int n = data.RowCount;
        var average = new double[cells.Count];
        for (int i = 0; i < average.Length; i++) average[i] = cells[i].Value / n;
        var (edges, counts) = FeatureHistogram.Of(data, feature, _options.HistogramBins);
        return new PartialDependenceExplanation
        {
            Method = MethodName,
            OutputNames = targets.Select(o => _model.OutputNames[o]).ToImmutableArray(),
            Targets = targets,
            Feature = data.FeatureNames[feature],
            FeatureIndex = feature,
            Grid = grid.ToImmutableArray(),
            // Wrapped, not copied: with every row's curve kept in memory this array is rows x grid x targets doubles.
            IceValues = ImmutableCollectionsMarshal.AsImmutableArray(iceValues),
            IceFile = iceFile,
            IceRows = iceRows is null ? default : iceRows.ToImmutableArray(),
            AverageValues = ImmutableArray.Create(average),
            FeatureValues = [],
            RowCount = n,
            HistogramEdges = ImmutableArray.Create(edges),
            HistogramCounts = ImmutableArray.Create(counts),
            Elapsed = elapsed,
            ModelEvaluations = modelEvaluations,
        };
    }

    /// <summary>Two-feature partial dependence on the product of the two features' grids.</summary>
    public PartialDependence2DExplanation Explain2D(FeatureTable data, string firstFeature, string secondFeature,
        OutputTarget? target = null, IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        _model.EnsureAccepts(data, "the data");
        int f1 = data.IndexOf(firstFeature), f2 = data.IndexOf(secondFeature);
        if (f1 == f2) throw new XaiException("two-feature partial dependence needs two different features");
        if (data.RowCount == 0) throw new XaiException("the data has no rows");
        var stopwatch = Stopwatch.StartNew();
        var targets = (target ?? OutputTarget.Output(0)).Resolve(_model);
        var gridX = GridFor(data, f1);
        var gridY = GridFor(data, f2);
        var sums = PartialSums2D(data, f1, f2, gridX, gridY, targets, progress, cancellationToken);
        return Combine2D(data, f1, f2, gridX, gridY, targets, sums.Cells, stopwatch.Elapsed, sums.ModelEvaluations);
    }

    /// <summary>
    /// The exact sums, per cell of the product grid (x major) and target, of the model's output over a block of rows
    /// with the two features set to the cell's values; merged over the blocks of any partition of a table they give,
    /// through <see cref="Combine2D"/>, the same result bit for bit as <see cref="Explain2D"/>.
    /// </summary>
    public PartialDependenceSums PartialSums2D(FeatureTable rows, int firstFeature, int secondFeature, IReadOnlyList<double> gridX,
        IReadOnlyList<double> gridY, ImmutableArray<int> targets, IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(gridX);
        ArgumentNullException.ThrowIfNull(gridY);
        _model.EnsureAccepts(rows, "the data");
        int f1 = firstFeature, f2 = secondFeature;
        int m = _model.FeatureCount, k = _model.OutputCount(), t = targets.Length, n = rows.RowCount;
        int gx = gridX.Count, gy = gridY.Count, cellCount = gx * gy;
        var evaluator = new BatchEvaluator(_model, _options, MethodName, (long)n * cellCount, progress, cancellationToken);
        float[] gridXFloat = gridX.Select(v => (float)v).ToArray(), gridYFloat = gridY.Select(v => (float)v).ToArray();
        var cells = new ExactSum[cellCount * t];
        for (int i = 0; i < cells.Length; i++) cells[i] = new ExactSum();
        int block = RowsPerBlock(Math.Max(n, 1), cellCount);
        var outputs = ArrayPool<float>.Shared.Rent(checked(block * cellCount * k));
        try
        {
            for (int start = 0; start < n; start += block)
            {
                int count = Math.Min(block, n - start);
                evaluator.Evaluate((long)count * cellCount, (first, number, dest) =>
                {
                    var values = rows.Values;
                    int r = start + (int)(first / cellCount), cell = (int)(first % cellCount);
                    int xi = cell / gy, yi = cell % gy;
                    for (int i = 0; i < number;)
                    {
                        // Copies of row r for its remaining cells, then each copy's two grid values.
                        int copies = Math.Min(number - i, cellCount - (xi * gy + yi));
                        var destination = dest.Slice(i * m);
                        RowFill.Repeat(values.Slice(r * m, m), copies, destination);
                        for (int c = 0; c < copies; c++)
                        {
                            destination[c * m + f1] = gridXFloat[xi];
                            destination[c * m + f2] = gridYFloat[yi];
                            if (++yi == gy) { yi = 0; xi++; }
                        }
                        i += copies;
                        xi = 0;
                        yi = 0;
                        r++;
                    }
                }, outputs);
                AddBlock(outputs, count, cellCount, k, targets, cells, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(outputs);
        }
        return new PartialDependenceSums(cells, [], evaluator.Evaluations);
    }

    /// <summary>The two-feature explanation of <paramref name="data"/> from the exact sums over all its rows (merged <see cref="PartialSums2D"/>).</summary>
    public PartialDependence2DExplanation Combine2D(FeatureTable data, int firstFeature, int secondFeature, IReadOnlyList<double> gridX,
        IReadOnlyList<double> gridY, ImmutableArray<int> targets, IReadOnlyList<ExactSum> cells, TimeSpan elapsed, long modelEvaluations)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(cells);
        var average = new double[cells.Count];
        for (int i = 0; i < average.Length; i++) average[i] = cells[i].Value / data.RowCount;
        return new PartialDependence2DExplanation
        {
            Method = "pdp-2d",
            OutputNames = targets.Select(o => _model.OutputNames[o]).ToImmutableArray(),
            Targets = targets,
            Features = [data.FeatureNames[firstFeature], data.FeatureNames[secondFeature]],
            FeatureIndices = [firstFeature, secondFeature],
            GridX = gridX.ToImmutableArray(),
            GridY = gridY.ToImmutableArray(),
            AverageValues = ImmutableArray.Create(average),
            RowCount = data.RowCount,
            Elapsed = elapsed,
            ModelEvaluations = modelEvaluations,
        };
    }
}

/// <summary>
/// Partial dependence over a block of rows: exact sums per grid point (or product-grid cell) and target, the ICE
/// curves of the block's kept rows, and the model evaluations made.
/// </summary>
/// <param name="Cells">Exact sums, [grid point or cell][target].</param>
/// <param name="IceValues">The block's kept ICE curves, [curve][grid point][target] (empty for two features).</param>
/// <param name="ModelEvaluations">Model evaluations made for the block.</param>
public sealed record PartialDependenceSums(ExactSum[] Cells, double[] IceValues, long ModelEvaluations)
{
    // The kept curves when they went to a file (in-process Explain only; then IceValues is empty).
    internal IceCurveFile? IceFile { get; init; }
}
