using System.Globalization;
using System.Reflection;
using Interactive.Xai.Hosting;

namespace Interactive.Xai.Notebook;

/// <summary>
/// The entry points extension.dib calls: everything the notebook needs beyond binding to the kernel's directive
/// mechanism lives here, in compiled and tested code.
/// </summary>
public static class XaiNotebook
{
    private static readonly Lazy<MagicCommandDispatcher> SharedDispatcher = new(() => new MagicCommandDispatcher(new ExplainerCache()));

    /// <summary>The session's dispatcher, with its explainer cache.</summary>
    public static MagicCommandDispatcher Dispatcher => SharedDispatcher.Value;

    /// <summary>The package version.</summary>
    public static string Version =>
        typeof(XaiNotebook).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(XaiNotebook).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The line the extension shows when it has loaded.</summary>
    public static string LoadedMessage() =>
        $"Interactive.Xai {Version} loaded: {string.Join(", ", MagicCommands.All.Select(c => "#!" + c.Name))}"
        + TorchViews.Status switch
        {
            null => "",
            "ready" => "; TorchSharp models ready",
            var failure => "; TorchSharp models unavailable: " + failure,
        };

    /// <summary>The "loaded" line as a displayable value; its HTML also carries plotly.js for the session's charts.</summary>
    public static LoadedView Loaded() => new(LoadedMessage());

    /// <summary>Registers the text/html formatters for explanations, charts, tables, models and the training monitor.</summary>
    public static void RegisterFormatters() => NotebookFormatters.Register();

