using System.Runtime.InteropServices;
using System.Text.Json;
using TorchSharp;
using Xunit.Abstractions;

namespace Interactive.Xai.Torch.Tests;

/// <summary>
/// The committed digits_cnn.pt through <see cref="TorchModel"/>: input gradients against PyTorch 1.13's
/// (tests/models/digits_cnn_gradients.json, made by make_gradient_reference.py) and against the same network in
/// float64 in C# (<see cref="Float64Reference.DigitsCnn"/>), at batch sizes 1, 64 and 512 with 1 and 2 threads;
/// bit-identical repeats; Integrated Gradients' convergence on 256 held-out digits.
/// </summary>
public class DigitsCnnGradientTests(ITestOutputHelper output)
{
    private sealed record Reference(int[] HeldOut, int[] Rows, int[] Targets, float[] Inputs, float[] Outputs, float[] Gradients);

    private static readonly Lazy<Reference> File = new(() =>
    {
        using var json = JsonDocument.Parse(System.IO.File.ReadAllText(TestFiles.PathOf("digits_cnn_gradients.json")));
        var root = json.RootElement;
        var rows = TestFiles.Ints(root, "rows");
        var digits = Datasets.Digits().Features.SelectRows(rows);
        return new Reference(TestFiles.Ints(root, "heldOut"), rows, TestFiles.Ints(root, "targets"), digits.Values.ToArray(),
            Floats(root, "outputs"), Floats(root, "inputGradients"));
    });

