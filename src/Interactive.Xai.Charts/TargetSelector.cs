using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>
/// One chart for all explained outputs: every target's traces are built, only the first target's are visible, and
/// a dropdown switches the visible traces together with the target-specific layout settings (axis ticks, titles).
/// Each trace carries its target slot in <c>meta</c>, which the report's linked views read.
/// </summary>
internal static class TargetSelector
{
    public sealed record TargetView(IReadOnlyList<Trace> Traces, IReadOnlyDictionary<string, object> LayoutPatch);

    public static GenericChart Combine(Explanation explanation, Func<int, TargetView> viewFor, Layout layout)
    {
        int targets = explanation.TargetCount;
        var views = Enumerable.Range(0, targets).Select(viewFor).ToArray();
        var traces = new List<Trace>();
        var owner = new List<int>();
        for (int t = 0; t < targets; t++)
            foreach (var trace in views[t].Traces)
            {
                trace.SetProperty("meta", t);
                if (t > 0) trace.SetProperty("visible", false);
                traces.Add(trace);
                owner.Add(t);
            }
        foreach (var (path, value) in views[0].LayoutPatch) SetPath(layout, path, value);
        if (targets > 1)
        {
            var buttons = new List<DynamicObj.DynamicObj>();
            for (int t = 0; t < targets; t++)
            {
                var visible = owner.Select(o => (object)(o == t)).ToArray();
                var patch = new Dictionary<string, object>(views[t].LayoutPatch);
                buttons.Add(Figure.Object(
                    ("label", PlotText.Escape(explanation.OutputNames[t])),
                    ("method", "update"),
                    ("args", new object[] { new Dictionary<string, object> { ["visible"] = visible }, patch })));
            }
            layout.SetProperty("updatemenus", new[]
            {
                Figure.Object(("type", "dropdown"), ("buttons", buttons), ("active", 0), ("x", 1.0), ("xanchor", "right"),
                    ("y", 1.12), ("yanchor", "bottom"), ("showactive", true), ("bgcolor", "#ffffff")),
            });
        }
        return Figure.Chart(traces, layout);
    }

    /// <summary>The escaped name of one target's output.</summary>
    public static string OutputLabel(Explanation explanation, int target) => PlotText.Escape(explanation.OutputNames[target]);

    /// <summary>How a chart title names the output: its name, or "the selected output" when a dropdown chooses it.</summary>
    public static string TitleLabel(Explanation explanation)
        => explanation.TargetCount > 1 ? "selected output" : OutputLabel(explanation, 0);

    private static void SetPath(DynamicObj.DynamicObj root, string path, object value)
    {
        var parts = path.Split('.');
        var node = root;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (node.TryGetPropertyValue(parts[i]) is { } existing && existing.Value is DynamicObj.DynamicObj child) node = child;
            else
            {
                var created = new DynamicObj.DynamicObj();
                node.SetProperty(parts[i], created);
                node = created;
            }
        }
        node.SetProperty(parts[^1], value);
    }
}
