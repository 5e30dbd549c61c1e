using System.Numerics.Tensors;

namespace Interactive.Xai.Tests;

/// <summary>
/// A 2-layer ReLU network y = W2 relu(W1 x + b1) + b2 with hand-written backpropagation, seeded random weights.
/// The gradient of output o is W1^T (relu'(W1 x + b1) * W2[o, :]). Also linked into the benchmark project.
/// </summary>
internal sealed class ReluNetwork
{
    private readonly float[] _w1, _b1, _w2, _b2;

    public ReluNetwork(int inputs, int hidden, int outputs, int seed, double inputScale = 1)
    {
        Inputs = inputs;
        Hidden = hidden;
        Outputs = outputs;
        var random = new Random(seed);
        float Normal(double std) => (float)(std * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        _w1 = Enumerable.Range(0, hidden * inputs).Select(_ => Normal(Math.Sqrt(2.0 / inputs) / inputScale)).ToArray();
        _b1 = Enumerable.Range(0, hidden).Select(_ => Normal(0.1)).ToArray();
        _w2 = Enumerable.Range(0, outputs * hidden).Select(_ => Normal(Math.Sqrt(1.0 / hidden))).ToArray();
        _b2 = Enumerable.Range(0, outputs).Select(_ => Normal(0.1)).ToArray();
    }

    public int Inputs { get; }
    public int Hidden { get; }
    public int Outputs { get; }

    public DifferentiableDelegateModel Model(bool isThreadSafe = true) => new(Inputs,
        Enumerable.Range(0, Outputs).Select(o => "y" + o).ToArray(), Forward, ForwardBackward, isThreadSafe: isThreadSafe);

    private void Forward(ReadOnlySpan<float> inputs, int rows, Span<float> outputs)
    {
        Span<float> h = stackalloc float[Hidden];
        for (int r = 0; r < rows; r++) Row(inputs.Slice(r * Inputs, Inputs), h, outputs.Slice(r * Outputs, Outputs));
    }

    private void ForwardBackward(ReadOnlySpan<float> inputs, int rows, ReadOnlySpan<int> indices, Span<float> outputs, Span<float> gradients)
    {
        Span<float> h = stackalloc float[Hidden];
        for (int r = 0; r < rows; r++)
        {
            Row(inputs.Slice(r * Inputs, Inputs), h, outputs.Slice(r * Outputs, Outputs));
            var g = gradients.Slice(r * Inputs, Inputs);
            g.Clear();
            var w2 = _w2.AsSpan(indices[r] * Hidden, Hidden);
            for (int j = 0; j < Hidden; j++)
            {
                if (h[j] <= 0) continue; // relu'(z) = 0 for z <= 0
                TensorPrimitives.MultiplyAdd(_w1.AsSpan(j * Inputs, Inputs), w2[j], g, g);
            }
        }
    }

    private void Row(ReadOnlySpan<float> x, Span<float> h, Span<float> y)
    {
        for (int j = 0; j < Hidden; j++) h[j] = Math.Max(0, TensorPrimitives.Dot(_w1.AsSpan(j * Inputs, Inputs), x) + _b1[j]);
        for (int o = 0; o < Outputs; o++) y[o] = TensorPrimitives.Dot(_w2.AsSpan(o * Hidden, Hidden), h) + _b2[o];
    }
}

/// <summary>Gradient-method test models with closed-form derivatives.</summary>
internal static class GradientTestModels
{
    /// <summary>
    /// Multi-class softmax regression p = softmax(W x + b), W is classes x features (row-major); the gradient of p_o
    /// is p_o (W_o - sum_k p_k W_k).
    /// </summary>
    public static DifferentiableDelegateModel SoftmaxLinear(float[] weights, float[] bias)
    {
        int k = bias.Length, m = weights.Length / k;
        void Probabilities(ReadOnlySpan<float> x, Span<float> p)
        {
            for (int o = 0; o < k; o++) p[o] = TensorPrimitives.Dot(weights.AsSpan(o * m, m), x) + bias[o];
            TensorPrimitives.SoftMax(p, p);
        }
        return DifferentiableDelegateModel.FromRowFunctions(m, Enumerable.Range(0, k).Select(o => "class" + o).ToArray(),
            (x, p) => Probabilities(x, p),
            (x, output, g) =>
            {
                Span<float> p = stackalloc float[k];
                Probabilities(x, p);
                for (int j = 0; j < m; j++)
                {
                    double mean = 0;
                    for (int c = 0; c < k; c++) mean += p[c] * weights[c * m + j];
                    g[j] = (float)(p[output] * (weights[output * m + j] - mean));
                }
            });
    }

    /// <summary>f(x) = sum x_i^2, gradient 2x.</summary>
    public static DifferentiableDelegateModel SumOfSquares(int features) => DifferentiableDelegateModel.FromRowFunctions(features, ["y"],
        (x, y) => y[0] = TensorPrimitives.Dot(x, x),
        (x, _, g) => TensorPrimitives.Multiply(x, 2f, g));

    /// <summary>
    /// f(x) = sum_i c_i x_i^4, gradient 4 c_i x_i^3: along the straight path from 0 the Integrated Gradients integrand
    /// 4 c_i alpha^3 x_i^3 is a cubic in alpha, so 2 Gauss-Legendre nodes integrate it exactly; Riemann sums do not.
    /// </summary>
    public static DifferentiableDelegateModel Quartic(float[] c) => DifferentiableDelegateModel.FromRowFunctions(c.Length, ["y"],
        (x, y) =>
        {
            double s = 0;
            for (int i = 0; i < c.Length; i++) s += c[i] * Math.Pow(x[i], 4);
            y[0] = (float)s;
        },
        (x, _, g) =>
        {
            for (int i = 0; i < c.Length; i++) g[i] = 4 * c[i] * x[i] * x[i] * x[i];
        });

    /// <summary>Central finite differences of output <paramref name="output"/> at <paramref name="x"/>, in double steps on float inputs.</summary>
    public static double[] FiniteDifferences(IModel model, float[] x, int output, float h = 1e-2f)
    {
        int m = x.Length, k = model.OutputCount();
        var result = new double[m];
        var rows = new float[2 * m * m];
        for (int j = 0; j < m; j++)
        {
            x.CopyTo(rows, 2 * j * m);
            x.CopyTo(rows, (2 * j + 1) * m);
            rows[2 * j * m + j] += h;
            rows[(2 * j + 1) * m + j] -= h;
        }
        var outputs = new float[2 * m * k];
        model.Predict(rows, 2 * m, outputs);
        for (int j = 0; j < m; j++)
        {
            double up = outputs[2 * j * k + output], down = outputs[(2 * j + 1) * k + output];
            double step = (double)rows[2 * j * m + j] - rows[(2 * j + 1) * m + j];
            result[j] = (up - down) / step;
        }
        return result;
    }

    /// <summary>The gradient of one output at one row through <see cref="IDifferentiableModel.PredictWithGradient"/>.</summary>
    public static float[] Gradient(IDifferentiableModel model, float[] x, int output)
    {
        var outputs = new float[model.OutputCount()];
        var gradient = new float[x.Length];
        model.PredictWithGradient(x, 1, [output], outputs, gradient);
        return gradient;
    }
}
