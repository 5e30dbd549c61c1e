using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Interactive.Xai.Engine;
using Interactive.Xai.Numerics;

namespace Interactive.Xai;

/// <summary>How <see cref="ImageLimeExplainer"/> cuts an image into superpixels.</summary>
public enum Segmentation
{
    /// <summary>A regular grid of square cells of <see cref="ImageLimeOptions.CellSize"/> pixels.</summary>
    Grid,

    /// <summary>
    /// SLIC (Achanta et al. 2012): k-means on (channel values, position) started from a grid of
    /// <see cref="ImageLimeOptions.Superpixels"/> centres, searching 2S x 2S windows, with
    /// <see cref="ImageLimeOptions.Compactness"/> weighing position against colour; disconnected fragments keep their label.
    /// </summary>
    Slic,
}

/// <summary>Options for <see cref="ImageLimeExplainer"/>.</summary>
public sealed record ImageLimeOptions : ExplainerOptions
{
    /// <summary>The image shape: channels, height, width (the model's features are a flattened C x H x W image, row-major).</summary>
    public required IReadOnlyList<int> Shape { get; init; }

    /// <summary>The segmentation.</summary>
    public Segmentation Segmentation { get; init; } = Segmentation.Grid;

    /// <summary>Grid cell size in pixels; null: the size giving about 8 cells along the longer side.</summary>
    public int? CellSize { get; init; }

    /// <summary>SLIC: the number of superpixels aimed at.</summary>
    public int Superpixels { get; init; } = 50;

    /// <summary>SLIC: the weight of spatial distance against colour distance (in channel units per grid interval).</summary>
    public double Compactness { get; init; } = 0.1;

    /// <summary>The value a hidden superpixel's pixels take; null: the superpixel's own mean per channel (lime's default).</summary>
    public double? HideValue { get; init; }

    /// <summary>Perturbed images per image (lime's num_samples), the whole image included.</summary>
    public int Samples { get; init; } = 1000;

    /// <summary>The kernel width on the cosine distance to the whole image (lime_image uses 0.25).</summary>
    public double KernelWidth { get; init; } = 0.25;

    /// <summary>K: keep only the K superpixels of highest |weight| in a ridge fit with penalty 0.01 on all of them (lime's highest_weights); null keeps all.</summary>
    public int? FeatureCount { get; init; }

    /// <summary>The ridge penalty of the surrogate (lime uses 1).</summary>
    public double Ridge { get; init; } = 1;
}

/// <summary>
/// LIME for images (lime's LimeImageExplainer): the image is cut into superpixels (<see cref="Segmentation"/>), samples
/// switch each superpixel on or off at random (off = filled with <see cref="ImageLimeOptions.HideValue"/> or its mean
/// colour), are weighted by sqrt(exp(-d² / width²)) of their cosine distance d to the whole image, and a weighted ridge
/// surrogate on the on/off indicators gives each superpixel a weight.
/// <para>
/// The result is an <see cref="AttributionExplanation"/> with <see cref="AttributionExplanation.InputShape"/> set: every
/// pixel value (all channels) of superpixel s carries w_s / (pixels of s x channels), so a superpixel's values add up
/// to its weight and the values of a row add up to the surrogate's prediction for the whole image minus its intercept.
/// The base value is the mean intercept; per-row fidelity (weighted R²) and intercepts are in
/// <see cref="AttributionExplanation.Details"/>, and <see cref="AttributionExplanation.AdditivityError"/> compares each
/// image's prediction with its own intercept plus its values (0 when the surrogate fits the model exactly). With
/// <see cref="OutputTarget.Predicted"/> the explanation has one target slot (index -1, output name "predicted") and
/// <see cref="AttributionExplanation.RowTargets"/> names each image's output. Works with any <see cref="IModel"/> (no TorchSharp needed).
/// </para>
/// </summary>
public sealed class ImageLimeExplainer
{
    private readonly IModel _model;
    private readonly ImageLimeOptions _options;
    private readonly int _channels, _height, _width;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "lime-image";

