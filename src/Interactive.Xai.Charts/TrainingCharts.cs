using System.Globalization;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>
/// Charts of a training run recorded by <see cref="TrainingMonitor"/>: loss and metric curves (training and
/// validation in the same panel), the learning rate, and per-layer gradient norms on a log axis (vanishing and
/// exploding gradients show as lines falling or rising by orders of magnitude). <see cref="Dashboard"/> stacks all of
/// them in one figure over a shared step axis, which the notebook updates in place as training runs. Non-finite values
/// (a diverged loss) leave a gap.
/// </summary>
public static class TrainingCharts
{
    private const string TrainColour = "#0072B2";
    private const string ValidationColour = "#E69F00";

    /// <summary>Everything in one figure: a panel per metric (loss first), then learning rate and gradient norms when logged.</summary>
    public static GenericChart Dashboard(TrainingSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var panels = snapshot.MetricNames.Select(name => MetricPanel(snapshot, name)).ToList();
        if (!snapshot.LearningRate.Points.IsDefaultOrEmpty) panels.Add(LearningRatePanel(snapshot));
        if (!snapshot.GradientNorms.IsDefaultOrEmpty) panels.Add(GradientPanel(snapshot));
        return Build(snapshot, panels, Title(snapshot));
    }

    /// <summary>One metric (or the loss, <see cref="TrainingMonitor.LossName"/>) over steps, one line per split.</summary>
    public static GenericChart Metric(TrainingSnapshot snapshot, string name = TrainingMonitor.LossName)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(name);
        if (!snapshot.Metrics.Any(s => s.Name == name))
            throw new XaiException($"no values of '{name}' were logged; logged: {(snapshot.MetricNames.Count == 0 ? "nothing yet" : string.Join(", ", snapshot.MetricNames))}");
        return Build(snapshot, [MetricPanel(snapshot, name)], $"{PlotText.Escape(name)} over training");
    }

    /// <summary>The learning rate over steps, drawn as steps (a rate holds until the next one is logged).</summary>
    public static GenericChart LearningRate(TrainingSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return Build(snapshot, [LearningRatePanel(snapshot)], "Learning rate");
    }

    /// <summary>Per-layer gradient norms over steps on a log axis.</summary>
    public static GenericChart GradientNorms(TrainingSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return Build(snapshot, [GradientPanel(snapshot)], "Gradient norms per layer");
    }

    /// <summary>The run's last values as label/value pairs: epoch, step, elapsed time and each series' last value.</summary>
    public static IReadOnlyList<(string Label, string Value)> Facts(TrainingSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var facts = new List<(string, string)>
        {
            ("status", snapshot.IsCompleted ? "finished" : "running"),
            ("epoch", snapshot.LastEpoch?.ToString(CultureInfo.InvariantCulture) ?? "-"),
            ("step", snapshot.LastStep?.ToString(CultureInfo.InvariantCulture) ?? "-"),
            ("elapsed", string.Create(CultureInfo.InvariantCulture, $"{snapshot.Elapsed.TotalSeconds:F1} s")),
        };
        foreach (var s in snapshot.Metrics) facts.Add(($"{s.Name} ({s.Split}), last", Figure.Number(s.Last!.Value)));
        if (snapshot.LearningRate.Last is { } rate) facts.Add(("learning rate, last", Figure.Number(rate.Value)));
        foreach (var g in snapshot.GradientNorms) facts.Add(($"gradient norm {g.Name}, last", Figure.Number(g.Last!.Value)));
        return facts;
    }

    /// <summary>
    /// The chart title: how many epochs were logged and under which numbers (a run that numbers its epochs from 0
    /// and ran 8 reads "8 epochs (0-7)", never "epoch 7"), the last step and whether the run finished.
    /// </summary>
    internal static string Title(TrainingSnapshot snapshot)
    {
        if (snapshot.LastStep is null) return "Training: nothing logged yet";
        var epochs = snapshot.Metrics.SelectMany(m => m.Points).Concat(snapshot.LearningRate.Points.IsDefault ? [] : snapshot.LearningRate.Points)
            .Concat(snapshot.GradientNorms.SelectMany(g => g.Points)).Select(p => p.Epoch).Distinct().Order().ToArray();
        string epochText = epochs.Length == 0 ? $"epoch {snapshot.LastEpoch}"
            : epochs.Length == 1 ? $"1 epoch (numbered {epochs[0]})"
            : epochs[^1] - epochs[0] + 1 == epochs.Length ? $"{epochs.Length} epochs ({epochs[0]}-{epochs[^1]})"
            : $"{epochs.Length} epochs ({epochs[0]}...{epochs[^1]})";
        string state = snapshot.IsCompleted ? " (finished)" : $" (running, epoch {snapshot.LastEpoch})";
        return string.Create(CultureInfo.InvariantCulture, $"Training: {epochText}, last step {snapshot.LastStep}{state}");
    }

    private sealed record Line(string Name, string Group, string Colour, TrainingSeries Series, bool Markers, string Shape = "linear", string Dash = "solid");

    /// <summary>A panel; <paramref name="FromZero"/>: its axis runs from 0 to a little above its largest value.</summary>
    private sealed record Panel(string Title, IReadOnlyList<Line> Lines, bool Log, bool FromZero = false);

    /// <summary>The learning rate's colour (the palette's third); the split colours are its first two.</summary>
    private const string LearningRateColour = "#009E73";

    /// <summary>Layer colours: the palette without the splits' and the learning rate's colours; beyond them the colours repeat dashed.</summary>
    private static readonly string[] LayerColours = ChartTheme.Palette.Where(c => c is not (TrainColour or ValidationColour or LearningRateColour)).ToArray();

    private static Panel MetricPanel(TrainingSnapshot snapshot, string name)
    {
        var lines = snapshot.Metrics.Where(s => s.Name == name).Select((s, i) => new Line(
            PlotText.Escape(s.Split), PlotText.Escape(s.Split),
            s.Split == TrainingSplit.Train ? TrainColour : s.Split == TrainingSplit.Validation ? ValidationColour : LayerColours[i % LayerColours.Length],
            s, Markers: s.Split != TrainingSplit.Train || s.Points.Length <= 50)).ToArray();
        return new Panel(PlotText.Escape(name), lines, Log: false);
    }

    private static Panel LearningRatePanel(TrainingSnapshot snapshot)
        => new(TrainingMonitor.LearningRateName, [new Line(TrainingMonitor.LearningRateName, "learning rate", LearningRateColour, snapshot.LearningRate, Markers: snapshot.LearningRate.Points.Length <= 1, Shape: "hv")], Log: false, FromZero: true);

    private static Panel GradientPanel(TrainingSnapshot snapshot)
        => new("gradient norm (log)", snapshot.GradientNorms.Select((g, i) =>
            new Line(PlotText.Escape(g.Name), "layer " + PlotText.Escape(g.Name), LayerColours[i % LayerColours.Length], g, Markers: g.Points.Length <= 50,
                Dash: (i / LayerColours.Length) switch { 0 => "solid", 1 => "dash", _ => "dot" })).ToArray(), Log: true);

    private static GenericChart Build(TrainingSnapshot snapshot, IReadOnlyList<Panel> panels, string title)
    {
        const double gap = 0.06;
        int count = Math.Max(panels.Count, 1);
        var layout = Figure.Layout(
            ("title", Figure.Title(title)),
            ("height", 90 + 230 * count),
            ("showlegend", true),
            ("legend", Figure.Object(("orientation", "h"), ("x", 0.0), ("y", -0.12 / count), ("yanchor", "top"))),
            ("xaxis", Figure.Axis("step", ("anchor", "y" + (count == 1 ? "" : count.ToString(CultureInfo.InvariantCulture))), ("rangemode", "tozero"))));
        var traces = new List<Trace>();
        var shownGroups = new HashSet<string>(StringComparer.Ordinal);
        for (int p = 0; p < panels.Count; p++)
        {
            var panel = panels[p];
            string suffix = p == 0 ? "" : (p + 1).ToString(CultureInfo.InvariantCulture);
            double top = 1 - (double)p / count, bottom = 1 - (double)(p + 1) / count + gap;
            var axis = Figure.Axis(panel.Title, ("domain", new[] { bottom, top - (p == 0 ? 0 : gap / 4) }), ("anchor", "x"));
            if (panel.Log) Figure.Set(axis, ("type", "log"), ("exponentformat", "power"), ("dtick", 1));
            if (panel.FromZero)
            {
                double max = panel.Lines.SelectMany(l => l.Series.Points).Select(pt => pt.Value).Where(double.IsFinite).DefaultIfEmpty(0).Max();
                Figure.Set(axis, ("range", new[] { 0.0, max > 0 ? max * 1.15 : 1.0 }), ("rangemode", "tozero"), ("exponentformat", "e"));
            }
            layout.SetProperty("yaxis" + suffix, axis);
            foreach (var line in panel.Lines)
            {
                var points = line.Series.Points;
                var y = points.Select(pt => double.IsFinite(pt.Value) && (!panel.Log || pt.Value > 0) ? pt.Value : (double?)null).ToArray();
                traces.Add(Figure.Trace("scatter",
                    ("mode", line.Markers ? "lines+markers" : "lines"),
                    ("name", line.Name), ("legendgroup", line.Group), ("showlegend", shownGroups.Add(line.Group)),
                    ("x", points.Select(pt => pt.Step).ToArray()), ("y", y),
                    ("customdata", points.Select(pt => pt.Epoch).ToArray()),
                    ("xaxis", "x"), ("yaxis", "y" + suffix),
                    ("line", Figure.Object(("color", line.Colour), ("width", 2), ("shape", line.Shape), ("dash", line.Dash))),
                    ("marker", Figure.Object(("color", line.Colour), ("size", 5))),
                    ("connectgaps", false),
                    ("hovertemplate", $"{line.Name}<br>step %{{x}}, epoch %{{customdata}}<br>{panel.Title}: %{{y:.4g}}<extra></extra>")));
            }
        }
        if (panels.Count == 0)
        {
            layout.SetProperty("yaxis", Figure.Axis(""));
            layout.SetProperty("annotations", new[]
            {
                Figure.Object(("text", "nothing logged yet"), ("x", 0.5), ("y", 0.5), ("xref", "paper"), ("yref", "paper"), ("showarrow", false)),
            });
        }
        return Figure.Chart(traces, layout);
    }
}
