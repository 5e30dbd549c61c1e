using System.Globalization;
using Interactive.Xai.Inspection;
using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>
/// Weight and gradient distributions over training, per tensor (TensorBoard's distribution and histogram views), from
/// <see cref="TrainingSnapshot.Distributions"/>.
/// </summary>
public static class TrainingDistributionCharts
{
    private static readonly string[] BandNames = ["min to max", "6.7 % to 93.3 %", "15.9 % to 84.1 %", "30.9 % to 69.1 %"];
    private static readonly double[] BandOpacity = [0.12, 0.22, 0.34, 0.48];

    /// <summary>
    /// One small plot per tensor (at most <paramref name="maxTensors"/>, in logging order): the median by epoch and
    /// shaded bands between the quantile pairs (minimum to maximum, then the normal distribution's ±1.5σ, ±1σ and
    /// ±0.5σ points), so a reader sees each tensor's spread grow, shrink or drift as training goes on.
    /// </summary>
    /// <exception cref="XaiException">No distributions of <paramref name="kind"/> were logged.</exception>
    public static GenericChart Bands(TrainingDistributions distributions, DistributionKind kind, int maxTensors = 12)
    {
        ArgumentNullException.ThrowIfNull(distributions);
        var tensors = distributions.Tensors(kind);
        if (tensors.Count == 0) throw NoneLogged(kind);
        var shown = tensors.Take(Math.Max(1, maxTensors)).ToArray();
        string what = kind == DistributionKind.Weights ? "Weight" : "Gradient";
        string title = $"{what} distributions over training: median and quantile bands per tensor, by epoch{(shown.Length < tensors.Count ? $" (first {shown.Length} of {tensors.Count} tensors)" : "")}";
        var grid = SmallMultiples.For(shown.Length, columns: 2, cellHeight: 220, title);
        var traces = new List<Trace>();
        var entries = new List<(string Key, object? Value)>();
        var titles = new List<object>();
        string colour = kind == DistributionKind.Weights ? ChartTheme.Palette[0] : ChartTheme.Palette[3];
        for (int i = 0; i < shown.Length; i++)
        {
            var series = distributions.Series(shown[i], kind).Where(e => e.Distribution.Count > 0).ToArray();
            string s = SmallMultiples.Suffix(i);
            var epochs = series.Select(e => e.Epoch).ToArray();
            float[] Quantile(int q) => series.Select(e => (float)e.Distribution.Quantiles[q]).ToArray();
            for (int band = 0; band < 4; band++)
            {
                traces.Add(Figure.Trace("scatter", ("x", epochs), ("y", Quantile(band)), ("mode", "lines"), ("line", Figure.Object(("width", 0), ("color", colour))),
                    ("xaxis", "x" + s), ("yaxis", "y" + s), ("showlegend", false), ("hoverinfo", "skip")));
                traces.Add(Figure.Trace("scatter", ("x", epochs), ("y", Quantile(8 - band)), ("mode", "lines"), ("fill", "tonexty"),
                    ("fillcolor", Rgba(colour, BandOpacity[band])), ("line", Figure.Object(("width", 0), ("color", colour))),
                    ("name", BandNames[band]), ("legendgroup", BandNames[band]), ("showlegend", i == 0),
                    ("xaxis", "x" + s), ("yaxis", "y" + s), ("hoverinfo", "skip")));
            }
            var hover = series.Select(e => string.Create(CultureInfo.InvariantCulture,
                $"epoch {e.Epoch}<br>median {Figure.Number(e.Distribution.Median)}<br>min {Figure.Number(e.Distribution.Minimum)}, max {Figure.Number(e.Distribution.Maximum)}<br>mean {Figure.Number(e.Distribution.Mean)}, std {Figure.Number(e.Distribution.StandardDeviation)}<br>{e.Distribution.Count:N0} values{(e.Distribution.NonFiniteCount > 0 ? $", {e.Distribution.NonFiniteCount:N0} not finite" : "")}")).ToArray();
            traces.Add(Figure.Trace("scatter", ("x", epochs), ("y", Quantile(4)), ("mode", epochs.Length == 1 ? "markers" : "lines+markers"),
                ("line", Figure.Object(("color", colour), ("width", 2))), ("marker", Figure.Object(("color", colour), ("size", 5))),
                ("name", "median"), ("legendgroup", "median"), ("showlegend", i == 0), ("text", hover), ("hovertemplate", "%{text}<extra>" + PlotText.Escape(shown[i]) + "</extra>"),
                ("xaxis", "x" + s), ("yaxis", "y" + s)));
            var (x, y, label) = grid.Plot(i,
                Figure.Axis("epoch", ("dtick", epochs.Length <= 12 ? 1 : (object?)null)),
                Figure.Axis(kind == DistributionKind.Weights ? "value" : "gradient", ("exponentformat", "power")),
                PlotText.Escape(shown[i]));
            entries.Add(x);
            entries.Add(y);
            titles.Add(label);
        }
        var layout = Figure.Layout([("title", Figure.Title(title)), .. entries, ("annotations", titles.ToArray()),
            ("height", grid.Height), ("margin", Figure.Object(("l", 10), ("r", 10), ("t", grid.Top), ("b", grid.Bottom))),
            ("legend", Figure.Object(("x", 1.02), ("xanchor", "left"), ("y", 1.0), ("yanchor", "top"), ("title", Figure.Title("quantiles"))))]);
        return Figure.Chart(traces, layout);
    }

