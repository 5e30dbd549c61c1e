namespace Interactive.Xai.Torch.Tests;

/// <summary>
/// Layers in float64 by direct loops, independent of libtorch: forward passes and the gradient of Σ g·layer(x) with
/// respect to x (NCHW, row-major). The reference the gradient tests compare libtorch against; its own gradients are
/// checked against central finite differences of its forward passes.
/// </summary>
internal static class Float64Reference
{
    /// <summary>A 2-D convolution, stride 1, zero padding <paramref name="pad"/> on each side.</summary>
    public sealed record Conv(int InChannels, int OutChannels, int Kernel, int Pad, double[] Weight, double[] Bias)
    {
        public int OutSize(int size) => size + 2 * Pad - Kernel + 1;

        public double[] Forward(double[] x, int batch, int h, int w)
        {
            int ho = OutSize(h), wo = OutSize(w);
            var y = new double[batch * OutChannels * ho * wo];
            for (int b = 0; b < batch; b++)
            for (int o = 0; o < OutChannels; o++)
            for (int i = 0; i < ho; i++)
            for (int j = 0; j < wo; j++)
            {
                double sum = Bias[o];
                for (int c = 0; c < InChannels; c++)
                for (int p = 0; p < Kernel; p++)
                for (int q = 0; q < Kernel; q++)
                {
                    int r = i + p - Pad, s = j + q - Pad;
                    if (r < 0 || r >= h || s < 0 || s >= w) continue;
                    sum += x[((b * InChannels + c) * h + r) * w + s] * Weight[((o * InChannels + c) * Kernel + p) * Kernel + q];
                }
                y[((b * OutChannels + o) * ho + i) * wo + j] = sum;
            }
            return y;
        }

        /// <summary>dL/dx given dL/dy; <paramref name="absoluteTerms"/> (when not null) receives Σ |g·w| per input, for rounding bounds.</summary>
        public double[] InputGradient(double[] gy, int batch, int h, int w, double[]? absoluteTerms = null)
        {
            int ho = OutSize(h), wo = OutSize(w);
            var gx = new double[batch * InChannels * h * w];
            for (int b = 0; b < batch; b++)
            for (int o = 0; o < OutChannels; o++)
            for (int i = 0; i < ho; i++)
            for (int j = 0; j < wo; j++)
            {
                double g = gy[((b * OutChannels + o) * ho + i) * wo + j];
                for (int c = 0; c < InChannels; c++)
                for (int p = 0; p < Kernel; p++)
                for (int q = 0; q < Kernel; q++)
                {
                    int r = i + p - Pad, s = j + q - Pad;
                    if (r < 0 || r >= h || s < 0 || s >= w) continue;
                    int at = ((b * InChannels + c) * h + r) * w + s;
                    double term = g * Weight[((o * InChannels + c) * Kernel + p) * Kernel + q];
                    gx[at] += term;
                    if (absoluteTerms is not null) absoluteTerms[at] += Math.Abs(term);
                }
            }
            return gx;
        }
    }

    /// <summary>2x2 max pooling, stride 2 (sizes even).</summary>
    public static double[] MaxPool(double[] x, int batchChannels, int h, int w, out int[] argMax)
    {
        int ho = h / 2, wo = w / 2;
        var y = new double[batchChannels * ho * wo];
        argMax = new int[y.Length];
        for (int n = 0; n < batchChannels; n++)
        for (int i = 0; i < ho; i++)
        for (int j = 0; j < wo; j++)
        {
            int best = (n * h + 2 * i) * w + 2 * j;
            for (int p = 0; p < 2; p++)
            for (int q = 0; q < 2; q++)
            {
                int at = (n * h + 2 * i + p) * w + 2 * j + q;
                if (x[at] > x[best]) best = at;
            }
            int o = (n * ho + i) * wo + j;
            y[o] = x[best];
            argMax[o] = best;
        }
        return y;
    }

    public static double[] MaxPoolInputGradient(double[] gy, int[] argMax, int inputLength)
    {
        var gx = new double[inputLength];
        for (int o = 0; o < gy.Length; o++) gx[argMax[o]] += gy[o];
        return gx;
    }

    /// <summary>2x2 average pooling, stride 2 (sizes even).</summary>
    public static double[] AvgPool(double[] x, int batchChannels, int h, int w)
    {
        int ho = h / 2, wo = w / 2;
        var y = new double[batchChannels * ho * wo];
        for (int n = 0; n < batchChannels; n++)
        for (int i = 0; i < ho; i++)
        for (int j = 0; j < wo; j++)
        {
            double sum = 0;
            for (int p = 0; p < 2; p++)
            for (int q = 0; q < 2; q++)
                sum += x[(n * h + 2 * i + p) * w + 2 * j + q];
            y[(n * ho + i) * wo + j] = sum / 4;
        }
        return y;
    }

