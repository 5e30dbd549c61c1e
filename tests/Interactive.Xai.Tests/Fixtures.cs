using System.Runtime.CompilerServices;
using Interactive.Xai.Notebook;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Interactive.Xai.Tests;

/// <summary>Models with analytic answers, data, and a dispatcher driven by a dictionary of variables.</summary>
internal static class Fixtures
{
    public const string XssName = "<img src=x onerror=alert(1)>";

    public static readonly float[] Weights = [2f, -1f, 0f, 0.5f];
    public static readonly string[] Names = ["a", "b", "c", "d"];

    public static string ModelPath(string name) => Path.Combine(AppContext.BaseDirectory, "models", name);

    /// <summary>Rows of uniform(-1, 1) values, seeded.</summary>
    public static FeatureTable Table(int rows, int seed = 1, IReadOnlyList<string>? names = null)
    {
        names ??= Names;
        var random = new Random(seed);
        var values = new float[rows, names.Count];
        for (int r = 0; r < rows; r++)
            for (int f = 0; f < names.Count; f++) values[r, f] = (float)(random.NextDouble() * 2 - 1);
        return FeatureTable.FromArray(values, names);
    }

    /// <summary>y = 2a - b + 0c + 0.5d + 0.5, with named features.</summary>
    public static DelegateModel Linear() => DelegateModel.Linear(Weights, 0.5f, Names);

    /// <summary>A dataset whose label is the linear model's output.</summary>
    public static Dataset LinearDataset(int rows = 200)
    {
        var table = Table(rows, 3);
        return new Dataset("linear", table, "y", Linear().Predict(table));
    }

    public static Dictionary<string, object?> Variables() => new()
    {
        ["model"] = Linear(),
        ["data"] = Table(60, 2),
        ["ds"] = LinearDataset(),
        ["number"] = 42,
        ["nothing"] = null,
    };

    public static (MagicCommandResult Result, List<object> Shown) Run(string line, Dictionary<string, object?>? variables = null,
        MagicCommandDispatcher? dispatcher = null, IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var shown = new List<object>();
        var result = (dispatcher ?? new MagicCommandDispatcher()).Execute(line, new VariableSource(variables ?? Variables()), shown.Add, progress, cancellationToken);
        return (result, shown);
    }

    /// <summary>Asserts a one-line error naming <paramref name="mention"/>, with no stack trace.</summary>
    public static void AssertOneLineError(MagicCommandResult result, List<object> shown, string mention)
    {
        Assert.False(result.Succeeded);
        Assert.NotNull(result.Error);
        Assert.DoesNotContain('\n', result.Error);
        Assert.DoesNotContain(" at ", result.Error);
        Assert.DoesNotContain("Exception:", result.Error);
        Assert.Contains(mention, result.Error);
        var error = Assert.IsType<MagicCommandError>(Assert.Single(shown));
        Assert.Equal(result.Error, error.Message);
    }
}

/// <summary>Counts the rows a model is asked to evaluate.</summary>
internal sealed class CountingModel(IModel inner) : IModel
{
    private long _rows;

    public long Rows => Interlocked.Read(ref _rows);
    public int FeatureCount => inner.FeatureCount;
    public IReadOnlyList<string>? FeatureNames => inner.FeatureNames;
    public IReadOnlyList<string> OutputNames => inner.OutputNames;
    public bool IsThreadSafe => inner.IsThreadSafe;

    public void Predict(ReadOnlySpan<float> inputs, int rowCount, Span<float> outputs)
    {
        Interlocked.Add(ref _rows, rowCount);
        inner.Predict(inputs, rowCount, outputs);
    }
}
