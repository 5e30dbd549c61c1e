using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using Interactive.Xai.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Xunit.Abstractions;

namespace Interactive.Xai.Cluster.Tests;

/// <summary>Two worker processes shared by the tests of one class.</summary>
public sealed class TwoWorkers : IDisposable
{
    private readonly Workers _workers = Workers.Start(2);
    private readonly Lazy<IHost> _client;

    /// <summary>Starts the workers; the client connects on first use.</summary>
    public TwoWorkers() => _client = new(() => ClusterJob.ConnectAsync(_workers.Address).GetAwaiter().GetResult());

    /// <summary>The gateways, as --cluster takes them.</summary>
    public string Address => _workers.Address;

    /// <summary>A connected client.</summary>
    public IClusterClient Client => _client.Value.Services.GetRequiredService<IClusterClient>();

    /// <inheritdoc />
    public void Dispose()
    {
        if (_client.IsValueCreated) _client.Value.Dispose();
        _workers.Dispose();
    }
}

/// <summary>
/// Every method a cluster runs gives, for partitions of 1, 37 and 300 rows and the whole table, the in-process result
/// bit for bit (every public number of the explanation compared by its bits).
/// </summary>
public class ClusterMethodsTests(TwoWorkers workers, ITestOutputHelper log) : IClassFixture<TwoWorkers>
{
    private static string ModelPath(string name) => Path.Combine(AppContext.BaseDirectory, "models", name);

    private static readonly int[] PartitionSizes = [1, 37, 300, 100_000];

    // A regression label the model does not fit exactly (so losses are not zero) and that is not a whole number.
    private static float[] Labels(FeatureTable data)
    {
        var labels = new float[data.RowCount];
        for (int r = 0; r < labels.Length; r++) labels[r] = 0.01f * data[r, 2] * data[r, 3] + 0.3f * data[r, 8] - 0.001f * data[r, 4];
        return labels;
    }

    private async Task AssertClusterEqualsInProcess(string modelName, FeatureTable data, ExplanationRequest request, ExplanationInputs? inputs = null,
        int[]? inputShape = null)
    {
        using var loaded = ModelFiles.Load(ModelPath(modelName), null, inputShape);
        var inProcess = new ExplanationRunner().Run(loaded.Model, data, request, inputs);
        foreach (int rows in PartitionSizes)
        {
            var job = ClusterJob.Prepare(ModelPath(modelName), loaded.Model, data, request, inputs, new ModelFileOptions { InputShape = inputShape });
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var clustered = await ClusterJob.ExplainAsync(workers.Client, job, loaded.Model, data, inputs,
                new ClusterJobOptions { RowsPerPartition = rows }, null, limit.Token);
            log.WriteLine($"{request.Method}: {rows} rows per partition, {clock.Elapsed.TotalSeconds:F1} s");
            AssertSame(inProcess, clustered, $"{request.Method} with {rows} rows per partition");
        }
    }