    /// <summary>Creates the explainer.</summary>
    public ImageLimeExplainer(IModel model, ImageLimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Shape is not { Count: 3 } shape || shape.Any(s => s < 1))
            throw new XaiException($"the image shape must be three positive numbers (channels, height, width), got [{string.Join(", ", options.Shape ?? [])}]");
        if ((long)shape[0] * shape[1] * shape[2] != model.FeatureCount)
            throw new XaiException($"an image of {shape[0]} x {shape[1]} x {shape[2]} has {(long)shape[0] * shape[1] * shape[2]} values but the model takes {model.FeatureCount} features");
        if (options.Samples < 2) throw new XaiException($"image lime needs at least 2 samples, got {options.Samples}");
        if (options.CellSize is < 1) throw new XaiException($"the grid cell size must be at least 1 pixel, got {options.CellSize}");
        if (options.Superpixels < 1) throw new XaiException($"SLIC needs at least 1 superpixel, got {options.Superpixels}");
        if (!(options.KernelWidth > 0)) throw new XaiException($"the kernel width must be positive, got {options.KernelWidth.ToString(CultureInfo.InvariantCulture)}");
        if (options.FeatureCount is < 1) throw new XaiException($"K must be at least 1, got {options.FeatureCount}");
        _model = model;
        _options = options;
        (_channels, _height, _width) = (shape[0], shape[1], shape[2]);
    }

    /// <summary>The superpixel label of every pixel of <paramref name="image"/> (H x W, row-major), labels 0..S-1.</summary>
    public int[] Segment(ReadOnlySpan<float> image)
    {
        if (image.Length != _channels * _height * _width) throw new XaiException($"an image needs {_channels * _height * _width} values, got {image.Length}");
        var labels = _options.Segmentation == Segmentation.Slic ? Slic(image) : Grid();
        // Renumber densely in order of first appearance.
        var map = new Dictionary<int, int>();
        for (int i = 0; i < labels.Length; i++)
        {
            if (!map.TryGetValue(labels[i], out int dense)) map[labels[i]] = dense = map.Count;
            labels[i] = dense;
        }
        return labels;
    }

    private int[] Grid()
    {
        int cell = _options.CellSize ?? Math.Max(1, (int)Math.Ceiling(Math.Max(_height, _width) / 8.0));
        int across = (_width + cell - 1) / cell;
        var labels = new int[_height * _width];
        for (int y = 0; y < _height; y++)
            for (int x = 0; x < _width; x++) labels[y * _width + x] = y / cell * across + x / cell;
        return labels;
    }

    private int[] Slic(ReadOnlySpan<float> image)
    {
        int plane = _height * _width, k = Math.Min(_options.Superpixels, plane);
        double step = Math.Max(1, Math.Sqrt(plane / (double)k));
        var centres = new List<double[]>(); // y, x, channels...
        for (double y = step / 2; y < _height; y += step)
            for (double x = step / 2; x < _width; x += step)
            {
                var centre = new double[2 + _channels];
                centre[0] = y;
                centre[1] = x;
                int p = (int)y * _width + (int)x;
                for (int c = 0; c < _channels; c++) centre[2 + c] = image[c * plane + p];
                centres.Add(centre);
            }
        var labels = new int[plane];
        var best = new double[plane];
        double spatial = _options.Compactness / step;
        for (int iteration = 0; iteration < 10; iteration++)
        {
            Array.Fill(best, double.PositiveInfinity);
            for (int s = 0; s < centres.Count; s++)
            {
                var centre = centres[s];
                int y0 = Math.Max(0, (int)(centre[0] - step)), y1 = Math.Min(_height - 1, (int)(centre[0] + step));
                int x0 = Math.Max(0, (int)(centre[1] - step)), x1 = Math.Min(_width - 1, (int)(centre[1] + step));
                for (int y = y0; y <= y1; y++)
                    for (int x = x0; x <= x1; x++)
                    {
                        int p = y * _width + x;
                        double colour = 0;
                        for (int c = 0; c < _channels; c++) { double d = image[c * plane + p] - centre[2 + c]; colour += d * d; }
                        double dy = y - centre[0], dx = x - centre[1];
                        double distance = colour + spatial * spatial * (dy * dy + dx * dx);
                        if (distance < best[p]) { best[p] = distance; labels[p] = s; }
                    }
            }
            var sums = centres.Select(_ => new double[3 + _channels]).ToArray();
            for (int p = 0; p < plane; p++)
            {
                if (double.IsPositiveInfinity(best[p])) continue;
                var sum = sums[labels[p]];
                sum[0] += p / _width;
                sum[1] += p % _width;
                for (int c = 0; c < _channels; c++) sum[2 + c] += image[c * plane + p];
                sum[^1]++;
            }
            for (int s = 0; s < centres.Count; s++)
                if (sums[s][^1] > 0)
                    for (int i = 0; i < 2 + _channels; i++) centres[s][i] = sums[s][i] / sums[s][^1];
        }
        return labels;
    }

    /// <summary>Explains every image (row) of <paramref name="images"/>; <paramref name="target"/> may be <see cref="OutputTarget.Predicted"/>.</summary>
    public AttributionExplanation Explain(FeatureTable images, OutputTarget? target = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        _model.EnsureAccepts(images, "the images");
        var stopwatch = Stopwatch.StartNew();
        target ??= OutputTarget.Output(0);
        int m = _model.FeatureCount, k = _model.OutputCount(), n = images.RowCount, samples = _options.Samples;
        int plane = _height * _width;
        var evaluator = new BatchEvaluator(_model, _options, MethodName, n + (long)n * samples, progress, cancellationToken);
        var predictions = evaluator.Evaluate(n, (first, count, dest) => images.Values.Slice((int)first * m, count * m).CopyTo(dest));
        ImmutableArray<int> targets;
        int[]? rowTargets = null;
        if (target.IsPredicted)
        {
            rowTargets = new int[n];
            for (int r = 0; r < n; r++)
                for (int o = 1; o < k; o++) if (predictions[r * k + o] > predictions[r * k + rowTargets[r]]) rowTargets[r] = o;
            targets = [-1];
        }
        else targets = target.Resolve(_model);
        int t = targets.Length;

        // Segments, hidden images and on/off masks (sample 0 = the whole image).
        var segments = new int[n][];
        var counts = new int[n][];
        var hidden = new float[n][];
        var masks = new byte[n][];
        Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellationToken }, r =>
        {
            var image = images.Row(r);
            var labels = segments[r] = Segment(image);
            int s = labels.Max() + 1;
            var count = counts[r] = new int[s];
            foreach (var l in labels) count[l]++;
            var fill = hidden[r] = new float[m];
            if (_options.HideValue is { } value) Array.Fill(fill, (float)value);
            else
            {
                var sums = new double[s * _channels];
                for (int p = 0; p < plane; p++)
                    for (int c = 0; c < _channels; c++) sums[labels[p] * _channels + c] += image[c * plane + p];
                for (int p = 0; p < plane; p++)
                    for (int c = 0; c < _channels; c++) fill[c * plane + p] = (float)(sums[labels[p] * _channels + c] / count[labels[p]]);
            }
            var random = new Random(Statistics.DeriveSeed(_options.Seed, r));
            var mask = masks[r] = new byte[samples * s];
            Array.Fill(mask, (byte)1, 0, s);
            for (int i = s; i < mask.Length; i++) mask[i] = (byte)random.Next(2);
        });

        var outputs = evaluator.Evaluate((long)n * samples, (first, count, dest) =>
        {
            for (int i = 0; i < count; i++)
            {
                long index = first + i;
                int r = (int)(index / samples), sample = (int)(index % samples);
                var image = images.Row(r);
                var labels = segments[r];
                int s = counts[r].Length;
                var mask = masks[r].AsSpan(sample * s, s);
                var row = dest.Slice(i * m, m);
                for (int c = 0; c < _channels; c++)
                {
                    int offset = c * plane;
                    for (int p = 0; p < plane; p++) row[offset + p] = mask[labels[p]] != 0 ? image[offset + p] : hidden[r][offset + p];
                }
            }
        });

        var values = new double[n * m * t];
        var intercepts = new double[n * t];
        var fidelity = new double[n * t];
        var superpixels = new int[n];
        Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellationToken }, r =>
        {
            int s = counts[r].Length;
            superpixels[r] = s;
            var z = new double[samples * s];
            var weights = new double[samples];
            for (int i = 0; i < samples; i++)
            {
                int on = 0;
                for (int j = 0; j < s; j++) { z[i * s + j] = masks[r][i * s + j]; on += masks[r][i * s + j]; }
                double d = 1 - Math.Sqrt(on / (double)s); // cosine distance to the all-on vector
                weights[i] = Math.Sqrt(Math.Exp(-d * d / (_options.KernelWidth * _options.KernelWidth)));
            }
            var y = new double[samples * t];
            for (int i = 0; i < samples; i++)
                for (int q = 0; q < t; q++)
                {
                    int output = rowTargets?[r] ?? targets[q];
                    y[i * t + q] = outputs[((long)r * samples + i) * k + output];
                }
            var regression = WeightedRegression.Create(z, samples, s, y, t, weights);
            var all = Enumerable.Range(0, s).ToArray();
            var wholeImage = new double[s]; // the explained image's own representation: every superpixel on
            Array.Fill(wholeImage, 1.0);
            for (int q = 0; q < t; q++)
            {
                var subset = _options.FeatureCount is { } kk && kk < s ? regression.HighestWeights(kk, q, wholeImage) : all;
                var fit = regression.Fit(subset, q, _options.Ridge);
                intercepts[r * t + q] = fit.Intercept;
                fidelity[r * t + q] = fit.RSquared;
                for (int c = 0; c < _channels; c++)
                    for (int p = 0; p < plane; p++)
                    {
                        int label = segments[r][p];
                        values[((long)r * m + c * plane + p) * t + q] = fit.Coefficients[label] / (counts[r][label] * (double)_channels);
                    }
            }
        });

        var baseValues = new double[t];
        for (int q = 0; q < t; q++) baseValues[q] = Enumerable.Range(0, n).Average(r => intercepts[r * t + q]);
        var predicted = new double[n * t];
        double additivity = 0;
        for (int r = 0; r < n; r++)
            for (int q = 0; q < t; q++)
            {
                predicted[r * t + q] = predictions[r * k + (rowTargets?[r] ?? targets[q])];
                // Each image against its own surrogate: its own intercept, not the mean over images.
                double sum = intercepts[r * t + q];
                for (int j = 0; j < m; j++) sum += values[((long)r * m + j) * t + q];
                additivity = Math.Max(additivity, Math.Abs(sum - predicted[r * t + q]));
            }
        string Join(IEnumerable<double> v) => string.Join(",", v.Select(x => x.ToString("G6", CultureInfo.InvariantCulture)));
        return new AttributionExplanation
        {
            Method = MethodName,
            FeatureNames = images.FeatureNames,
            OutputNames = rowTargets is null ? targets.Select(o => _model.OutputNames[o]).ToImmutableArray() : ["predicted"],
            Targets = targets,
            Data = images,
            Values = ImmutableArray.Create(values),
            BaseValues = baseValues.ToImmutableArray(),
            Predictions = ImmutableArray.Create(predicted),
            InputShape = [_channels, _height, _width],
            RowTargets = rowTargets is null ? ImmutableArray<int>.Empty : rowTargets.ToImmutableArray(),
            AdditivityError = additivity,
            Elapsed = stopwatch.Elapsed,
            ModelEvaluations = evaluator.Evaluations,
            Details = ImmutableDictionary<string, string>.Empty
                .Add("segmentation", _options.Segmentation == Segmentation.Slic ? $"slic ({_options.Superpixels} aimed at, compactness {_options.Compactness.ToString(CultureInfo.InvariantCulture)})" : "grid")
                .Add("superpixels", string.Join(",", superpixels))
                .Add("samples", samples.ToString(CultureInfo.InvariantCulture))
                .Add("kernelWidth", _options.KernelWidth.ToString("G6", CultureInfo.InvariantCulture))
                .Add("distance", "cosine distance of the on/off vector to all-on")
                .Add("hide", _options.HideValue is { } h ? h.ToString("G6", CultureInfo.InvariantCulture) : "superpixel mean")
                .Add("fidelity", Join(fidelity))
                .Add("intercepts", Join(intercepts))
                .Add("values", "superpixel weight spread evenly over its pixels and channels"),
        };
    }
}
