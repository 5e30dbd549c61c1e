using System.CommandLine;
using System.Globalization;
using Interactive.Xai.Charts;
using Interactive.Xai.Hosting;

namespace Interactive.Xai.Cli;

/// <summary>`xai inspect`: a model's structure (graph, operators, shapes, parameters) as JSON and an HTML report.</summary>
internal static class InspectCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Option<string>("--model") { Description = "The model file: .onnx (ONNX graph), .zip (ML.NET pipeline) or .pt (TorchScript; needs --input-shape).", Required = true };
        var inputShape = new Option<string?>("--input-shape") { Description = "For .pt models: the shape of one input, for example 1,8,8 (channels, height, width) or 10 (features)." };
        var json = new Option<string?>("--json") { Description = "Write the structure as JSON to this file; - prints it on standard output (without --json or --html, a short summary is printed)." };
        var html = new Option<string?>("--html") { Description = "Write a self-contained HTML report (graph, tables, weight histograms) to this file." };
        var what = new Option<string?>("--what") { Description = "structure (default); for a TorchScript (.pt) network with --data: layer-gradient (the gradient of the output with respect to --layer's feature maps, as images) or activation-functions (each activation function over the range its inputs reach)." };
        var data = new Option<string?>("--data") { Description = "--what layer-gradient|activation-functions: a CSV of input rows (one column per input value). Tree-ensemble models (.zip): rows whose paths through the trees give the node covers for the gain-based feature importance." };
        var layer = new Option<string?>("--layer") { Description = "--what layer-gradient: the convolutional layer, for example conv2." };
        var target = new Option<string?>("--target") { Description = "--what layer-gradient: the output to differentiate, an index or 'predicted' (default: each row's largest output)." };
        var rows = new Option<string?>("--rows") { Description = "--what layer-gradient|activation-functions: rows of --data, for example 0-9 (default: the first 10, or 256 for activation-functions)." };
        var command = new Command("inspect", "Show a model's structure: nodes, operators, tensor shapes and parameters (tree ensembles: split counts and, with --data, gain importance); or a TorchScript network's inner-layer gradients or activation functions on data.") { model, inputShape, json, html, what, data, layer, target, rows };
        command.SetAction(parse => parse.GetValue(what) is { } view && view != "structure"
            ? InspectNetworkViews.Run(view, parse.GetValue(model)!, parse.GetValue(data), parse.GetValue(layer), parse.GetValue(target), parse.GetValue(rows), parse.GetValue(inputShape), parse.GetValue(json), parse.GetValue(html), output)
            : Run(parse.GetValue(model)!, parse.GetValue(json), parse.GetValue(html), output, parse.GetValue(inputShape), parse.GetValue(data)));
        return command;
    }

    public static int Run(string modelPath, string? jsonPath, string? htmlPath, TextWriter output, string? inputShape = null, string? dataPath = null)
    {
        using var files = OutputFiles.Prepare(("--json", jsonPath), ("--html", htmlPath));
        var shape = inputShape is null ? null : ExplanationRunner.ParseShape(inputShape, "--input-shape");
        var structure = ModelFiles.ReadStructure(modelPath, shape);
        string jsonText = StructureJson.Serialize(structure);
        // tree ensembles: split counts and gain-based importance (InspectTrees)
        using var trees = InspectTrees.TryLoad(modelPath);
        if (dataPath is not null && trees is null) throw new XaiException($"--data {dataPath}: inspect reads data only for tree-ensemble models (.zip), to count node covers");
        var (gains, treeSummary) = trees is null ? (null, null) : InspectTrees.Importance(trees.Model, dataPath);
        files.Set("--json", jsonText);
        if (htmlPath is not null)
        {
            var report = new HtmlReport($"Structure of {Path.GetFileName(modelPath)}");
            foreach (var (key, value) in structure.Properties)
                if (key == Interactive.Xai.Torch.Inspection.TorchInspector.InspectionProperty) report.AddParagraph($"How this was read: {value}.");
            report.AddStructure(structure);
            if (trees is not null) InspectTrees.AddTo(report, trees.Model, gains);
            files.Set("--html", report.ToHtml());
        }
        AtomicFile.WriteOrPrint(output, jsonText, files, string.Create(CultureInfo.InvariantCulture,
            $"{structure.Format} {structure.Name}: {structure.Nodes.Length} nodes, {structure.ParameterCount:N0} parameters") + (treeSummary is null ? "" : "; " + treeSummary), jsonPath);
        if (jsonPath == OutputFiles.StandardOutput) return 0;
        // How a TorchScript file was read (no forward hooks on its submodules): say so.
        foreach (var (key, value) in structure.Properties)
            if (key == Interactive.Xai.Torch.Inspection.TorchInspector.InspectionProperty) output.WriteLine($"note: {value}");
        return 0;
    }
}
