using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>How the rows of an attribution heatmap are ordered.</summary>
public enum HeatmapRowOrder
{
    /// <summary>By the model's prediction, ascending.</summary>
    Prediction,
    /// <summary>In the order the rows were explained.</summary>
    Input,
}

/// <summary>
/// Charts for attribution explanations (Shapley values and other additive attributions): global importance,
/// beeswarm summary, one row's waterfall, dependence scatter and a rows x features heatmap. Multi-output
/// explanations get a dropdown between outputs in the same chart.
/// </summary>
public static class AttributionCharts
{
    /// <summary>Above this many points the beeswarm and dependence charts draw with WebGL.</summary>
    public const int WebGLThreshold = 2000;

    /// <summary>Global importance: mean |attribution| per feature, largest on top.</summary>
    public static GenericChart Importance(AttributionExplanation explanation, int maxFeatures = 20)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFeatures, 1);
        var layout = Figure.Layout(
            ("title", Figure.Title($"Feature importance (mean |attribution|, {Label(explanation)})")),
            ("xaxis", Figure.Axis("mean |attribution| (output units)", ("rangemode", "tozero"))),
            ("yaxis", Figure.Axis("")),
            ("height", 120 + 26 * Math.Min(maxFeatures + 1, explanation.FeatureCount)),
            ("showlegend", false));
        return TargetSelector.Combine(explanation, target =>
        {
            var means = explanation.MeanAbsoluteValues(target);
            var (shown, otherCount, otherValue) = TopFeatures(means, maxFeatures, (kept, rest) => rest.Sum(f => means[f]));
            var labels = new List<string>();
            var values = new List<double>();
            if (otherCount > 0) { labels.Add($"sum of {otherCount} other features"); values.Add(otherValue); }
            foreach (int f in shown.Reverse()) { labels.Add(PlotText.Escape(explanation.FeatureNames[f])); values.Add(means[f]); }
            var positions = Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray();
            var bar = Figure.Trace("bar",
                ("orientation", "h"), ("x", values.ToArray()), ("y", positions), ("text", labels.ToArray()), ("textposition", "none"),
                ("marker", Figure.Object(("color", ChartTheme.Positive))),
                ("hovertemplate", "%{text}: %{x:.4g}<extra></extra>"));
            return new TargetSelector.TargetView([bar], TickPatch("yaxis", positions, labels));
        }, layout);
    }

    /// <summary>
    /// Beeswarm summary: one dot per row and feature at its attribution, stacked where dots crowd, coloured by the
    /// feature's value (low to high within the feature, 5th to 95th percentile). Features sorted by mean |attribution|.
    /// </summary>
    public static GenericChart Beeswarm(AttributionExplanation explanation, int maxFeatures = 20)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFeatures, 1);
        bool webgl = explanation.RowCount * Math.Min(maxFeatures, explanation.FeatureCount) > WebGLThreshold;
        var layout = Figure.Layout(
            ("title", Figure.Title($"Attributions per row ({Label(explanation)}); click a dot to see its row")),
            ("xaxis", Figure.Axis("attribution (impact on model output)", ("zeroline", true))),
            ("yaxis", Figure.Axis("", ("zeroline", false), ("showgrid", false))),
            ("height", 140 + 34 * Math.Min(maxFeatures + 1, explanation.FeatureCount)),
            ("showlegend", false));
        var columns = Enumerable.Range(0, explanation.FeatureCount).Select(explanation.Data.Column).ToArray();
        return TargetSelector.Combine(explanation, target =>
        {
            var means = explanation.MeanAbsoluteValues(target);
            var (shown, otherCount, _) = TopFeatures(means, maxFeatures, (_, _) => 0);
            var traces = new List<Trace>();
            var labels = new List<string>();
            int position = 0;
            if (otherCount > 0)
            {
                var rest = Enumerable.Range(0, explanation.FeatureCount).Except(shown).ToArray();
                var sums = new double[explanation.RowCount];
                for (int r = 0; r < sums.Length; r++) foreach (int f in rest) sums[r] += explanation.Value(r, f, target);
                traces.Add(SwarmTrace(webgl, sums, null, position, $"sum of {otherCount} other features", showScale: false));
                labels.Add($"sum of {otherCount} other features");
                position++;
            }
            bool first = true;
            foreach (int f in shown.Reverse())
            {
                var values = new double[explanation.RowCount];
                for (int r = 0; r < values.Length; r++) values[r] = explanation.Value(r, f, target);
                string name = PlotText.Escape(explanation.FeatureNames[f]);
                traces.Add(SwarmTrace(webgl, values, columns[f], position, name, showScale: first));
                first = false;
                labels.Add(name);
                position++;
            }
            var positions = Enumerable.Range(0, labels.Count).Select(i => (double)i).ToArray();
            return new TargetSelector.TargetView(traces, TickPatch("yaxis", positions, labels));
        }, layout);
    }

    /// <summary>
    /// One row's waterfall: from the base value E[f(x)] through the sorted contributions to the prediction f(x); the
    /// smallest contributions beyond <paramref name="maxFeatures"/> - 1 are summed into one "other features" step.
    /// </summary>
    public static GenericChart Waterfall(AttributionExplanation explanation, int row, int maxFeatures = 10)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFeatures, 2);
        if ((uint)row >= (uint)explanation.RowCount) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is outside 0..{explanation.RowCount - 1}");
        var layout = Figure.Layout(("showlegend", false), ("height", 160 + 30 * Math.Min(maxFeatures + 1, explanation.FeatureCount + 1)));
        return TargetSelector.Combine(explanation, target =>
        {
            var steps = WaterfallSteps(explanation, row, target, maxFeatures);
            return new TargetSelector.TargetView([WaterfallTrace(steps)], WaterfallLayoutPatch(explanation, steps, row, target));
        }, layout);
    }

    /// <summary>
    /// Dependence scatter: the feature's value against its attribution, one dot per row, coloured by the feature
    /// that interacts with it most strongly (see <see cref="InteractionHeuristic"/>) unless <paramref name="colorBy"/> names one.
    /// </summary>
    public static GenericChart Dependence(AttributionExplanation explanation, string feature, string? colorBy = null)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        int f = FeatureIndex(explanation, feature);
        int? fixedColour = colorBy is null ? null : FeatureIndex(explanation, colorBy);
        var x = explanation.Data.Column(f).Select(v => (double)v).ToArray();
        bool webgl = explanation.RowCount > WebGLThreshold;
        string name = PlotText.Escape(explanation.FeatureNames[f]);
        var layout = Figure.Layout(
            ("title", Figure.Title($"Dependence of {Label(explanation)} on {name}")),
            ("xaxis", Figure.Axis(name)),
            ("yaxis", Figure.Axis($"attribution of {name}")),
            ("showlegend", false));
        return TargetSelector.Combine(explanation, target =>
        {
            var y = new double[explanation.RowCount];
            for (int r = 0; r < y.Length; r++) y[r] = explanation.Value(r, f, target);
            int colour = fixedColour ?? InteractionHeuristic.StrongestInteraction(explanation, f, target);
            var customData = new object[explanation.RowCount][];
            DynamicObj.DynamicObj marker;
            string hover;
            if (colour >= 0)
            {
                var colourValues = explanation.Data.Column(colour);
                string colourName = PlotText.Escape(explanation.FeatureNames[colour]);
                for (int r = 0; r < customData.Length; r++) customData[r] = [r, colourValues[r]];
                marker = Figure.Object(("size", 6), ("color", colourValues.Select(v => (double)v).ToArray()), ("colorscale", ChartTheme.SequentialScale),
                    ("showscale", true), ("colorbar", Figure.Object(("title", Figure.ColourBarTitle(colourName)), ("thickness", 12))));
                hover = $"row %{{customdata[0]}}<br>{name} = %{{x:.4g}}<br>attribution %{{y:.4g}}<br>{colourName} = %{{customdata[1]:.4g}}<extra></extra>";
            }
            else
            {
                for (int r = 0; r < customData.Length; r++) customData[r] = [r];
                marker = Figure.Object(("size", 6), ("color", ChartTheme.Palette[0]));
                hover = $"row %{{customdata[0]}}<br>{name} = %{{x:.4g}}<br>attribution %{{y:.4g}}<extra></extra>";
            }
            var trace = Figure.Trace(webgl ? "scattergl" : "scatter", ("mode", "markers"), ("x", x), ("y", Figure.Compact(y)),
                ("customdata", customData), ("marker", marker), ("hovertemplate", hover));
            return new TargetSelector.TargetView([trace], new Dictionary<string, object>());
        }, layout);
    }

    /// <summary>
    /// Heatmap of attributions, rows (columns of the map) ordered by prediction or input order, features (map rows)
    /// sorted by mean |attribution|; a diverging scale centred on zero. Click a cell to see its row.
    /// </summary>
    public static GenericChart Heatmap(AttributionExplanation explanation, HeatmapRowOrder order = HeatmapRowOrder.Prediction, int maxFeatures = 20)
    {
        ArgumentNullException.ThrowIfNull(explanation);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFeatures, 1);
        var layout = Figure.Layout(
            ("title", Figure.Title($"Attributions, rows x features ({Label(explanation)})")),
            ("xaxis", Figure.Axis(order == HeatmapRowOrder.Prediction ? "rows, by prediction (ascending)" : "rows, in input order", ("showgrid", false))),
            ("yaxis", Figure.Axis("", ("showgrid", false))),
            ("height", 160 + 24 * Math.Min(maxFeatures, explanation.FeatureCount)));
        return TargetSelector.Combine(explanation, target =>
        {
            var rows = Enumerable.Range(0, explanation.RowCount).ToArray();
            if (order == HeatmapRowOrder.Prediction) rows = rows.OrderBy(r => explanation.Prediction(r, target)).ThenBy(r => r).ToArray();
            var means = explanation.MeanAbsoluteValues(target);
            var (shown, _, _) = TopFeatures(means, maxFeatures, (_, _) => 0);
            var features = shown.Reverse().ToArray();
            var z = new float[features.Length][];
            var custom = new int[features.Length][];
            double extent = 0;
            for (int i = 0; i < features.Length; i++)
            {
                z[i] = new float[rows.Length];
                custom[i] = rows;
                for (int c = 0; c < rows.Length; c++)
                {
                    double value = explanation.Value(rows[c], features[i], target);
                    z[i][c] = (float)value;
                    extent = Math.Max(extent, Math.Abs(value));
                }
            }
            var labels = features.Select(f => PlotText.Escape(explanation.FeatureNames[f])).ToArray();
            var positions = Enumerable.Range(0, labels.Length).Select(i => (double)i).ToArray();
            // One output: the features are the y categories, so hover names them without a per-cell text array.
            // Several outputs order features differently, so y stays numeric with per-output ticks and per-cell text.
            bool categorical = explanation.TargetCount == 1;
            var heatmap = Figure.Trace("heatmap", ("z", z), ("x", Enumerable.Range(0, rows.Length).ToArray()),
                ("y", categorical ? labels : positions), ("customdata", custom),
                ("text", categorical ? null : features.Select(f => Enumerable.Repeat(PlotText.Escape(explanation.FeatureNames[f]), rows.Length).ToArray()).ToArray()),
                ("colorscale", ChartTheme.DivergingScale), ("zmin", -extent), ("zmax", extent), ("zmid", 0.0),
                ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("attribution")), ("thickness", 12))),
                ("hovertemplate", categorical ? "row %{customdata}<br>%{y}: %{z:.4g}<extra></extra>" : "row %{customdata}<br>%{text}: %{z:.4g}<extra></extra>"));
            if (categorical) return new TargetSelector.TargetView([heatmap], new Dictionary<string, object>());
            return new TargetSelector.TargetView([heatmap], TickPatch("yaxis", positions, labels));
        }, layout);
    }

    /// <summary>The steps of one row's waterfall, bottom to top, before the final total.</summary>
    internal sealed record Steps(string[] Labels, double[] Values, double BaseValue, double Prediction);

    internal static Steps WaterfallSteps(AttributionExplanation explanation, int row, int target, int maxFeatures)
    {
        var values = explanation.RowValues(row, target);
        var data = explanation.Data.Row(row);
        var magnitude = values.Select(Math.Abs).ToArray();
        int keep = explanation.FeatureCount <= maxFeatures ? explanation.FeatureCount : maxFeatures - 1;
        var sorted = Enumerable.Range(0, explanation.FeatureCount).OrderByDescending(f => magnitude[f]).ThenBy(f => f).ToArray();
        var labels = new List<string>();
        var steps = new List<double>();
        if (keep < explanation.FeatureCount)
        {
            labels.Add($"{explanation.FeatureCount - keep} other features");
            steps.Add(sorted.Skip(keep).Sum(f => values[f]));
        }
        foreach (int f in sorted.Take(keep).Reverse())
        {
            labels.Add($"{PlotText.Escape(explanation.FeatureNames[f])} = {Figure.Number(data[f])}");
            steps.Add(values[f]);
        }
        return new Steps([.. labels], [.. steps], explanation.BaseValue(target), explanation.Prediction(row, target));
    }

    internal static Trace WaterfallTrace(Steps steps)
    {
        var labels = steps.Labels.Append("f(x)").ToArray();
        var x = steps.Values.Append(0.0).ToArray();
        var measure = steps.Values.Select(_ => "relative").Append("total").ToArray();
        var text = steps.Values.Select(v => (v >= 0 ? "+" : "") + Figure.Number(v)).Append(Figure.Number(steps.Prediction)).ToArray();
        return Figure.Trace("waterfall",
            ("orientation", "h"), ("y", labels), ("x", x), ("measure", measure), ("base", steps.BaseValue),
            ("text", text), ("textposition", "outside"), ("cliponaxis", false),
            ("increasing", Figure.Object(("marker", Figure.Object(("color", ChartTheme.Positive))))),
            ("decreasing", Figure.Object(("marker", Figure.Object(("color", ChartTheme.Negative))))),
            ("totals", Figure.Object(("marker", Figure.Object(("color", ChartTheme.Neutral))))),
            ("connector", Figure.Object(("line", Figure.Object(("color", "#BBBBBB"), ("width", 1))))),
            ("hovertemplate", "%{y}: %{text}<extra></extra>"));
    }

    internal static Dictionary<string, object> WaterfallLayoutPatch(AttributionExplanation explanation, Steps steps, int row, int target) => new()
    {
        ["title.text"] = $"Row {row}: {Label(explanation, target)} = {Figure.Number(steps.Prediction)} (base value {Figure.Number(steps.BaseValue)})",
        ["xaxis.title.text"] = $"model output; bars start at the base value E[f(x)] = {Figure.Number(steps.BaseValue)}",
        ["xaxis.automargin"] = true,
        ["yaxis.automargin"] = true,
        ["yaxis.type"] = "category",
        ["xaxis.range"] = WaterfallRange(steps),
        ["xaxis.autorange"] = false,
    };

    /// <summary>
    /// The x range of a waterfall: every running total from the base value to f(x), widened by a fifth of its span on
    /// each side so the value printed outside a bar at either end stays clear of the row labels and the figure edge.
    /// </summary>
    internal static double[] WaterfallRange(Steps steps)
    {
        double position = steps.BaseValue, low = Math.Min(position, steps.Prediction), high = Math.Max(position, steps.Prediction);
        foreach (var v in steps.Values)
        {
            position += v;
            low = Math.Min(low, position);
            high = Math.Max(high, position);
        }
        double span = high - low;
        if (!(span > 0)) span = Math.Max(Math.Abs(high), 1);
        return [low - 0.2 * span, high + 0.2 * span];
    }

    private static (int[] Shown, int OtherCount, double OtherValue) TopFeatures(double[] score, int maxFeatures, Func<int[], int[], double> other)
    {
        int count = score.Length;
        var order = Enumerable.Range(0, count).OrderByDescending(f => score[f]).ThenBy(f => f).ToArray();
        if (count <= maxFeatures) return (order, 0, 0);
        var shown = order.Take(maxFeatures - 1).ToArray();
        var rest = order.Skip(maxFeatures - 1).ToArray();
        return (shown, rest.Length, other(shown, rest));
    }

    private static Trace SwarmTrace(bool webgl, double[] values, float[]? featureValues, int position, string name, bool showScale)
    {
        var y = SwarmOffsets(values).Select(o => Math.Round(position + o, 3)).ToArray();
        var custom = new object[values.Length][];
        DynamicObj.DynamicObj marker;
        string hover;
        if (featureValues is null)
        {
            for (int r = 0; r < values.Length; r++) custom[r] = [r];
            marker = Figure.Object(("size", 5), ("color", ChartTheme.Neutral));
            hover = $"{name}<br>attribution %{{x:.4g}}<br>row %{{customdata[0]}}<extra></extra>";
        }
        else
        {
            var colour = Figure.Compact(ColourPositions(featureValues));
            for (int r = 0; r < values.Length; r++) custom[r] = [r, featureValues[r]];
            marker = Figure.Object(("size", 5), ("color", colour), ("colorscale", ChartTheme.SequentialScale), ("cmin", 0.0), ("cmax", 1.0),
                ("showscale", showScale),
                ("colorbar", Figure.Object(("title", Figure.ColourBarTitle("feature value")), ("tickvals", new[] { 0.0, 1.0 }), ("ticktext", new[] { "low", "high" }), ("thickness", 12))));
            hover = $"{name} = %{{customdata[1]:.4g}}<br>attribution %{{x:.4g}}<br>row %{{customdata[0]}}<extra></extra>";
        }
        return Figure.Trace(webgl ? "scattergl" : "scatter", ("mode", "markers"), ("name", name), ("x", Figure.Compact(values)), ("y", y),
            ("customdata", custom), ("marker", marker), ("hovertemplate", hover));
    }

    /// <summary>Vertical offsets that stack dots sharing a value bin symmetrically around the feature's line.</summary>
    internal static double[] SwarmOffsets(double[] values)
    {
        const int bins = 100;
        var offsets = new double[values.Length];
        if (values.Length == 0) return offsets;
        double min = values.Min(), max = values.Max();
        double width = max > min ? (max - min) / bins : 1;
        var groups = Enumerable.Range(0, values.Length).GroupBy(r => (int)Math.Min(bins - 1, Math.Floor((values[r] - min) / width))).ToArray();
        int deepest = groups.Max(g => g.Count());
        double spacing = deepest <= 1 ? 0 : Math.Min(0.08, 0.8 / deepest);
        foreach (var group in groups)
        {
            int k = 0;
            foreach (int r in group.OrderBy(r => values[r]).ThenBy(r => r))
            {
                int layer = (k + 1) / 2;
                offsets[r] = (k % 2 == 1 ? 1 : -1) * layer * spacing;
                k++;
            }
        }
        return offsets;
    }

    /// <summary>Feature values mapped to [0, 1] between their 5th and 95th percentiles (0.5 when constant).</summary>
    internal static double[] ColourPositions(float[] values)
    {
        var sorted = values.Select(v => (double)v).Order().ToArray();
        double low = sorted[(int)Math.Floor(0.05 * (sorted.Length - 1))], high = sorted[(int)Math.Ceiling(0.95 * (sorted.Length - 1))];
        if (high <= low) { low = sorted[0]; high = sorted[^1]; }
        return values.Select(v => high > low ? Math.Clamp((v - low) / (high - low), 0, 1) : 0.5).ToArray();
    }

    internal static Dictionary<string, object> TickPatch(string axis, double[] positions, IReadOnlyList<string> labels) => new()
    {
        [axis + ".tickvals"] = positions,
        [axis + ".ticktext"] = labels.ToArray(),
        [axis + ".range"] = new[] { -0.6, positions.Length - 0.4 },
    };

    internal static int FeatureIndex(AttributionExplanation explanation, string feature)
    {
        int index = explanation.FeatureNames.IndexOf(feature);
        if (index < 0) throw new XaiException($"unknown feature '{feature}'; the explanation has: {string.Join(", ", explanation.FeatureNames)}");
        return index;
    }

    private static string Label(Explanation explanation) => TargetSelector.TitleLabel(explanation);

    private static string Label(Explanation explanation, int target) => TargetSelector.OutputLabel(explanation, target);
}