    /// <summary>Every public property, recursively, with doubles compared by their bits (only the elapsed time may differ).</summary>
    internal static void AssertSame(object expected, object actual, string context)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        foreach (var property in expected.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.Name is "Elapsed" or "EqualityContract") continue;
            Compare(property.GetValue(expected), property.GetValue(actual), $"{context}: {property.Name}");
        }
    }

    private static void Compare(object? a, object? b, string path)
    {
        if (a is null || b is null)
        {
            Assert.True(a is null && b is null, $"{path}: one is null");
            return;
        }
        switch (a)
        {
            case double x:
                double y = (double)b;
                if (BitConverter.DoubleToInt64Bits(x) != BitConverter.DoubleToInt64Bits(y)) Assert.Fail($"{path}: {y:R}, expected {x:R} (bit for bit)");
                return;
            case float f:
                if (BitConverter.SingleToInt32Bits(f) != BitConverter.SingleToInt32Bits((float)b)) Assert.Fail($"{path}: {b:R}, expected {f:R}");
                return;
            case string or int or long or bool or Enum or TimeSpan:
                Assert.True(a.Equals(b), $"{path}: {b}, expected {a}");
                return;
            case FeatureTable table:
                var other = (FeatureTable)b;
                Assert.Equal(table.FeatureNames.ToArray(), other.FeatureNames.ToArray());
                Compare(table.Values.ToArray(), other.Values.ToArray(), $"{path}.Values");
                return;
            case IDictionary dictionary:
                var second = (IDictionary)b;
                Assert.Equal(dictionary.Count, second.Count);
                foreach (DictionaryEntry entry in dictionary) Compare(entry.Value, second[entry.Key], $"{path}[{entry.Key}]");
                return;
        }
        var type = a.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
        {
            bool defaultA = (bool)type.GetProperty("IsDefault")!.GetValue(a)!, defaultB = (bool)type.GetProperty("IsDefault")!.GetValue(b)!;
            Assert.True(defaultA == defaultB, $"{path}: one array is default");
            if (defaultA) return;
        }
        if (a is IEnumerable sequence)
        {
            var left = sequence.Cast<object?>().ToList();
            var right = ((IEnumerable)b).Cast<object?>().ToList();
            Assert.True(left.Count == right.Count, $"{path}: {right.Count} items, expected {left.Count}");
            for (int i = 0; i < left.Count; i++) Compare(left[i], right[i], $"{path}[{i}]");
            return;
        }
        Assert.Fail($"{path}: cannot compare {type.Name}");
    }

    [Theory]
    [InlineData("mse")]
    [InlineData("r2")]
    [InlineData("mae")]
    public async Task PermutationImportance_AnyPartitioning_IdenticalToInProcess(string metric)
    {
        var data = ClusterJobTests.DiabetesLikeRows(301, seed: 21);
        var request = new ExplanationRequest { Method = "permutation-importance", Metric = metric, Repeats = 3, Seed = 8 };
        await AssertClusterEqualsInProcess("mlp10.onnx", data, request, new ExplanationInputs { Labels = Labels(data) });
    }

    [Theory]
    [InlineData("pdp", 100)]
    [InlineData("ice", null)]
    public async Task PartialDependenceAndIce_AnyPartitioning_IdenticalToInProcess(string method, int? iceCurves)
    {
        var data = ClusterJobTests.DiabetesLikeRows(301, seed: 22);
        var request = new ExplanationRequest { Method = method, Feature = "bmi", GridPoints = 7, MaxIceCurves = iceCurves };
        await AssertClusterEqualsInProcess("mlp10.onnx", data, request);
    }

    [Fact]
    public async Task TwoFeaturePartialDependence_AnyPartitioning_IdenticalToInProcess()
    {
        var data = ClusterJobTests.DiabetesLikeRows(301, seed: 23);
        var request = new ExplanationRequest { Method = "pdp", Feature = "bmi,s5", GridPoints = 4 };
        await AssertClusterEqualsInProcess("mlp10.onnx", data, request);
    }

    [Fact]
    public async Task Ale_AnyPartitioning_IdenticalToInProcess()
    {
        var data = ClusterJobTests.DiabetesLikeRows(301, seed: 24);
        var request = new ExplanationRequest { Method = "ale", Feature = "bp", Bins = 9 };
        await AssertClusterEqualsInProcess("mlp10.onnx", data, request);
    }

    [Fact]
    public async Task Lime_AnyPartitioning_IdenticalToInProcess()
    {
        var data = ClusterJobTests.DiabetesLikeRows(301, seed: 25);
        var request = new ExplanationRequest { Method = "lime", Samples = 200, LimeFeatures = 4, Seed = 3 };
        await AssertClusterEqualsInProcess("mlp10.onnx", data, request, new ExplanationInputs { Reference = ClusterJobTests.DiabetesLikeRows(500, seed: 26) });
    }

    /// <summary>
    /// Integrated Gradients on a TorchScript model: the attributions are identical bit for bit, but the predictions
    /// f(x) and f(x') (and so the convergence deltas, and base values averaged over them) are not: libtorch's forward
    /// pass without gradients picks kernels by the batch's size, so a row evaluated in a smaller batch (a partition)
    /// can differ in the last bits of float32 (seen: 131.29483 against 131.29486, two float ulps). Those agree with
    /// the in-process run's to float32 rounding of the model.
    /// </summary>
    [Theory]
    [InlineData("zeros", "0")]
    [InlineData("mean", "all")]
    public async Task IntegratedGradients_AnyPartitioning_EqualToInProcessWithinFloatRounding(string baseline, string target)
    {
        var data = ClusterJobTests.DiabetesLikeRows(301, seed: 27);
        var request = new ExplanationRequest { Method = "ig", Baseline = baseline, Target = target, Steps = 16 };
        int[] shape = [10];
        using var loaded = ModelFiles.Load(ModelPath("diabetes_mlp.pt"), null, shape);
        var inProcess = (AttributionExplanation)new ExplanationRunner().Run(loaded.Model, data, request);
        foreach (int rows in PartitionSizes)
        {
            var job = ClusterJob.Prepare(ModelPath("diabetes_mlp.pt"), loaded.Model, data, request, null, new ModelFileOptions { InputShape = shape });
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            var clustered = (AttributionExplanation)await ClusterJob.ExplainAsync(workers.Client, job, loaded.Model, data, null,
                new ClusterJobOptions { RowsPerPartition = rows }, null, limit.Token);
            Assert.Equal(inProcess.Targets.ToArray(), clustered.Targets.ToArray());
            Assert.Equal(inProcess.Details, clustered.Details);
            Compare(inProcess.Values, clustered.Values, $"ig with {rows} rows per partition: values");
            // The scale: the largest prediction; float32 carries about 7 digits of it.
            double scale = inProcess.Predictions.Max(Math.Abs), tolerance = 1e-5 * scale;
            foreach (var (name, a, b) in new[] { ("values", inProcess.Values, clustered.Values), ("predictions", inProcess.Predictions, clustered.Predictions),
                ("base values", inProcess.BaseValues, clustered.BaseValues), ("deltas", inProcess.ConvergenceDeltas, clustered.ConvergenceDeltas) })
            {
                Assert.Equal(a.Length, b.Length);
                double worst = a.Zip(b, (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();
                int differing = a.Zip(b, (x, y) => BitConverter.DoubleToInt64Bits(x) != BitConverter.DoubleToInt64Bits(y)).Count(d => d);
                log.WriteLine($"ig, {rows} rows per partition, {name}: {differing} of {a.Length} differ in their bits, largest difference {worst:G3} (scale {scale:G4})");
                Assert.True(worst <= tolerance, $"{name}: largest difference {worst:G3} > {tolerance:G3}");
            }
        }
    }
}
