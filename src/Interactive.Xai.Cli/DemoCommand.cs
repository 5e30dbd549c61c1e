using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Interactive.Xai.MLNet;
using Microsoft.ML;

namespace Interactive.Xai.Cli;

/// <summary>
/// `xai demo`: the built-in default. Trains a FastTree regression (ML.NET) on the shipped diabetes data in
/// process and explains it with every tabular method (Shapley values, permutation importance, PDP/ICE, ALE, LIME and
/// a counterfactual), then trains a small TorchSharp CNN on the shipped 8x8 digits and inspects and explains it
/// (<see cref="DemoNetwork"/>); writes one JSON document and one HTML report.
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
        var epochs = new Option<int>("--epochs") { Description = "Epochs to train the digits CNN (0 leaves out the neural-network part).", DefaultValueFactory = _ => DefaultEpochs };
        var command = new Command("demo", "Train models on built-in data (diabetes: FastTree; digits: a CNN) and explain them with every method.") { outOption, rows, epochs };
        command.SetAction(parse => Run(parse.GetValue(outOption)!, parse.GetValue(rows), output, parse.GetValue(epochs)));
        return command;
    }

    /// <summary>The digits CNN's default epochs.</summary>
    public const int DefaultEpochs = 8;

    /// <summary>Patients explained by LIME (at most).</summary>
    public const int LimeRows = 5;

    public static int Run(string htmlPath, int rows, TextWriter output, int epochs = DefaultEpochs) =>
        Run(htmlPath, rows, output, epochs, Build);

    // build: the computation (a seam for tests that check the outputs are checked before it starts).
    internal static int Run(string htmlPath, int rows, TextWriter output, int epochs, Func<int, int, int, DemoResult> build)
    {
        if (!htmlPath.EndsWith(".html", StringComparison.OrdinalIgnoreCase)) throw new XaiException($"--out {htmlPath}: the report file must end in .html");
        if (rows < 1) throw new XaiException("--rows must be at least 1");
        if (epochs < 0) throw new XaiException($"--epochs must be at least 0, got {epochs}");
        string jsonPath = Path.ChangeExtension(htmlPath, ".json");
        // Check both files (folder exists, writable, not a folder or device) before the training and explaining.
        using var files = OutputFiles.Prepare((jsonPath, jsonPath), (htmlPath, htmlPath));
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var result = build(rows, 42, epochs);
        files.Set(jsonPath, result.Json);
        files.Set(htmlPath, result.Html);
        files.Commit();
        foreach (var line in result.Summary) output.WriteLine(line);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {jsonPath} and {htmlPath} in {stopwatch.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }

    /// <summary>The demo's explanations, JSON and HTML, computed in memory (<paramref name="epochs"/> 0: tabular part only).</summary>
    public static DemoResult Build(int rows, int seed, int epochs = DefaultEpochs)
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
            new LimeExplainer(model, data, new LimeOptions { Samples = 1000, FeatureCount = 5, Seed = seed }).Explain(explained.Slice(0, Math.Min(LimeRows, explained.RowCount))),
            Counterfactual(model, data, explained, seed),
        };

        DemoNetworkResult? network = null;
        string? networkSkipped = null;
        if (epochs == 0) networkSkipped = "--epochs 0";
        else
        {
            try
            {
                Interactive.Xai.Torch.TorchRuntime.EnsureAvailable();
            }
            catch (XaiException e)
            {
                networkSkipped = e.Message;
            }
            if (networkSkipped is null) network = DemoNetwork.Build(epochs, seed);
        }

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
                writer.WritePropertyName("network");
                if (network is null) writer.WriteNullValue();
                else DemoNetwork.WriteJson(writer, network);
                if (networkSkipped is not null) writer.WriteString("networkSkipped", networkSkipped);
                writer.WriteEndObject();
            }
            json.Append(Encoding.UTF8.GetString(stream.ToArray()));
        }
        var summary = results.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Method,-24} {r.ModelEvaluations,10} model evaluations {r.Elapsed.TotalSeconds,8:F3} s")).ToList();
        if (network is not null) summary.AddRange(DemoNetwork.Summary(network));
        else summary.Add($"neural-network part left out: {networkSkipped}");
        var html = Reports.ForDemo(results, model, network);
        return new DemoResult(results, json.ToString(), html, summary, network);
    }

    /// <summary>
    /// Counterfactuals for the explained patient with the highest predicted progression: changes (age and sex kept)
    /// that bring the prediction down to the median prediction over all patients or lower.
    /// </summary>
    private static CounterfactualExplanation Counterfactual(IModel model, FeatureTable data, FeatureTable explained, int seed)
    {
        var all = model.Predict(data);
        var median = all.Order().ElementAt(all.Length / 2);
        var candidates = model.Predict(explained);
        int row = Array.IndexOf(candidates, candidates.Max());
        var options = new CounterfactualOptions
        {
            Count = 3,
            Population = 100,
            Generations = 30,
            Constraints = [new FeatureConstraint { Feature = "age", Immutable = true }, new FeatureConstraint { Feature = "sex", Immutable = true }],
            Seed = seed,
        };
        return new CounterfactualExplainer(model, data, options).Explain(explained.Slice(row, 1), CounterfactualGoal.Range(0, median));
    }
}

/// <summary>What the demo computed: the tabular explanations and, unless left out, the network part.</summary>
internal sealed record DemoResult(IReadOnlyList<Explanation> Explanations, string Json, string Html, IReadOnlyList<string> Summary, DemoNetworkResult? Network = null);
