using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Interactive.Xai.Cli;

namespace Interactive.Xai.Cluster.Tests;

/// <summary>`xai explain ... --cluster` writes the same JSON and HTML as the in-process run for every method a cluster runs.</summary>
public partial class CliClusterMethodsTests(TwoWorkers workers) : IClassFixture<TwoWorkers>
{
    private static (int Code, string Output, string Error) Xai(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string Model(string name) => Path.Combine(AppContext.BaseDirectory, "models", name);

    // Rows with a label column "target" (not a whole number, not fitted exactly by the model).
    private static string WriteCsv(string folder)
    {
        var table = ClusterJobTests.DiabetesLikeRows(250, seed: 31);
        var path = Path.Combine(folder, "rows.csv");
        using var writer = new StreamWriter(path);
        writer.WriteLine(string.Join(',', table.FeatureNames) + ",target");
        for (int r = 0; r < table.RowCount; r++)
        {
            float label = 0.01f * table[r, 2] * table[r, 3] + 0.3f * table[r, 8];
            writer.WriteLine(string.Join(',', table.Row(r).ToArray().Append(label).Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        }
        return path;
    }

    // The run's duration and Plotly's random chart ids are the only things allowed to differ.
    [GeneratedRegex(@"in \d+\.\d{3} s\.|<td>elapsed</td><td>[0-9.]+ s</td>|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|""elapsedSeconds"":\s*[0-9.eE+-]+")]
    private static partial Regex Volatile();

    [Theory]
    [InlineData("permutation-importance", "--label", "target", "--repeats", "2")]
    [InlineData("permutation-importance", "--label", "target", "--metric", "r2")]
    [InlineData("pdp", "--feature", "bmi", "--grid-points", "6")]
    [InlineData("ice", "--feature", "s5", "--grid-points", "5")]
    [InlineData("pdp", "--feature", "bmi,bp", "--grid-points", "4")]
    [InlineData("ale", "--feature", "bp", "--bins", "6")]
    [InlineData("lime", "--samples", "200", "--rows", "3-40")]
    public void ExplainWithCluster_WritesTheSameJsonAndHtmlAsInProcess(string method, params string[] options)
    {
        var folder = Directory.CreateTempSubdirectory("xai-cluster-cli-").FullName;
        try
        {
            var data = WriteCsv(folder);
            string[] Args(string name) => ["explain", "--model", Model("mlp10.onnx"), "--data", data, "--method", method, .. options,
                "--json", Path.Combine(folder, name + ".json"), "--html", Path.Combine(folder, name + ".html"), "-q"];
            // Labels are a column of --data: permutation importance reads them; other methods leave the column out.
            if (!options.Contains("--label")) options = [.. options, "--label", "target"];
            var local = Xai(Args("local"));
            Assert.True(local.Code == 0, local.Error);
            var cluster = Xai([.. Args("cluster"), "--cluster", workers.Address]);
            Assert.True(cluster.Code == 0, cluster.Error);
            string localJson = File.ReadAllText(Path.Combine(folder, "local.json")), clusterJson = File.ReadAllText(Path.Combine(folder, "cluster.json"));
            using (var parsed = JsonDocument.Parse(localJson)) Assert.True(parsed.RootElement.EnumerateObject().Any());
            Assert.Equal(Volatile().Replace(localJson, "#"), Volatile().Replace(clusterJson, "#"));
            Assert.Equal(Volatile().Replace(File.ReadAllText(Path.Combine(folder, "local.html")), "#"),
                Volatile().Replace(File.ReadAllText(Path.Combine(folder, "cluster.html")), "#"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("pdp")]
    [InlineData("ale", "--feature", "nope")]
    [InlineData("ice", "--feature", "bmi", "--grid-points", "1")]
    [InlineData("lime", "--samples", "1")]
    [InlineData("ig")]
    [InlineData("permutation-importance", "--metric", "auc")]
    public void BadInput_FailsUpFrontWithTheLocalError_WithoutContactingTheCluster(string method, params string[] options)
    {
        var folder = Directory.CreateTempSubdirectory("xai-cluster-cli-").FullName;
        try
        {
            var data = WriteCsv(folder);
            string[] args = ["explain", "--model", Model("mlp10.onnx"), "--data", data, "--label", "target", "--method", method, .. options];
            var local = Xai(args);
            // Port 9 (discard) has no worker: the error must be the local check's, found before any connection.
            var cluster = Xai([.. args, "--cluster", "localhost:9"]);
            Assert.Equal(1, local.Code);
            Assert.Equal(1, cluster.Code);
            Assert.Equal(local.Error, cluster.Error);
            Assert.Single(cluster.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal("", cluster.Output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