    /// <summary>The options that were given (non-null values), keyed by option name without dashes.</summary>
    public static IReadOnlyDictionary<string, string> Options(params (string Name, string? Value)[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.Where(v => v.Value is not null).ToDictionary(v => v.Name, v => v.Value!, StringComparer.Ordinal);
    }

    /// <summary>
    /// Compiles the code a first magic command runs, on a thread-pool thread (extension.dib waits for it as part of
    /// loading the package: run in the background, it competed with a first command sent right after the load cell):
    /// #!xai-explain (Kernel SHAP), #!xai-pdp and #!xai-importance run through a dispatcher of its own on a 4-feature
    /// ONNX graph and a 24-row CSV written to a temporary folder (deleted after), with their progress lines and the HTML
    /// of their results (Plotly.NET and FSharp.Core code is compiled on first use; ONNX Runtime's first session costs
    /// more than later ones). It shows nothing, leaves the session's plotly.js bootstrap for the first real output, and
    /// never throws (a failure here only means the first command compiles that code itself).
    /// </summary>
    public static Task WarmUp() => Task.Run(() =>
    {
        try
        {
            RunWarmUp();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // nothing to do: the first command compiles the code itself
        }
    });

    /// <summary>The work of <see cref="WarmUp"/>, on the calling thread; returns each command's result.</summary>
    internal static IReadOnlyList<MagicCommandResult> RunWarmUp()
    {
        // The path of a first magic command, end to end, on files as a user's would be. A dispatcher of its own:
        // nothing it caches stays in the session's caches.
        string folder = Directory.CreateTempSubdirectory("xai-warm-up-").FullName;
        try
        {
            string model = Path.Combine(folder, "linear4.onnx"), data = Path.Combine(folder, "rows.csv");
            using (var resource = typeof(XaiNotebook).Assembly.GetManifestResourceStream("Interactive.Xai.WarmUp.linear4.onnx")!)
            using (var file = File.Create(model))
                resource.CopyTo(file);
            var csv = new System.Text.StringBuilder("a,b,c,d,y\n");
            for (int r = 0; r < 24; r++)
                csv.Append(CultureInfo.InvariantCulture, $"{r % 5},{r % 3 - 1},{(r * 7) % 11 / 10.0},{r / 6},{r % 2}\n");
            File.WriteAllText(data, csv.ToString());
            var dispatcher = new MagicCommandDispatcher();
            var noVariables = new VariableSource(_ => (false, null));
            var progress = Progress(_ => { });
            string files = $"--model \"{model}\" --data \"{data}\" --label y";
            var results = new List<MagicCommandResult>();
            NotebookHtml.FormatWithoutPlotly(() =>
            {
                foreach (var line in (string[])[
                    $"#!xai-explain {files} --method kernel-shap --rows 0-3 --samples 64",
                    $"#!xai-pdp {files} --feature a",
                    $"#!xai-importance {files} --repeats 2"])
                    results.Add(dispatcher.Execute(line, noVariables, value => NotebookFormatters.ToHtml(value), progress));
            });
            return results;
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The property a --option binds to in a directive's command type: "input-shape" → "InputShape".</summary>
    public static string PropertyName(string option)
    {
        ArgumentNullException.ThrowIfNull(option);
        return string.Concat(option.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }

    /// <summary>
    /// The options given to the magic command <paramref name="name"/>, read from the typed command object the kernel
    /// bound them to (one string property per option, named by <see cref="PropertyName"/>).
    /// </summary>
    public static IReadOnlyDictionary<string, string> OptionsOf(object command, string name)
    {
        ArgumentNullException.ThrowIfNull(command);
        var definition = MagicCommands.Find(name) ?? throw new ArgumentException($"no magic command {name}", nameof(name));
        var type = command.GetType();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var option in definition.Options)
            if (type.GetProperty(PropertyName(option.Name))?.GetValue(command) is string value) options[option.Name] = value;
        return options;
    }

    /// <summary>
    /// Null when <paramref name="commandType"/> declares exactly one string property per option of the magic command
    /// <paramref name="name"/>, else what is missing or extra (extension.dib checks its command types with this).
    /// </summary>
    public static string? BindingProblem(Type commandType, string name)
    {
        ArgumentNullException.ThrowIfNull(commandType);
        var definition = MagicCommands.Find(name);
        if (definition is null) return $"no magic command {name}";
        var declared = commandType.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(p => p.PropertyType == typeof(string)).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var expected = definition.Options.Select(o => PropertyName(o.Name)).ToHashSet(StringComparer.Ordinal);
        var missing = expected.Except(declared).Order(StringComparer.Ordinal).ToList();
        var extra = declared.Except(expected).Order(StringComparer.Ordinal).ToList();
        if (missing.Count == 0 && extra.Count == 0) return null;
        return $"{commandType.Name} for #!{name}: " + string.Join("; ", new[]
        {
            missing.Count > 0 ? "missing " + string.Join(", ", missing) : null,
            extra.Count > 0 ? "extra " + string.Join(", ", extra) : null,
        }.OfType<string>());
    }

    /// <summary>A progress sink that shows a progress view through <paramref name="update"/> at most every 200 ms.</summary>
    public static IProgress<ExplanationProgress> Progress(Action<ProgressView> update) => Progress(update, ProgressView.ModelEvaluations);

    /// <summary>
    /// As <see cref="Progress(Action{ProgressView})"/>, counting in <paramref name="unit"/>: "rows" for a cluster job,
    /// whose progress (partitions done, rows/s, time left) reaches a cell through Interactive.Xai.Cluster's
    /// ClusterProgress.To(XaiNotebook.Progress(view => shown.Update(view), "rows")).
    /// </summary>
    public static IProgress<ExplanationProgress> Progress(Action<ProgressView> update, string unit)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(unit);
        return new ThrottledProgress(update, TimeSpan.FromMilliseconds(200), unit);
    }

    private sealed class ThrottledProgress(Action<ProgressView> update, TimeSpan interval, string unit) : IProgress<ExplanationProgress>
    {
        private readonly Lock _gate = new();
        private long _lastTicks = long.MinValue;

        public void Report(ExplanationProgress value)
        {
            long now = Environment.TickCount64;
            lock (_gate)
            {
                bool finished = value.Completed >= value.Total;
                if (!finished && _lastTicks != long.MinValue && now - _lastTicks < interval.TotalMilliseconds) return;
                _lastTicks = now;
                update(new ProgressView(value.Stage, value.Completed, value.Total) { Unit = unit });
            }
        }
    }
}

/// <summary>A progress line shown (and updated in place) while a magic command works.</summary>
/// <param name="Stage">What is running.</param>
/// <param name="Completed">Model evaluations done.</param>
/// <param name="Total">Model evaluations needed.</param>
public sealed record ProgressView(string Stage, long Completed, long Total)
{
    /// <summary>The default unit of <see cref="Completed"/> and <see cref="Total"/>.</summary>
    public const string ModelEvaluations = "model evaluations";

    /// <summary>What <see cref="Completed"/> and <see cref="Total"/> count ("rows" for a cluster job).</summary>
    public string Unit { get; init; } = ModelEvaluations;

    /// <inheritdoc />
    public override string ToString() => Total <= 0 ? Stage : $"{Stage}: {100.0 * Completed / Total:F0}% ({Completed:N0} of {Total:N0} {Unit})";
}
