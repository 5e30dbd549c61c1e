using System.Text.Json;
using Interactive.Xai.Cli;

namespace Interactive.Xai.Cluster.Tests;

/// <summary>`xai explain ... --cluster`: the same output as without it; bad input fails up front with the local errors.</summary>
public class CliClusterTests
{
    private static (int Code, string Output, string Error) Xai(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string Model(string name) => Path.Combine(AppContext.BaseDirectory, "models", name);

    private static string WriteCsv(string folder, FeatureTable table)
    {
        var path = Path.Combine(folder, "rows.csv");
        using var writer = new StreamWriter(path);
        writer.WriteLine(string.Join(',', table.FeatureNames));
        for (int r = 0; r < table.RowCount; r++)
            writer.WriteLine(string.Join(',', table.Row(r).ToArray().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        return path;
    }

    /// <summary>Every property of the two explanation JSON files is the same text, except the elapsed time and evaluation count.</summary>
    internal static void AssertSameJsonExceptTiming(string expectedPath, string actualPath)
    {
        using var a = JsonDocument.Parse(File.ReadAllText(expectedPath));
        using var b = JsonDocument.Parse(File.ReadAllText(actualPath));
        foreach (var property in a.RootElement.EnumerateObject())
        {
            if (property.Name is "elapsedSeconds" or "modelEvaluations") continue;
            Assert.Equal(property.Value.GetRawText(), b.RootElement.GetProperty(property.Name).GetRawText());
        }
    }

    [Fact]
    public void ExplainWithCluster_WritesTheSameJsonAsInProcess()
    {
        var folder = Directory.CreateTempSubdirectory("xai-cluster-").FullName;
        try
        {
            var data = WriteCsv(folder, ClusterJobTests.DiabetesLikeRows(400, seed: 11));
            using var workers = Workers.Start(2);
            string local = Path.Combine(folder, "local.json"), cluster = Path.Combine(folder, "cluster.json");
            var first = Xai("explain", "--model", Model("mlp10.onnx"), "--data", data, "--method", "kernel-shap", "--samples", "300", "--json", local, "-q");
            Assert.True(first.Code == 0, first.Error);
            var second = Xai("explain", "--model", Model("mlp10.onnx"), "--data", data, "--method", "kernel-shap", "--samples", "300", "--json", cluster, "-q",
                "--cluster", workers.Address);
            Assert.True(second.Code == 0, second.Error);
            CliClusterTests.AssertSameJsonExceptTiming(local, cluster);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void BadInput_FailsUpFrontWithTheLocalError_WithoutContactingTheCluster()
    {
        var folder = Directory.CreateTempSubdirectory("xai-cluster-").FullName;
        try
        {
            var path = Path.Combine(folder, "bad.csv");
            File.WriteAllText(path, "age,sex,bmi,bp,s1,s2,s3,s4,s5,zzz\n1,2,3,4,5,6,7,8,9,10\n");
            // Port 9 (discard) has no worker: the error must be the column check's, found before any connection.
            var local = Xai("explain", "--model", Model("mlp10.onnx"), "--data", path, "--method", "kernel-shap");
            var cluster = Xai("explain", "--model", Model("mlp10.onnx"), "--data", path, "--method", "kernel-shap", "--cluster", "localhost:9");
            Assert.Equal(1, local.Code);
            Assert.Equal(1, cluster.Code);
            Assert.Equal(local.Error, cluster.Error);
            Assert.Single(cluster.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("'zzz'", cluster.Error);

            File.WriteAllText(path, "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6\n1,2,3,4,5,6,7,8,9,10\n");
            var samples = Xai("explain", "--model", Model("mlp10.onnx"), "--data", path, "--method", "kernel-shap", "--samples", "1", "--cluster", "localhost:9");
            Assert.Equal(Xai("explain", "--model", Model("mlp10.onnx"), "--data", path, "--method", "kernel-shap", "--samples", "1").Error, samples.Error);
            var method = Xai("explain", "--model", Model("mlp10.onnx"), "--data", path, "--method", "occlusion", "--cluster", "localhost:9");
            Assert.Equal(1, method.Code);
            Assert.Equal("error: --cluster runs kernel-shap, exact-shap, permutation-importance, pdp, ice, ale, lime and ig; run occlusion without --cluster", method.Error.Trim());
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var nobody = Xai("explain", "--model", Model("mlp10.onnx"), "--data", path, "--method", "kernel-shap", "--cluster", "localhost:9");
            Assert.Equal(1, nobody.Code);
            Assert.StartsWith("error: --cluster localhost:9: no worker answered", nobody.Error);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed.TotalSeconds:F0} s to give up");
            Assert.Single(nobody.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>`xai worker`'s help and its bad options.</summary>
public class WorkerCommandTests
{
    private static (int Code, string Output, string Error) Xai(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = Interactive.Xai.Cli.CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Help_ListsTheWorkerAndFitsA100ColumnTerminal()
    {
        var root = Xai("--help");
        Assert.Contains("worker", root.Output);
        Assert.Contains("--cluster localhost:30000", root.Output);
        foreach (var args in new[] { new[] { "--help" }, new[] { "worker", "--help" }, new[] { "explain", "--help" } })
        {
            var (code, output, _) = Xai(args);
            Assert.Equal(0, code);
            Assert.All(output.Split('\n'), line => Assert.True(line.TrimEnd('\r').Length <= 100, $"{line.Length} columns: {line}"));
        }
    }

    [Theory]
    [InlineData("--port", "0", "error: --port: 0 is not a port (1 to 65535)")]
    [InlineData("--primary", "nowhere", "error: --primary: 'nowhere' is not host:port (for example localhost:11111)")]
    [InlineData("--address", "x.y", "error: --address: 'x.y' is not an IP address")]
    public void BadOption_OneErrorLine(string option, string value, string expected)
    {
        var (code, output, error) = Xai("worker", option, value);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal(expected, error.Trim());
    }
}