    /// <summary>
    /// One tensor's histograms, one per epoch, stacked bottom (first epoch) to top (last) as a ridgeline: each curve's
    /// height is its bin count relative to the largest bin of any epoch, so a reader sees the shape change over
    /// training (TensorBoard's histogram view). At most <paramref name="maxEpochs"/> epochs are drawn, evenly picked.
    /// </summary>
    /// <exception cref="XaiException">The tensor has no distributions of <paramref name="kind"/>.</exception>
    public static GenericChart Histograms(TrainingDistributions distributions, DistributionKind kind, string? tensor = null, int maxEpochs = 30)
    {
        ArgumentNullException.ThrowIfNull(distributions);
        var tensors = distributions.Tensors(kind);
        if (tensors.Count == 0) throw NoneLogged(kind);
        tensor ??= tensors[0];
        var series = distributions.Series(tensor, kind).Where(e => e.Distribution.Count > 0).ToArray();
        if (series.Length == 0)
            throw new XaiException($"No {Name(kind)} distributions were logged for tensor '{tensor}' (tensors: {string.Join(", ", tensors.Take(20))}).");
        if (series.Length > maxEpochs)
            series = Enumerable.Range(0, maxEpochs).Select(i => series[(int)Math.Round(i * (series.Length - 1.0) / (maxEpochs - 1))]).Distinct().ToArray();
        double largest = series.Max(e => (double)e.Distribution.Counts.Max());
        const double overlap = 1.6;
        var traces = new List<Trace>();
        // Later epochs first, so the earlier (lower) ridges are drawn over them and stay visible.
        for (int k = series.Length - 1; k >= 0; k--)
        {
            var d = series[k].Distribution;
            int epoch = series[k].Epoch;
            int bins = d.Counts.Length;
            var x = new List<float>();
            var y = new List<float>();
            var text = new List<string>();
            x.Add((float)d.BinEdges[0]);
            y.Add(epoch);
            text.Add("");
            for (int b = 0; b < bins; b++)
            {
                x.Add((float)((d.BinEdges[b] + d.BinEdges[b + 1]) / 2));
                y.Add((float)(epoch + overlap * d.Counts[b] / largest));
                text.Add(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}<br>{Figure.Number(d.BinEdges[b])} to {Figure.Number(d.BinEdges[b + 1])}: {d.Counts[b]:N0} values"));
            }
            x.Add((float)d.BinEdges[^1]);
            y.Add(epoch);
            text.Add("");
            double shade = series.Length == 1 ? 1 : (double)k / (series.Length - 1);
            string colour = Interpolate("#9ECAE1", kind == DistributionKind.Weights ? "#08306B" : "#7F2704", shade, kind);
            traces.Add(Figure.Trace("scatter", ("x", x.ToArray()), ("y", y.ToArray()), ("mode", "lines"), ("fill", "toself"),
                ("fillcolor", "rgba(255,255,255,0.85)"), ("line", Figure.Object(("color", colour), ("width", 1.5))),
                ("name", $"epoch {epoch}"), ("showlegend", false), ("text", text.ToArray()), ("hovertemplate", "%{text}<extra></extra>")));
        }
        int first = series[0].Epoch, last = series[^1].Epoch;
        string title = $"{PlotText.Escape(tensor)}: {Name(kind)} histogram per epoch ({series[0].Distribution.Counts.Length} bins from each epoch's min to max; height relative to the largest bin)";
        var layout = Figure.Layout(
            ("title", Figure.Title(title)),
            ("xaxis", Figure.Axis(kind == DistributionKind.Weights ? "value" : "gradient", ("exponentformat", "power"))),
            ("yaxis", Figure.Axis("epoch", ("range", new[] { first - 0.3, last + overlap + 0.3 }), ("dtick", series.Length <= 15 ? 1 : (object?)null), ("showgrid", true))),
            ("height", Math.Clamp(200 + 28 * series.Length, 360, 900)),
            ("margin", Figure.Object(("l", 10), ("r", 10), ("t", Figure.TopMargin(Figure.TitleLines(title))), ("b", 50))));
        return Figure.Chart(traces, layout);
    }

    private static string Name(DistributionKind kind) => kind == DistributionKind.Weights ? "weight" : "gradient";

    private static XaiException NoneLogged(DistributionKind kind)
        => new($"No {Name(kind)} distributions were logged; call ParameterDistributions.Log (or TrainingMonitor.LogDistributions) once per epoch while training.");

    private static string Rgba(string hex, double alpha)
    {
        int r = Convert.ToInt32(hex.Substring(1, 2), 16), g = Convert.ToInt32(hex.Substring(3, 2), 16), b = Convert.ToInt32(hex.Substring(5, 2), 16);
        return string.Create(CultureInfo.InvariantCulture, $"rgba({r},{g},{b},{alpha:0.##})");
    }

    private static string Interpolate(string from, string to, double t, DistributionKind kind)
    {
        if (kind == DistributionKind.Gradients) from = "#FDAE6B";
        int C(string hex, int at) => Convert.ToInt32(hex.Substring(at, 2), 16);
        int Mix(int at) => (int)Math.Round(C(from, at) + (C(to, at) - C(from, at)) * t);
        return $"#{Mix(1):X2}{Mix(3):X2}{Mix(5):X2}";
    }
}