    private static float[] Floats(JsonElement root, string property)
        => MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(root.GetProperty(property).GetString()!)).ToArray();

    private static TorchModel LoadModel() => TorchModel.Load(TestFiles.PathOf("digits_cnn.pt"), [1, 8, 8]);

    private static Float64Reference.DigitsCnn Float64Network(TorchModel model)
        => Float64Reference.DigitsCnn.FromParameters(model.Module.named_parameters().ToDictionary(
            p => p.name, p => p.parameter.detach().to(torch.ScalarType.Float64).data<double>().ToArray()));

    private static (float[] Outputs, float[] Gradients) InBatches(TorchModel model, Reference reference, int batch)
    {
        int rows = reference.Rows.Length;
        var outputs = new float[rows * 10];
        var gradients = new float[rows * 64];
        for (int start = 0; start < rows; start += batch)
        {
            int count = Math.Min(batch, rows - start);
            model.PredictWithGradient(reference.Inputs.AsSpan(start * 64, count * 64), count, reference.Targets.AsSpan(start, count),
                outputs.AsSpan(start * 10, count * 10), gradients.AsSpan(start * 64, count * 64));
        }
        return (outputs, gradients);
    }

    private static double RelativeError(ReadOnlySpan<float> actual, IReadOnlyList<double> expected, out int at)
    {
        double worst = 0, scale = 0;
        at = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            if (error > worst || double.IsNaN(error)) (worst, at) = (error, i);
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return worst / scale;
    }

    public static TheoryData<int, int> BatchesAndThreads()
    {
        var data = new TheoryData<int, int>();
        foreach (int batch in new[] { 1, 64, 512 })
            foreach (int threads in new[] { 1, 2 })
                data.Add(batch, threads);
        return data;
    }

    /// <summary>
    /// 512 digits in batches of 1, 64 or 512: outputs and input gradients within 1e-5 (relative to the largest value)
    /// of PyTorch's and of the float64 network's (float32 rounding: PyTorch's own float32 gradients are 8e-7 from
    /// float64 ones; before the fix this machine gave errors of several percent, different in every run).
    /// </summary>
    [Theory]
    [MemberData(nameof(BatchesAndThreads))]
    public void InputGradientsMatchPyTorchAndTheFloat64NetworkAtEveryBatchSizeAndThreadCount(int batch, int threads)
    {
        var reference = File.Value;
        using var model = LoadModel();
        var (outputs, gradients) = LayerGradientTests.WithThreads(threads, () => InBatches(model, reference, batch));
        var (probabilities, exact) = Float64Network(model).Run(reference.Inputs.Select(v => (double)v).ToArray(), reference.Rows.Length, reference.Targets);

        double vsPyTorch = RelativeError(gradients, reference.Gradients.Select(v => (double)v).ToArray(), out int at);
        Assert.True(vsPyTorch <= 1e-5, $"batch {batch}, {threads} thread(s): gradient {at} is {gradients[at]}, PyTorch's {reference.Gradients[at]} (relative {vsPyTorch:G3})");
        double vsFloat64 = RelativeError(gradients, exact!, out at);
        Assert.True(vsFloat64 <= 1e-5, $"batch {batch}, {threads} thread(s): gradient {at} is {gradients[at]}, float64 {exact![at]} (relative {vsFloat64:G3})");
        Assert.True(RelativeError(outputs, reference.Outputs.Select(v => (double)v).ToArray(), out at) <= 1e-5, $"output {at}: {outputs[at]} vs PyTorch's {reference.Outputs[at]}");
        Assert.True(RelativeError(outputs, probabilities, out at) <= 1e-5, $"output {at}: {outputs[at]} vs float64 {probabilities[at]}");
        output.WriteLine($"batch {batch}, {threads} thread(s): relative error {vsPyTorch:G3} vs PyTorch, {vsFloat64:G3} vs float64");
    }

    /// <summary>
    /// The float64 network's gradients themselves against central finite differences of its forward pass. The digits'
    /// integer pixels make exact ties inside max-pool windows (blank patches all give the bias), where the network is not
    /// differentiable and a difference quotient averages two one-sided slopes, so each pixel gets a jitter in [0, 0.01).
    /// </summary>
    [Fact]
    public void TheFloat64NetworksGradientsMatchItsFiniteDifferences()
    {
        var reference = File.Value;
        using var model = LoadModel();
        var network = Float64Network(model);
        var jitter = new Random(7);
        var x = reference.Inputs.Take(8 * 64).Select(v => v + jitter.NextDouble() * 0.01).ToArray();
        var targets = reference.Targets.Take(8).ToArray();
        var (_, gradients) = network.Run(x, 8, targets);
        const double h = 1e-6;  // inputs are 0..16
        double worst = 0, scale = gradients!.Max(Math.Abs);
        for (int i = 0; i < x.Length; i++)
        {
            int row = i / 64;
            var copy = x.AsSpan(row * 64, 64).ToArray();
            copy[i % 64] += h;
            double plus = network.Run(copy, 1).Probabilities[targets[row]];
            copy[i % 64] -= 2 * h;
            double minus = network.Run(copy, 1).Probabilities[targets[row]];
            worst = Math.Max(worst, Math.Abs((plus - minus) / (2 * h) - gradients[i]));
        }
        Assert.True(scale > 1e-4, "the gradients have real values to compare");
        Assert.True(worst <= 1e-4 * scale, $"relative error {worst / scale:G3}");
    }

    /// <summary>The same call 20 times gives bit-identical outputs and gradients (512 digits in one batch).</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TwentyIdenticalCallsGiveBitIdenticalGradients(int threads)
    {
        var reference = File.Value;
        using var model = LoadModel();
        LayerGradientTests.WithThreads(threads, () =>
        {
            var (firstOutputs, firstGradients) = InBatches(model, reference, 512);
            for (int call = 1; call < 20; call++)
            {
                var (outputs, gradients) = InBatches(model, reference, 512);
                Assert.True(firstOutputs.AsSpan().SequenceEqual(outputs), $"call {call + 1}: outputs differ from the first call's");
                Assert.True(firstGradients.AsSpan().SequenceEqual(gradients), $"call {call + 1}: gradients differ from the first call's");
            }
            return 0;
        });
    }

    /// <summary>
    /// Integrated Gradients (zero baseline, Gauss-Legendre) on 256 held-out digits for each one's predicted class: the
    /// largest |convergence delta| shrinks as the steps grow and is below 2e-3 at 1,000 steps (issue 12: correct
    /// gradients give about 0.024 at 50 steps, 0.0085 at 200 and 0.0011 at 1,000; the faulty kernels gave 0.62 at 50).
    /// </summary>
    [Fact]
    public void IntegratedGradientsConvergenceDeltasShrinkWithStepsOn256HeldOutDigits()
    {
        var reference = File.Value;
        using var model = LoadModel();
        var rows = Datasets.Digits().Features.SelectRows(reference.HeldOut.Take(256));
        var largest = new List<double>();
        foreach (int steps in new[] { 50, 200, 1000 })
        {
            var explanation = new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions { Steps = steps }).Explain(rows, OutputTarget.Predicted);
            Assert.DoesNotContain(explanation.Values, double.IsNaN);
            largest.Add(explanation.ConvergenceDeltas.Max(Math.Abs));
            output.WriteLine($"{steps} steps: largest |convergence delta| {largest[^1]:G3}");
        }
        Assert.True(largest[1] < largest[0] && largest[2] < largest[1], "the deltas shrink: " + string.Join(", ", largest.Select(d => d.ToString("G3"))));
        Assert.True(largest[2] < 2e-3, $"largest |convergence delta| at 1,000 steps: {largest[2]:G3}");
    }
}
