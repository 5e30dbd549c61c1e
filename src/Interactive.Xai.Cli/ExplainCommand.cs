using System.CommandLine;
using System.Globalization;
using Interactive.Xai.Hosting;

namespace Interactive.Xai.Cli;

/// <summary>`xai explain`: one method, one model, one data file; JSON and/or an HTML report.</summary>
internal static class ExplainCommand
{
    private static readonly string[] Methods = [.. ExplanationRequest.Methods, .. ExplanationRequest.TorchMethods, .. ModelViewRunner.Methods];

    private static readonly string[] Metrics = [.. ExplanationRequest.MetricNames];

    private static readonly string[] Rules = [.. ExplanationRequest.RuleNames];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Option<string>("--model") { Description = "The model file: .onnx (ONNX Runtime), .zip (ML.NET) or .pt (TorchScript).", Required = true };
        var data = new Option<string>("--data") { Description = "The rows to explain (and score): CSV with a header, Parquet (.parquet) or Arrow IPC (.arrow, .feather).", Required = true };
        var method = new Option<string>("--method") { Description = "One of: " + string.Join(", ", Methods) + ".", Required = true };
        CliApp.AcceptOnly(method, Methods);
        var background = new Option<string?>("--background") { Description = "CSV/Parquet/Arrow file of background rows for Shapley methods (default: a k-means summary of --data); for lime, the training rows whose statistics drive sampling (default --data)." };
        var backgroundSize = new Option<int?>("--background-size") { Description = "Summarise the background to this many weighted k-means rows (default 10 when the background is --data; a given --background is used whole unless this is set)." };
        var target = new Option<string>("--target") { Description = "The output to explain: an index, an output name, 'all', or 'predicted' (each row's own top output; saliency, smoothgrad, ig, occlusion).", DefaultValueFactory = _ => "0" };
        var label = new Option<string?>("--label") { Description = "The label column of --data (left out of the features; permutation importance scores against it)." };
        var labels = new Option<string?>("--labels") { Description = "A CSV/Parquet/Arrow file with the labels for permutation importance (one column, or the --label column)." };
        var feature = new Option<string?>("--feature") { Description = "The feature for pdp, ice and ale (pdp also takes two: a,b)." };
        var grid = new Option<string?>("--grid") { Description = "Explicit grid values for pdp/ice: v1,v2,..." };
        var gridPoints = new Option<int>("--grid-points") { Description = "Grid points between the 5% and 95% quantiles for pdp/ice.", DefaultValueFactory = _ => 20 };
        var edges = new Option<string?>("--edges") { Description = "Explicit ALE bin edges: e0,e1,... (strictly increasing)." };
        var bins = new Option<int>("--bins") { Description = "ALE quantile bins.", DefaultValueFactory = _ => 20 };
        var samples = new Option<int?>("--samples") { Description = "Kernel SHAP coalitions per row (default 2M + 2048); smoothgrad noisy samples per row (default 50); LIME samples per row (default 5000). At most 1,000,000." };
        var maxEvaluations = new Option<long>("--max-evaluations") { Description = "Refuse, before computing, a run that needs more model evaluations than this (rows x samples x background rows, rows x grid points, ...).", DefaultValueFactory = _ => RunLimits.DefaultMaxEvaluations };
        var iceCurves = new Option<bool>("--ice") { Description = "pdp: also write every row's ICE curve into the JSON (method ice always does). Beyond 16 MB the curves wait in a temporary file (rows x grid points x 4 bytes: 80 MB at 1M rows x 20 points) and stream into the JSON; without JSON only the 100 the HTML draws are kept." };
        var limeFeatures = new Option<int?>("--lime-features") { Description = "LIME: the most features each surrogate uses (K, default 10)." };
        var noDiscretize = new Option<bool>("--no-discretize") { Description = "LIME: regress on standardised values instead of quartile-bin indicators." };
        var repeats = new Option<int>("--repeats") { Description = "Permutation importance shuffles per feature.", DefaultValueFactory = _ => 5 };
        var metric = new Option<string?>("--metric") { Description = "Permutation importance metric: " + string.Join(", ", Metrics) + " (default mse for one output, accuracy for several)." };
        CliApp.AcceptOnly(metric!, Metrics);
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 42 };
        var json = new Option<string?>("--json") { Description = "Write the result as JSON to this file; - prints it on standard output (without --json or --html, a short summary is printed)." };
        var outputColumn = new Option<string?>("--output-column") { Description = "ML.NET models: the output column to explain (default Probability, else Score)." };
        var html = new Option<string?>("--html") { Description = "Write a self-contained HTML report with charts to this file." };
        var inputShape = new Option<string?>("--input-shape") { Description = "The shape of one input when the CSV holds flattened images: C,H,W (for example 1,8,8); ONNX image models record it themselves, and a .pt model without it takes rows of the CSV's width." };
        var steps = new Option<int>("--steps") { Description = "ig: points along the path from the baseline.", DefaultValueFactory = _ => 50 };
        var baseline = new Option<string>("--baseline") { Description = "ig and occlusion baseline: zeros (occlusion: --fill), mean (feature means of --background, else --data) or a CSV of one baseline row (ig: or one per row).", DefaultValueFactory = _ => "zeros" };
        var rule = new Option<string>("--rule") { Description = "ig integration rule: " + string.Join(", ", Rules) + ".", DefaultValueFactory = _ => "gauss-legendre" };
        CliApp.AcceptOnly(rule, Rules);
        var noise = new Option<double>("--noise") { Description = "smoothgrad noise standard deviation as a fraction of each row's value range.", DefaultValueFactory = _ => 0.15 };
        var absolute = new Option<bool>("--absolute") { Description = "saliency: report |gradient| (signed by default)." };
        var patch = new Option<string?>("--patch") { Description = "occlusion patch: HxW (for example 2x2), or one number n (n x n on images, 1 x n on tables); default 1x1." };
        var stride = new Option<string?>("--stride") { Description = "occlusion stride: HxW or one number, as --patch; default 1x1." };
        var fill = new Option<float>("--fill") { Description = "occlusion: the value occluded pixels take (with --baseline zeros).", DefaultValueFactory = _ => 0f };
        var perChannel = new Option<bool>("--per-channel") { Description = "occlusion: occlude each channel on its own (by default a patch covers every channel)." };
        var matchColumns = MatchColumnsOption();
        var quiet = QuietOption();
        var rowsOption = new Option<string?>("--rows") { Description = "The rows of --data to explain, for example 0-99,120 (default: all); the whole file stays the reference data." };
        var layer = new Option<string?>("--layer") { Description = "grad-cam: the convolutional layer of a .pt model (for example conv2)." };
        var cluster = new Option<string?>("--cluster") { Description = "Run as a job on xai workers: their gateways as host:port[,host:port...] (Shapley methods, permutation-importance, pdp, ice, ale, lime, ig; see xai worker --help)." };

        var command = new Command("explain", "Explain a model's predictions with one method.")
        {
            model, data, method, background, backgroundSize, target, label, labels, feature, grid, gridPoints, edges, bins,
            samples, repeats, metric, seed, json, html, outputColumn, inputShape, steps, baseline, rule, noise, absolute,
            patch, stride, fill, perChannel, layer,
            limeFeatures, noDiscretize, matchColumns, rowsOption, quiet, maxEvaluations, iceCurves, cluster,
        };
        var views = ModelViewOptions.Create();
        views.AddTo(command);
        command.SetAction(parse =>
        {
            var request = new ExplainRequest
            {
                Model = parse.GetValue(model)!,
                Data = parse.GetValue(data)!,
                Method = parse.GetValue(method)!,
                Background = parse.GetValue(background),
                BackgroundSize = parse.GetValue(backgroundSize),
                Target = parse.GetValue(target)!,
                Label = parse.GetValue(label),
                Labels = parse.GetValue(labels),
                Feature = parse.GetValue(feature),
                Grid = parse.GetValue(grid),
                GridPoints = parse.GetValue(gridPoints),
                Edges = parse.GetValue(edges),
                Bins = parse.GetValue(bins),
                Samples = parse.GetValue(samples),
                Repeats = parse.GetValue(repeats),
                Metric = parse.GetValue(metric),
                Seed = parse.GetValue(seed),
                Json = parse.GetValue(json),
                Html = parse.GetValue(html),
                OutputColumn = parse.GetValue(outputColumn),
                InputShape = parse.GetValue(inputShape),
                Steps = parse.GetValue(steps),
                Baseline = parse.GetValue(baseline)!,
                Rule = parse.GetValue(rule),
                NoiseLevel = parse.GetValue(noise),
                Absolute = parse.GetValue(absolute),
                Patch = parse.GetValue(patch),
                Stride = parse.GetValue(stride),
                FillValue = parse.GetValue(fill),
                PerChannel = parse.GetValue(perChannel),
                Layer = parse.GetValue(layer),
                LimeFeatures = parse.GetValue(limeFeatures),
                LimeDiscretize = !parse.GetValue(noDiscretize),
                MatchColumns = ParseMatching(parse.GetValue(matchColumns)),
                Rows = parse.GetValue(rowsOption),
                Quiet = parse.GetValue(quiet),
                MaxEvaluations = parse.GetValue(maxEvaluations),
                IceCurves = parse.GetValue(iceCurves),
                Cluster = parse.GetValue(cluster),
                ModelView = views.Read(parse),
            };
            return Execute(request, output, error);
        });
        return command;
    }

    public static int Execute(ExplainRequest request, TextWriter output, TextWriter? error = null)
    {
        RunLimits.CheckSamples(request.Samples);
        if (request.MaxEvaluations < 1) throw new XaiException($"--max-evaluations {request.MaxEvaluations}: give a positive number");
        using var files = OutputFiles.Prepare(("--json", request.Json), ("--html", request.Html));
        var shape = request.InputShape is null ? null : ExplanationRunner.ParseShape(request.InputShape, "--input-shape");
        // A TorchScript file does not record its input shape: without --input-shape it takes table rows of the data's width.
        FeatureTable? table = null;
        float[]? labelValues = null;
        if (shape is null && ModelFiles.IsTorchScript(request.Model))
        {
            (table, labelValues) = ReadData(request);
            shape = [table.ColumnCount];
        }
        using var loaded = LoadModel(request.Model, request.OutputColumn, shape, request.InputShape is null);
        var model = loaded.Model;
        if (shape is not null && shape.Aggregate(1L, (product, d) => product * d) is var values && values != model.FeatureCount)
            throw new XaiException($"--input-shape {request.InputShape} holds {values} values but the model takes {model.FeatureCount} features");
        if (table is null) (table, labelValues) = ReadData(request);
        table = ExplanationRunner.MatchModelColumns(table, model, request.Data, request.MatchColumns);
        FeatureTable? background = null;
        if (request.Background is not null && request.Method is "exact-shap" or "kernel-shap" or "tree-shap" or "lime" or ModelViewRunner.Force)
        {
            background = TableReader.Read(request.Background);
            if (request.Label is not null && background.FeatureNames.Contains(request.Label)) background = background.SplitColumn(request.Label).Features;
            background = ExplanationRunner.MatchModelColumns(background, model, request.Background, request.MatchColumns);
        }
        if (request.Method == "permutation-importance") labelValues = LoadLabels(request, labelValues, table.RowCount);
        FeatureTable? baselineRows = null;
        if (request.Method is "ig" or "occlusion" && request.Baseline is not ("zeros" or "mean"))
        {
            if (!request.Baseline.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
                throw new XaiException($"--baseline '{request.Baseline}': use zeros, mean or a CSV file of baseline rows");
            baselineRows = TableReader.Read(request.Baseline);
            if (request.Label is not null && baselineRows.FeatureNames.Contains(request.Label)) baselineRows = baselineRows.SplitColumn(request.Label).Features;
            baselineRows = ExplanationRunner.MatchModelColumns(baselineRows, model, request.Baseline, request.MatchColumns);
        }
        if (request.Method is "ig" or "occlusion" && request.Baseline == "mean" && request.Background is not null)
        {
            background = TableReader.Read(request.Background);
            if (request.Label is not null && background.FeatureNames.Contains(request.Label)) background = background.SplitColumn(request.Label).Features;
            background = ExplanationRunner.MatchModelColumns(background, model, request.Background, request.MatchColumns);
        }
        var explanationRequest = new ExplanationRequest
        {
            Method = request.Method,
            Target = request.Target,
            Feature = request.Feature,
            Grid = request.Grid is null ? null : ExplanationRunner.ParseNumbers(request.Grid, "--grid"),
            GridPoints = request.GridPoints,
            Edges = request.Edges is null ? null : ExplanationRunner.ParseNumbers(request.Edges, "--edges"),
            Bins = request.Bins,
            Samples = request.Samples,
            Repeats = request.Repeats,
            Metric = request.Metric,
            Seed = request.Seed,
            BackgroundSize = request.BackgroundSize,
            InputShape = request.InputShape is null ? null : ExplanationRunner.ParseShape(request.InputShape, "--input-shape"),
            Steps = request.Steps,
            Baseline = request.Baseline,
            Rule = request.Rule,
            NoiseLevel = request.NoiseLevel,
            Absolute = request.Absolute,
            Patch = request.Patch is null ? null : ExplanationRunner.ParsePatch(request.Patch, "--patch"),
            Stride = request.Stride is null ? null : ExplanationRunner.ParsePatch(request.Stride, "--stride"),
            FillValue = request.FillValue,
            PerChannel = request.PerChannel,
            Layer = request.Layer,
            LimeFeatures = request.LimeFeatures,
            LimeDiscretize = request.LimeDiscretize,
            // Every row's ICE curve only when the JSON will carry them; otherwise the 100 the HTML can draw.
            MaxIceCurves = request.Json is not null && (request.Method == "ice" || request.IceCurves) ? null : 100,
        };
        FeatureTable? reference = null;
        if (request.Rows is not null)
        {
            var picked = ParseRows(request.Rows, table.RowCount, request.Data);
            reference = table;
            table = table.SelectRows(picked);
            if (labelValues is not null) labelValues = picked.Select(i => labelValues[i]).ToArray();
        }
        long backgroundRows = request.BackgroundSize ?? (background is null ? Math.Min(10, (reference ?? table).RowCount) : background.RowCount);
        // A force plot costs what its SHAP method costs; the limit is checked on that method.
        var limited = request.Method == ModelViewRunner.Force
            ? request with { Method = request.ModelView.Shap ?? ModelViewRunner.DefaultShapMethod(model) }
            : request;
        RunLimits.CheckEvaluations(limited, table.RowCount, model.FeatureCount, backgroundRows, request.MaxEvaluations,
            limited == request ? null : $"{request.Method} ({limited.Method})");
        if (ModelViewRunner.Methods.Contains(request.Method))
            return ModelViewCommand.Execute(request, model, table, reference, background, explanationRequest, files, output, error);
        var inputs = request.Method == "lime"
            ? new ExplanationInputs { Reference = background ?? reference, Labels = labelValues }
            : new ExplanationInputs { Reference = reference, Background = background, Labels = labelValues, BaselineRows = baselineRows };
        Explanation explanation;
        try
        {
            var progress = error is null ? null : ProgressReporter.For(error, request.Quiet);
            try
            {
                explanation = request.Cluster is null
                    ? new ExplanationRunner().Run(model, table, explanationRequest, inputs, progress)
                    : ClusterExplain.Run(request, model, table, explanationRequest, inputs, error);
            }
            finally
            {
                progress?.Finish();
            }
        }
        catch (XaiException e) when (e.Message.StartsWith("the model returned", StringComparison.Ordinal))
        {
            throw new XaiException($"{request.Model}: {e.Message}", e);
        }

        // JSON is made only when asked for, and written straight to its file; per-row ICE curves only for ice or --ice.
        bool iceInJson = request.Method == "ice" || request.IceCurves;
        void WriteJson(Stream stream) => ExplanationJson.Write(stream, explanation, indented: true, includeIceCurves: iceInJson);
        files.SetWriter("--json", WriteJson);
        if (request.Html is not null) files.Set("--html", Reports.ForExplanation(explanation, request.Model, request.Data));
        AtomicFile.WriteOrPrint(output, WriteJson, files, Summary(explanation, files.IsEmpty), request.Json);
        return 0;
    }

    /// <summary>Loads the model; a .pt model given rows of the data's width by default says --input-shape when it fails.</summary>
    internal static LoadedModel LoadModel(string path, string? outputColumn, int[]? shape, bool shapeFromData)
    {
        try
        {
            return ModelFiles.Load(path, outputColumn, shape);
        }
        catch (XaiException e) when (shapeFromData && ModelFiles.IsTorchScript(path))
        {
            throw new XaiException($"{e.Message} (without --input-shape the model was given rows of {shape![0]} features; for images pass --input-shape C,H,W, for example 1,8,8)", e);
        }
    }

    /// <summary>Parses --rows ("0-99,120", "3", "0,5,7") against a table of <paramref name="rowCount"/> rows.</summary>
    internal static int[] ParseRows(string text, int rowCount, string source)
    {
        var indices = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length == 1 && int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out int single)) indices.Add(single);
            else if (bounds.Length == 2 && int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out int from)
                     && int.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out int to) && from <= to)
                indices.AddRange(Enumerable.Range(from, Math.Min(to, rowCount) - from + 1 is var n && n > 0 ? n : 0).Append(to).Distinct());
            else throw new XaiException($"--rows {text}: '{part}' is not a row or a range; use for example 0-99,120");
        }
        var outside = indices.FirstOrDefault(i => i >= rowCount, -1);
        if (outside >= 0) throw new XaiException($"--rows {text}: row {outside} is outside the {rowCount} rows of {source} (0 to {rowCount - 1})");
        return indices.ToArray();
    }

    // The --data table without its --label column, and the label values.
    private static (FeatureTable Table, float[]? Labels) ReadData(ExplainRequest request)
    {
        var table = TableReader.Read(request.Data);
        if (request.Label is not null)
        {
            if (table.FeatureNames.Contains(request.Label)) return table.SplitColumn(request.Label);
            if (request.Labels is null) throw new XaiException($"{request.Data}: no column named '{request.Label}' (--label)");
        }
        return (table, null);
    }

    /// <summary>The --quiet option: no progress on standard error.</summary>
    internal static Option<bool> QuietOption() => new("--quiet", "-q") { Description = "Show no progress on standard error." };

    // A few lines that stand for the result when no file was asked for: what ran, and the strongest features.
    private static string Summary(Explanation explanation, bool nothingWritten)
    {
        var inv = CultureInfo.InvariantCulture;
        string line = string.Create(inv, $"{explanation.Method}: {explanation.ModelEvaluations:N0} model evaluations in {explanation.Elapsed.TotalSeconds:F3} s");
        if (!nothingWritten) return line;
        if (explanation is AttributionExplanation a && a.RowCount > 0)
        {
            var top = Enumerable.Range(0, a.FeatureCount)
                .Select(f => (Name: a.FeatureNames[f], Mean: Enumerable.Range(0, a.RowCount).Average(r => Math.Abs(a.Value(r, f)))))
                .OrderByDescending(t => t.Mean).Take(5)
                .Select(t => string.Create(inv, $"{ExplanationRunner.Printable(t.Name)} {t.Mean:G4}"));
            line += string.Create(inv, $"{Environment.NewLine}{a.RowCount:N0} rows x {a.FeatureCount:N0} features; largest mean |attribution|: {string.Join(", ", top)}");
        }
        return line + Environment.NewLine + "(the full result: --json FILE, --json - for standard output, or --html FILE)";
    }

    /// <summary>The --match-columns option that explain and counterfactual share.</summary>
    internal static Option<string> MatchColumnsOption()
    {
        var option = new Option<string>("--match-columns")
        {
            Description = "How CSV columns meet the model's inputs: auto (by name when the model records feature names, "
                + "else by position), name, or position (file order, whatever the header says).",
            DefaultValueFactory = _ => "auto",
        };
        CliApp.AcceptOnly(option, ["auto", "name", "position"]);
        return option;
    }

    internal static ColumnMatching ParseMatching(string? text) => text switch
    {
        "name" => ColumnMatching.Name,
        "position" => ColumnMatching.Position,
        _ => ColumnMatching.Auto,
    };

    private static float[] LoadLabels(ExplainRequest request, float[]? labels, int rows)
    {
        if (request.Labels is not null)
        {
            var table = TableReader.Read(request.Labels);
            if (request.Label is not null && table.FeatureNames.Contains(request.Label)) labels = table.Column(table.IndexOf(request.Label));
            else if (table.ColumnCount == 1) labels = table.Column(0);
            else throw new XaiException($"{request.Labels} has {table.ColumnCount} columns; name the label column with --label");
            if (labels.Length != rows) throw new XaiException($"{request.Labels} has {labels.Length} labels but {request.Data} has {rows} rows");
        }
        return labels ?? throw new XaiException("permutation-importance needs labels: --label NAME (a column of --data) or --labels CSV");
    }
}

