using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Interactive.Xai.Engine;

namespace Interactive.Xai;

/// <summary>Options for <see cref="OcclusionExplainer"/>.</summary>
public sealed record OcclusionOptions : ExplainerOptions
{
    /// <summary>
    /// The shape of one input, channels first: [C, H, W] or [H, W] (one channel). Empty means tabular data, treated
    /// as 1 x 1 x FeatureCount (a patch then slides along the features and <see cref="PatchHeight"/> must be 1). The
    /// explanation carries this shape as given.
    /// </summary>
    public ImmutableArray<int> InputShape { get; init; } = ImmutableArray<int>.Empty;

    /// <summary>The patch's height in pixels.</summary>
    public int PatchHeight { get; init; } = 1;

    /// <summary>The patch's width in pixels (for tabular data: the number of consecutive features occluded together).</summary>
    public int PatchWidth { get; init; } = 1;

    /// <summary>Pixels between the top edges of vertically neighbouring patches; at most <see cref="PatchHeight"/> (unless the patch spans the whole height).</summary>
    public int StrideHeight { get; init; } = 1;

    /// <summary>Pixels between the left edges of horizontally neighbouring patches; at most <see cref="PatchWidth"/> (unless the patch spans the whole width).</summary>
    public int StrideWidth { get; init; } = 1;

    /// <summary>True (default): a patch covers every channel at once; false: each channel is occluded on its own.</summary>
    public bool AcrossChannels { get; init; } = true;

    /// <summary>The value occluded pixels take when <see cref="Baseline"/> is null.</summary>
    public float FillValue { get; init; }

    /// <summary>
    /// A baseline input (FeatureCount values, same layout as a row): occluded pixels take the baseline's values
    /// instead of <see cref="FillValue"/>. Null means the fill value.
    /// </summary>
    public IReadOnlyList<float>? Baseline { get; init; }

    /// <summary>
    /// Upper bound on occluded copies evaluated per block (blocks are also kept below 2^24 output values, so a model
    /// with many outputs uses smaller blocks; a block may cover part of a row's patches).
    /// </summary>
    public long MaxEvaluationsPerBlock { get; init; } = 1L << 21;
}

/// <summary>
/// Occlusion (Zeiler and Fergus; Captum's <c>Occlusion</c>): a patch slides over the input with the given stride and
/// is replaced by a fill value or a baseline; a pixel's attribution is the mean, over every patch that covers it, of
/// f(x) - f(x with that patch filled). As in Captum, each axis has ceil((size - patch) / stride) + 1 patch positions
/// starting at 0, stride, 2 stride, ...; when the stride does not divide size - patch the last patch is clipped at the
/// input's edge, so every pixel is covered. A stride larger than the patch (which would leave gaps) is refused, as
/// Captum does, unless the patch spans that whole axis. Model-agnostic: it needs only predictions. Every occluded copy of many rows goes to the model in large batches.
/// <para>
/// The base value is f(fully filled input); with 1 x 1 patches on an additive model the attributions of a row add up to
/// f(x) - base, so <see cref="AttributionExplanation.AdditivityError"/> is 0 there. For overlapping patches or
/// interacting pixels it is reported but not expected to be 0.
/// </para>
/// </summary>
public sealed class OcclusionExplainer
{
    private readonly IModel _model;
    private readonly OcclusionOptions _options;
    private readonly int _channels, _height, _width;
    private readonly int _patchDepth, _channelPositions, _rowPositions, _columnPositions;
    private readonly float[] _fill;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "occlusion";

    private const long MaxOutputValuesPerBlock = 1L << 24;

