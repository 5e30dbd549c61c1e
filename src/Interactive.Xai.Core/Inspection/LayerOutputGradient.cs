using System.Collections.Immutable;

namespace Interactive.Xai.Inspection;

/// <summary>
/// The gradient of a network's output with respect to an inner layer's output (its activation), per input row:
/// d output[target] / d activation, for a layer whose output is C × H × W feature maps (a convolution, or any layer
/// after one). Where the gradient is large, a change of that feature map changes the output most. Drawn as an image
/// per row: the channel-summed magnitude Σ_c |g_c| (at the layer's resolution, or upsampled to the input's), and per
/// channel for one row.
/// </summary>
public sealed record LayerOutputGradient
{
    /// <summary>The layer's path in the module tree, for example "conv2".</summary>
    public required string Layer { get; init; }

    /// <summary>The layer's type, for example "Conv2d".</summary>
    public required string LayerType { get; init; }

    /// <summary>The shape of one input row, for example [1, 8, 8].</summary>
    public required ImmutableArray<int> InputShape { get; init; }

    /// <summary>The input rows, row-major (rows × the product of <see cref="InputShape"/>).</summary>
    public required ImmutableArray<float> Inputs { get; init; }

    /// <summary>The shape of the layer's output for one row: [C, H, W].</summary>
    public required ImmutableArray<int> Shape { get; init; }

    /// <summary>The output (class) differentiated, per row.</summary>
    public required ImmutableArray<int> Targets { get; init; }

    /// <summary>The names of the outputs, when known (indexed by <see cref="Targets"/>).</summary>
    public ImmutableArray<string> OutputNames { get; init; } = [];

    /// <summary>The network's output value differentiated, per row.</summary>
    public required ImmutableArray<double> OutputValues { get; init; }

    /// <summary>The gradients, row-major: rows × C × H × W.</summary>
    public required ImmutableArray<float> Values { get; init; }

    /// <summary>The number of rows.</summary>
    public int RowCount => Targets.Length;

    /// <summary>The number of channels C.</summary>
    public int Channels => Shape[0];

    /// <summary>The feature maps' height H.</summary>
    public int Height => Shape[1];

    /// <summary>The feature maps' width W.</summary>
    public int Width => Shape[2];

    /// <summary>The gradient of one channel of one row: H × W values, row-major.</summary>
    public float[] Channel(int row, int channel)
    {
        CheckRow(row);
        if (channel < 0 || channel >= Channels) throw new XaiException($"channel {channel} is out of range: the layer has {Channels} channels");
        int size = Height * Width;
        return Values.AsSpan().Slice((row * Channels + channel) * size, size).ToArray();
    }

    /// <summary>The channel-summed magnitude Σ_c |g_c(y, x)| of one row at the layer's resolution: H × W values, row-major.</summary>
    public double[] Magnitude(int row)
    {
        CheckRow(row);
        int size = Height * Width;
        var sum = new double[size];
        var values = Values.AsSpan().Slice(row * Channels * size, Channels * size);
        for (int c = 0; c < Channels; c++)
            for (int i = 0; i < size; i++) sum[i] += Math.Abs(values[c * size + i]);
        return sum;
    }

    /// <summary>
    /// <see cref="Magnitude"/> resized to the input's height and width by bilinear interpolation with half-pixel
    /// centres (libtorch's interpolate with align_corners false), so it can be laid over the input image.
    /// </summary>
    public double[] UpsampledMagnitude(int row)
    {
        if (InputShape.Length != 3) throw new XaiException($"the input is not an image (shape [{string.Join(", ", InputShape)}]); upsampling needs a C x H x W input");
        return Bilinear(Magnitude(row), Height, Width, InputShape[1], InputShape[2]);
    }

    /// <summary>Bilinear resizing of an h × w map to outH × outW with half-pixel centres, edges clamped.</summary>
    public static double[] Bilinear(IReadOnlyList<double> map, int h, int w, int outH, int outW)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (map.Count != h * w) throw new XaiException($"a {h} x {w} map needs {h * w} values, got {map.Count}");
        var result = new double[outH * outW];
        double scaleY = (double)h / outH, scaleX = (double)w / outW;
        for (int y = 0; y < outH; y++)
        {
            double sy = Math.Max(0, (y + 0.5) * scaleY - 0.5);
            int y0 = Math.Min((int)sy, h - 1), y1 = Math.Min(y0 + 1, h - 1);
            double fy = sy - y0;
            for (int x = 0; x < outW; x++)
            {
                double sx = Math.Max(0, (x + 0.5) * scaleX - 0.5);
                int x0 = Math.Min((int)sx, w - 1), x1 = Math.Min(x0 + 1, w - 1);
                double fx = sx - x0;
                result[y * outW + x] = (1 - fy) * ((1 - fx) * map[y0 * w + x0] + fx * map[y0 * w + x1])
                    + fy * ((1 - fx) * map[y1 * w + x0] + fx * map[y1 * w + x1]);
            }
        }
        return result;
    }

    /// <summary>The name of row <paramref name="row"/>'s target output.</summary>
    public string TargetName(int row)
    {
        CheckRow(row);
        int t = Targets[row];
        return t < OutputNames.Length ? OutputNames[t] : $"output {t}";
    }

    private void CheckRow(int row)
    {
        if (row < 0 || row >= RowCount) throw new XaiException($"row {row} is out of range: the gradient has {RowCount} rows");
    }
}