    public static double[] AvgPoolInputGradient(double[] gy, int batchChannels, int h, int w)
    {
        int ho = h / 2, wo = w / 2;
        var gx = new double[batchChannels * h * w];
        for (int n = 0; n < batchChannels; n++)
        for (int i = 0; i < ho; i++)
        for (int j = 0; j < wo; j++)
        for (int p = 0; p < 2; p++)
        for (int q = 0; q < 2; q++)
            gx[(n * h + 2 * i + p) * w + 2 * j + q] = gy[(n * ho + i) * wo + j] / 4;
        return gx;
    }

    /// <summary>y = x Wᵀ + b with W [out, in].</summary>
    public static double[] Linear(double[] x, int batch, int inputs, int outputs, double[] weight, double[] bias)
    {
        var y = new double[batch * outputs];
        for (int b = 0; b < batch; b++)
        for (int o = 0; o < outputs; o++)
        {
            double sum = bias[o];
            for (int i = 0; i < inputs; i++) sum += x[b * inputs + i] * weight[o * inputs + i];
            y[b * outputs + o] = sum;
        }
        return y;
    }

    public static double[] LinearInputGradient(double[] gy, int batch, int inputs, int outputs, double[] weight)
    {
        var gx = new double[batch * inputs];
        for (int b = 0; b < batch; b++)
        for (int o = 0; o < outputs; o++)
        {
            double g = gy[b * outputs + o];
            for (int i = 0; i < inputs; i++) gx[b * inputs + i] += g * weight[o * inputs + i];
        }
        return gx;
    }

    public static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>
    /// The digits CNN of tests/models/make_torch_models.py in float64: x/16 → conv1 (1→8, 3x3, pad 1) → ReLU → 2x2 max
    /// pool → conv2 (8→16, 3x3, pad 1) → ReLU → flatten → fc (256→10) → softmax.
    /// </summary>
    public sealed record DigitsCnn(Conv Conv1, Conv Conv2, double[] FcWeight, double[] FcBias)
    {
        public static DigitsCnn FromParameters(IReadOnlyDictionary<string, double[]> p)
            => new(new Conv(1, 8, 3, 1, p["conv1.weight"], p["conv1.bias"]), new Conv(8, 16, 3, 1, p["conv2.weight"], p["conv2.bias"]),
                p["fc.weight"], p["fc.bias"]);

        /// <summary>Probabilities [batch, 10], and when <paramref name="targets"/> is given, d probability[target] / d x per row [batch, 64].</summary>
        public (double[] Probabilities, double[]? Gradients) Run(double[] x, int batch, int[]? targets = null)
        {
            var scaled = x.Select(v => v / 16).ToArray();
            var a1 = Conv1.Forward(scaled, batch, 8, 8);
            var r1 = a1.Select(v => Math.Max(v, 0)).ToArray();
            var p1 = MaxPool(r1, batch * 8, 8, 8, out var argMax);
            var a2 = Conv2.Forward(p1, batch, 4, 4);
            var r2 = a2.Select(v => Math.Max(v, 0)).ToArray();
            var logits = Linear(r2, batch, 256, 10, FcWeight, FcBias);
            var probabilities = new double[batch * 10];
            for (int b = 0; b < batch; b++)
            {
                double max = Enumerable.Range(0, 10).Max(k => logits[b * 10 + k]), sum = 0;
                for (int k = 0; k < 10; k++) sum += probabilities[b * 10 + k] = Math.Exp(logits[b * 10 + k] - max);
                for (int k = 0; k < 10; k++) probabilities[b * 10 + k] /= sum;
            }
            if (targets is null) return (probabilities, null);
            // d p_t / d logit_k = p_t (δ_tk − p_k)
            var gLogits = new double[batch * 10];
            for (int b = 0; b < batch; b++)
            {
                double pt = probabilities[b * 10 + targets[b]];
                for (int k = 0; k < 10; k++) gLogits[b * 10 + k] = pt * ((k == targets[b] ? 1 : 0) - probabilities[b * 10 + k]);
            }
            var gR2 = LinearInputGradient(gLogits, batch, 256, 10, FcWeight);
            var gA2 = gR2.Select((g, i) => a2[i] > 0 ? g : 0).ToArray();
            var gP1 = Conv2.InputGradient(gA2, batch, 4, 4);
            var gR1 = MaxPoolInputGradient(gP1, argMax, r1.Length);
            var gA1 = gR1.Select((g, i) => a1[i] > 0 ? g : 0).ToArray();
            var gScaled = Conv1.InputGradient(gA1, batch, 8, 8);
            return (probabilities, gScaled.Select(g => g / 16).ToArray());
        }
    }
}