    /// <summary>Creates the explainer; throws an <see cref="XaiException"/> when the shape, patch, stride or baseline does not fit the model.</summary>
    public OcclusionExplainer(IModel model, OcclusionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _options = options ?? new OcclusionOptions();
        _options.Validate();
        _model = model;
        int m = model.FeatureCount;
        var shape = _options.InputShape;
        (_channels, _height, _width) = shape.IsDefaultOrEmpty ? (1, 1, m) : shape.Length switch
        {
            3 => (shape[0], shape[1], shape[2]),
            2 => (1, shape[0], shape[1]),
            _ => throw new XaiException($"input shape [{string.Join(", ", shape)}] must be [channels, height, width] or [height, width]"),
        };
        if (_channels < 1 || _height < 1 || _width < 1 || (long)_channels * _height * _width != m)
            throw new XaiException($"input shape [{string.Join(", ", shape)}] holds {(long)_channels * _height * _width} values but the model takes {m} features");
        if (_options.PatchHeight < 1 || _options.PatchWidth < 1)
            throw new XaiException($"the occlusion patch must be at least 1 x 1, got {_options.PatchHeight} x {_options.PatchWidth}");
        if (_options.PatchHeight > _height || _options.PatchWidth > _width)
            throw new XaiException($"the occlusion patch {_options.PatchHeight} x {_options.PatchWidth} is larger than the input's {_height} x {_width} pixels");
        if (_options.StrideHeight < 1 || _options.StrideWidth < 1)
            throw new XaiException($"the occlusion stride must be at least 1, got {_options.StrideHeight} x {_options.StrideWidth}");
        // As Captum: a stride larger than the patch would skip pixels, except along an axis the patch spans whole.
        if ((_options.StrideHeight > _options.PatchHeight && _options.PatchHeight < _height)
            || (_options.StrideWidth > _options.PatchWidth && _options.PatchWidth < _width))
            throw new XaiException($"the occlusion stride {_options.StrideHeight} x {_options.StrideWidth} is larger than the patch {_options.PatchHeight} x {_options.PatchWidth}: pixels between patches would never be occluded");
        if (_options.Baseline is { } baseline)
        {
            if (baseline.Count != m) throw new XaiException($"the occlusion baseline has {baseline.Count} values but the model takes {m} features");
            _fill = baseline.ToArray();
            if (!TensorPrimitives.IsFiniteAll<float>(_fill)) throw new XaiException("the occlusion baseline has a value that is not a finite number");
        }
        else
        {
            if (!float.IsFinite(_options.FillValue)) throw new XaiException($"the occlusion fill value must be a finite number, got {_options.FillValue.ToString(CultureInfo.InvariantCulture)}");
            _fill = new float[m];
            Array.Fill(_fill, _options.FillValue);
        }
        _patchDepth = _options.AcrossChannels ? _channels : 1;
        _channelPositions = _options.AcrossChannels ? 1 : _channels;
        // Captum's count: ceil((size - patch) / stride) + 1, the last patch clipped at the edge.
        _rowPositions = (_height - _options.PatchHeight + _options.StrideHeight - 1) / _options.StrideHeight + 1;
        _columnPositions = (_width - _options.PatchWidth + _options.StrideWidth - 1) / _options.StrideWidth + 1;
    }

    /// <summary>The number of patch positions per input.</summary>
    public int PatchesPerRow => _channelPositions * _rowPositions * _columnPositions;

