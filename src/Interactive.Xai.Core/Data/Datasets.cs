using System.IO.Compression;
using System.Text;

namespace Interactive.Xai;

/// <summary>A shipped dataset: its features and its label column.</summary>
/// <param name="Name">The dataset's name.</param>
/// <param name="Features">The feature columns.</param>
/// <param name="LabelName">The label column's name.</param>
/// <param name="Labels">The label of each row (a number for regression, a class index for classification).</param>
public sealed record Dataset(string Name, FeatureTable Features, string LabelName, float[] Labels);

/// <summary>
/// Small public datasets shipped inside the library (scikit-learn's bundled copies), for demos and tests.
/// They need no network.
/// </summary>
public static class Datasets
{
    /// <summary>Diabetes progression (442 rows, 10 features, regression target), unscaled.</summary>
    public static Dataset Diabetes() => Load("diabetes", "target");

    /// <summary>Wine recognition (178 rows, 13 features, 3 classes).</summary>
    public static Dataset Wine() => Load("wine", "class");

    /// <summary>Iris (150 rows, 4 features, 3 classes).</summary>
    public static Dataset Iris() => Load("iris", "species");

    /// <summary>Handwritten digits (1797 rows of 8x8 pixels in 0..16, 10 classes).</summary>
    public static Dataset Digits() => Load("digits", "digit");

    private static Dataset Load(string name, string label)
    {
        var assembly = typeof(Datasets).Assembly;
        using var stream = assembly.GetManifestResourceStream($"Interactive.Xai.Datasets.{name}.csv.gz")
            ?? throw new InvalidOperationException($"dataset {name} is not embedded in {assembly.GetName().Name}");
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        var table = CsvTableReader.Parse(reader, name + ".csv");
        var (features, labels) = table.SplitColumn(label);
        return new Dataset(name, features, label, labels);
    }
}