/// <summary>The parsed arguments of `xai explain`.</summary>
internal sealed record ExplainRequest
{
    public required string Model { get; init; }
    public required string Data { get; init; }
    public required string Method { get; init; }
    public string? Background { get; init; }
    public int? BackgroundSize { get; init; }
    public string Target { get; init; } = "0";
    public string? Label { get; init; }
    public string? Labels { get; init; }
    public string? Feature { get; init; }
    public string? Grid { get; init; }
    public int GridPoints { get; init; } = 20;
    public string? Edges { get; init; }
    public int Bins { get; init; } = 20;
    public int? Samples { get; init; }
    public int Repeats { get; init; } = 5;
    public string? Metric { get; init; }
    public int Seed { get; init; } = 42;
    public string? Json { get; init; }
    public string? Html { get; init; }

    /// <summary>--output-column: the ML.NET output column.</summary>
    public string? OutputColumn { get; init; }

    public string? InputShape { get; init; }
    public int Steps { get; init; } = 50;
    public string Baseline { get; init; } = "zeros";
    public string? Rule { get; init; }
    public double NoiseLevel { get; init; } = 0.15;
    public bool Absolute { get; init; }
    public string? Patch { get; init; }
    public string? Stride { get; init; }
    public float FillValue { get; init; }
    public bool PerChannel { get; init; }
    /// <summary>--layer: the grad-cam layer.</summary>
    public string? Layer { get; init; }

    /// <summary>--lime-features: LIME's K.</summary>
    public int? LimeFeatures { get; init; }

    /// <summary>False with --no-discretize.</summary>
    public bool LimeDiscretize { get; init; } = true;

    /// <summary>--quiet: no progress on standard error.</summary>
    public bool Quiet { get; init; }

    /// <summary>--rows: the rows to explain ("0-99,120"), or null for all.</summary>
    public string? Rows { get; init; }

    /// <summary>--match-columns: by name or by position.</summary>
    public ColumnMatching MatchColumns { get; init; }

    /// <summary>--max-evaluations: the most model evaluations a run may need.</summary>
    public long MaxEvaluations { get; init; } = RunLimits.DefaultMaxEvaluations;

    /// <summary>--ice: per-row ICE curves in the JSON of pdp.</summary>
    public bool IceCurves { get; init; }

    /// <summary>--cluster: the workers' gateways (host:port,...), or null to run in process.</summary>
    public string? Cluster { get; init; }

    /// <summary>--depth, --order, --shap: the model views' options.</summary>
    public ModelViewArguments ModelView { get; init; } = new();
}