    /// <summary>
    /// Explains every row of <paramref name="rows"/> for the selected outputs (default: output 0). With
    /// <see cref="OutputTarget.Predicted"/> each row is explained for its own arg-max output:
    /// <see cref="AttributionExplanation.RowTargets"/> names it, the explanation has one target slot (index -1,
    /// output name "predicted"), and the base value is the mean over rows of f(filled input) at each row's output.
    /// </summary>
    public AttributionExplanation Explain(FeatureTable rows, OutputTarget? target = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _model.EnsureAccepts(rows, "the data");
        var stopwatch = Stopwatch.StartNew();
        target ??= OutputTarget.Output(0);
        int m = _model.FeatureCount, k = _model.OutputCount(), n = rows.RowCount, patches = PatchesPerRow;
        bool predicted = target.IsPredicted;
        var targets = predicted ? ImmutableArray.Create(-1) : target.Resolve(_model);
        int t = targets.Length;

        var evaluator = new BatchEvaluator(_model, _options, MethodName, 1 + n + (long)n * patches, progress, cancellationToken);
        var filled = evaluator.Evaluate(1, (_, _, dest) => _fill.CopyTo(dest));
        var original = evaluator.Evaluate(n, (first, count, dest) => rows.Values.Slice((int)first * m, count * m).CopyTo(dest));

        // The output each (row, slot) reads.
        var outputOf = new int[n * t];
        var rowTargets = predicted ? new int[n] : null;
        for (int r = 0; r < n; r++)
        {
            if (rowTargets is not null)
            {
                rowTargets[r] = TensorPrimitives.IndexOfMax(original.AsSpan(r * k, k));
                outputOf[r] = rowTargets[r];
            }
            else
            {
                for (int s = 0; s < t; s++) outputOf[r * t + s] = targets[s];
            }
        }

        // How many patches cover each pixel: the same for every row, and at least 1 (the last patch is clipped).
        var coverage = new int[m];
        var once = new double[m];
        for (int p = 0; p < patches; p++) AddToPatch(p, once, 1, 0, 1.0);
        for (int i = 0; i < m; i++) coverage[i] = (int)once[i];

        var values = new double[n * m * t];
        // Occluded copies are numbered row by row, patch by patch, and evaluated in blocks bounded in copies and in
        // output values held (a block may end inside a row: a large image's patches then span several blocks).
        long total = (long)n * patches;
        long blockSize = Math.Clamp(Math.Min(_options.MaxEvaluationsPerBlock, MaxOutputValuesPerBlock / k), 1, Math.Max(total, 1));
        for (long blockStart = 0; blockStart < total; blockStart += blockSize)
        {
            long blockFirst = blockStart, blockCount = Math.Min(blockSize, total - blockStart);
            var occluded = evaluator.Evaluate(blockCount, (first, count, dest) =>
            {
                var data = rows.Values;
                for (int i = 0; i < count; i++)
                {
                    long index = blockFirst + first + i;
                    int r = (int)(index / patches), p = (int)(index % patches);
                    var row = dest.Slice(i * m, m);
                    data.Slice(r * m, m).CopyTo(row);
                    FillPatch(p, row);
                }
            });
            int firstRow = (int)(blockFirst / patches), lastRow = (int)((blockFirst + blockCount - 1) / patches);
            Parallel.For(firstRow, lastRow + 1, new ParallelOptions { CancellationToken = cancellationToken }, r =>
            {
                var sums = values.AsSpan(r * m * t, m * t);
                long rowStart = (long)r * patches;
                int fromPatch = (int)(Math.Max(blockFirst, rowStart) - rowStart);
                int toPatch = (int)(Math.Min(blockFirst + blockCount, rowStart + patches) - rowStart);
                for (int p = fromPatch; p < toPatch; p++)
                {
                    var output = occluded.AsSpan((int)(rowStart + p - blockFirst) * k, k);
                    for (int s = 0; s < t; s++)
                    {
                        int o = outputOf[r * t + s];
                        double difference = (double)original[r * k + o] - output[o];
                        AddToPatch(p, sums, t, s, difference);
                    }
                }
            });
        }
        Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellationToken }, r =>
        {
            var sums = values.AsSpan(r * m * t, m * t);
            for (int i = 0; i < m; i++)
                for (int s = 0; s < t; s++) sums[i * t + s] /= coverage[i];
        });

        var predictions = new double[n * t];
        var rowBases = new double[n * t];
        for (int r = 0; r < n; r++)
            for (int s = 0; s < t; s++)
            {
                int o = outputOf[r * t + s];
                predictions[r * t + s] = original[r * k + o];
                rowBases[r * t + s] = filled[o];
            }
        var baseValues = predicted
            ? ImmutableArray.Create(n == 0 ? 0 : rowBases.Average())
            : targets.Select(o => (double)filled[o]).ToImmutableArray();
        double additivity = 0;
        for (int r = 0; r < n; r++)
            for (int s = 0; s < t; s++)
            {
                double sum = rowBases[r * t + s];
                for (int i = 0; i < m; i++) sum += values[(r * m + i) * t + s];
                additivity = Math.Max(additivity, Math.Abs(sum - predictions[r * t + s]));
            }

        return new AttributionExplanation
        {
            Method = MethodName,
            FeatureNames = rows.FeatureNames,
            OutputNames = predicted ? ["predicted"] : targets.Select(o => _model.OutputNames[o]).ToImmutableArray(),
            Targets = targets,
            Data = rows,
            Values = ImmutableArray.Create(values),
            BaseValues = baseValues,
            Predictions = ImmutableArray.Create(predictions),
            InputShape = _options.InputShape.IsDefaultOrEmpty ? ImmutableArray<int>.Empty : _options.InputShape,
            RowTargets = rowTargets is null ? ImmutableArray<int>.Empty : ImmutableArray.Create(rowTargets),
            AdditivityError = additivity,
            Elapsed = stopwatch.Elapsed,
            ModelEvaluations = evaluator.Evaluations,
            Details = ImmutableDictionary<string, string>.Empty
                .Add("patch", string.Create(CultureInfo.InvariantCulture, $"{_options.PatchHeight} x {_options.PatchWidth}{(_channels > 1 ? (_options.AcrossChannels ? " (all channels)" : " (one channel)") : "")}"))
                .Add("stride", string.Create(CultureInfo.InvariantCulture, $"{_options.StrideHeight} x {_options.StrideWidth}"))
                .Add("patchesPerRow", patches.ToString(CultureInfo.InvariantCulture))
                .Add("fill", _options.Baseline is null ? _options.FillValue.ToString("G6", CultureInfo.InvariantCulture) : "baseline input"),
        };
    }

    private void FillPatch(int patch, Span<float> row)
    {
        var (c0, y0, x0) = PatchOrigin(patch);
        int height = Math.Min(_options.PatchHeight, _height - y0), width = Math.Min(_options.PatchWidth, _width - x0);
        for (int c = c0; c < c0 + _patchDepth; c++)
            for (int y = y0; y < y0 + height; y++)
            {
                int offset = (c * _height + y) * _width + x0;
                _fill.AsSpan(offset, width).CopyTo(row.Slice(offset, width));
            }
    }

    /// <summary>Adds <paramref name="amount"/> to slot <paramref name="slot"/> of every pixel the patch covers; <paramref name="sums"/> is [pixel][slot].</summary>
    private void AddToPatch(int patch, Span<double> sums, int slots, int slot, double amount)
    {
        var (c0, y0, x0) = PatchOrigin(patch);
        int height = Math.Min(_options.PatchHeight, _height - y0), width = Math.Min(_options.PatchWidth, _width - x0);
        for (int c = c0; c < c0 + _patchDepth; c++)
            for (int y = y0; y < y0 + height; y++)
            {
                int offset = (c * _height + y) * _width + x0;
                for (int x = 0; x < width; x++) sums[(offset + x) * slots + slot] += amount;
            }
    }

    private (int Channel, int Top, int Left) PatchOrigin(int patch)
    {
        int column = patch % _columnPositions;
        int rest = patch / _columnPositions;
        int row = rest % _rowPositions;
        int channel = rest / _rowPositions;
        return (channel, row * _options.StrideHeight, column * _options.StrideWidth);
    }
}
