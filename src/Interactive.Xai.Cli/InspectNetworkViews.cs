using System.Globalization;
using System.Text.Json;
using Interactive.Xai.Charts;
using Interactive.Xai.Hosting;
using Interactive.Xai.Inspection;
using Interactive.Xai.Torch.Inspection;
using static TorchSharp.torch;

namespace Interactive.Xai.Cli;

/// <summary>
/// `xai inspect --what layer-gradient|activation-functions`: the network views that need only a TorchScript file and
/// input rows, computed on the script's layers called one by one (<see cref="ScriptLayerChain"/>).
/// </summary>
internal static class InspectNetworkViews
{
    /// <summary>The --what values besides "structure".</summary>
    public static readonly string[] Views = ["layer-gradient", "activation-functions"];

    /// <summary>Rows used when --rows is not given.</summary>
    public const int DefaultRows = 10, DefaultActivationRows = 256;

    public static int Run(string what, string modelPath, string? dataPath, string? layer, string? target, string? rows, string? inputShape,
        string? jsonPath, string? htmlPath, TextWriter output)
    {
        if (!Views.Contains(what)) throw new XaiException($"--what {what}: use structure, {string.Join(" or ", Views)}");
        if (!modelPath.EndsWith(".pt", StringComparison.OrdinalIgnoreCase))
            throw new XaiException($"--what {what} needs a TorchScript (.pt) network; {Path.GetFileName(modelPath)} is not one");
        if (!File.Exists(modelPath)) throw new XaiException($"{modelPath}: model file not found");
        if (inputShape is null) throw new XaiException($"{modelPath}: a TorchScript file does not record its input shape; pass --input-shape (for example 1,8,8)");
        if (dataPath is null) throw new XaiException($"--what {what} needs --data: a CSV of input rows to run through the network");
        if (what == "layer-gradient" && layer is null) throw new XaiException("--what layer-gradient needs --layer: the convolutional layer whose output is differentiated (for example conv2)");
        int? targetIndex = null;
        if (target is not null && target != "predicted")
        {
            if (!int.TryParse(target, NumberStyles.None, CultureInfo.InvariantCulture, out int t)) throw new XaiException($"--target {target}: use an output index or 'predicted'");
            targetIndex = t;
        }
        using var files = OutputFiles.Prepare(("--json", jsonPath), ("--html", htmlPath));
        var shape = ExplanationRunner.ParseShape(inputShape, "--input-shape");
        var table = CsvTableReader.Read(dataPath);
        int size = shape.Aggregate(1, (a, b) => a * b);
        if (table.ColumnCount != size)
            throw new XaiException($"{dataPath} has {table.ColumnCount} columns; inputs of shape [{string.Join(", ", shape)}] need {size}");
        var selected = rows is not null ? ExplainCommand.ParseRows(rows, table.RowCount, dataPath)
            : Enumerable.Range(0, Math.Min(what == "layer-gradient" ? DefaultRows : DefaultActivationRows, table.RowCount)).ToArray();
        if (selected.Length == 0) throw new XaiException($"{dataPath} has no rows");
        var picked = table.SelectRows(selected);
        using var chain = ScriptLayerChain.Load(modelPath, shape);
        using var scope = NewDisposeScope();
        var inputs = tensor(picked.Values.ToArray(), [picked.RowCount, .. shape.Select(d => (long)d)]);
        string name = Path.GetFileName(modelPath);
        var report = new HtmlReport($"{(what == "layer-gradient" ? "Inner-layer gradient" : "Activation functions")} of {name}");
        string json, summary;
        if (what == "layer-gradient")
        {
            string chainLayer = ScriptLayerChain.LayerName(layer!);
            if (!chain.LayerNames.Contains(chainLayer))
                throw new XaiException($"--layer {layer}: {name} has no such layer (layers: {string.Join(", ", chain.LayerNames)})");
            var gradient = TorchInspector.LayerOutputGradient(chain, chainLayer, inputs, targetIndex, chain.Model.OutputNames);
            report.AddParagraph($"Rows {Describe(selected)} of {Path.GetFileName(dataPath)}; {(targetIndex is { } ti ? $"output {ti}" : "each row's predicted output")} differentiated.");
            report.AddLayerOutputGradient(gradient);
            json = JsonSerializer.Serialize(gradient, Options);
            double largest = Enumerable.Range(0, gradient.RowCount).Max(r => gradient.Magnitude(r).Max());
            summary = string.Create(CultureInfo.InvariantCulture,
                $"{name}: gradient of the output with respect to {layer} ({gradient.LayerType}, {gradient.Channels} x {gradient.Height} x {gradient.Width}) for {gradient.RowCount} rows; largest channel-summed |gradient| {largest:G4}");
        }
        else
        {
            var usage = TorchInspector.ActivationFunctions(chain, inputs);
            report.AddParagraph($"Rows {Describe(selected)} of {Path.GetFileName(dataPath)} run through the network.");
            report.AddActivationFunctions(usage);
            json = JsonSerializer.Serialize(usage, Options);
            summary = $"{name}: " + string.Join("; ", usage.Layers.Select(l => string.Create(CultureInfo.InvariantCulture,
                $"{l.Layer} ({l.FunctionType}) inputs {l.ReachedMinimum:G4} to {l.ReachedMaximum:G4}")));
        }
        files.Set("--json", json);
        if (htmlPath is not null) files.Set("--html", report.ToHtml());
        AtomicFile.WriteOrPrint(output, json, files, summary, jsonPath);
        return 0;
    }

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static string Describe(int[] rows) => rows.Length == 1 ? rows[0].ToString(CultureInfo.InvariantCulture)
        : rows.SequenceEqual(Enumerable.Range(rows[0], rows.Length)) ? $"{rows[0]}-{rows[^1]}" : string.Join(",", rows.Take(20)) + (rows.Length > 20 ? ",..." : "");
}
