using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Interactive.Xai.MLNet;
using Microsoft.ML;

namespace Interactive.Xai.Cli;

/// <summary>
/// `xai demo`: the built-in default. Trains a FastTree regression (ML.NET) on the shipped diabetes data in
/// process, explains it with every method, and writes one JSON document and one HTML report.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(TextWriter output)
    {
        var outOption = new Option<string>("--out")
        {
            Description = "The HTML report to write; the JSON goes beside it with the extension .json.",
            DefaultValueFactory = _ => "xai-demo.html",
        };
        var rows = new Option<int>("--rows") { Description = "Rows to explain with the Shapley methods.", DefaultValueFactory = _ => 100 };
        var command = new Command("demo", "Train a model on built-in data (diabetes) and explain it with every method.") { outOption, rows };
        command.SetAction(parse => Run(parse.GetValue(outOption)!, parse.GetValue(rows), output));
        return command;
    }

    public static int Run(string htmlPath, int rows, TextWriter output)
    {
        if (!htmlPath.EndsWith(".html", StringComparison.OrdinalIgnoreCase)) throw new XaiException($"--out {htmlPath}: the report file must end in .html");
        if (rows < 1) throw new XaiException("--rows must be at least 1");
        string jsonPath = Path.ChangeExtension(htmlPath, ".json");
        var result = Build(rows, seed: 42);
        AtomicFile.WriteAll([(jsonPath, result.Json), (htmlPath, result.Html)]);
        foreach (var line in result.Summary) output.WriteLine(line);
        output.WriteLine($"wrote {jsonPath} and {htmlPath}");
        return 0;
    }

    /// <summary>The demo's explanations, JSON and HTML, computed in memory.</summary>
    public static DemoResult Build(int rows, int seed)
    {
        var dataset = Datasets.Diabetes();
        var context = new MLContext(seed);
        var trainingData = dataset.Features.ToDataFrame();
        trainingData.Columns.Add(new Microsoft.Data.Analysis.SingleDataFrameColumn("target", dataset.Labels));
        var names = dataset.Features.FeatureNames.ToArray();
        var pipeline = context.Transforms.Concatenate("Features", names)
            .Append(context.Regression.Trainers.FastTree(labelColumnName: "target", featureColumnName: "Features",
                numberOfLeaves: 8, numberOfTrees: 100, minimumExampleCountPerLeaf: 10, learningRate: 0.1));
        var trained = pipeline.Fit(trainingData);
        var model = new MLNetModel(trained, ((IDataView)trainingData).Schema, new MLNetModelOptions { FeatureColumns = names });

        var data = dataset.Features;
        var explained = data.Slice(0, Math.Min(rows, data.RowCount));
        var background = WeightedBackground.KMeans(data, 10, seed);
        var results = new List<Explanation>
        {
            new ExactShapleyExplainer(model, background, new ExactShapleyOptions { Seed = seed }).Explain(explained),
            new KernelShapExplainer(model, background, new KernelShapOptions { Samples = 300, Seed = seed }).Explain(explained),
            new PermutationImportanceExplainer(model, new PermutationImportanceOptions { Metric = PermutationMetric.MeanSquaredError, Repeats = 10, Seed = seed }).Explain(data, dataset.Labels),
            new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 25 }).Explain(data, "bmi"),
            new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 25 }).Explain(data, "s5") with { Method = "ice" },
            new PartialDependenceExplainer(model, new PartialDependenceOptions { GridPoints = 15 }).Explain2D(data, "bmi", "s5"),
            new AccumulatedLocalEffectsExplainer(model, new AccumulatedLocalEffectsOptions { Bins = 20 }).Explain(data, "bmi"),
        };

        var json = new StringBuilder();
        using (var stream = new MemoryStream())
        {
            using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                writer.WriteStartObject();
                writer.WriteString("dataset", "diabetes");
                writer.WriteString("model", "ML.NET FastTree regression, 100 trees of 8 leaves, trained in process");
                writer.WriteNumber("rows", data.RowCount);
                writer.WritePropertyName("results");
                writer.WriteStartArray();
                foreach (var r in results) ExplanationJson.Write(writer, r);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            json.Append(Encoding.UTF8.GetString(stream.ToArray()));
        }
        var summary = results.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Method,-24} {r.ModelEvaluations,10} model evaluations {r.Elapsed.TotalSeconds,8:F3} s")).ToList();
        var html = Reports.ForDemo(results, model);
        return new DemoResult(results, json.ToString(), html, summary);
    }
}

/// <summary>What the demo computed.</summary>
internal sealed record DemoResult(IReadOnlyList<Explanation> Explanations, string Json, string Html, IReadOnlyList<string> Summary);
