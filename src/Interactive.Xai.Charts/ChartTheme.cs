using Plotly.NET;

namespace Interactive.Xai.Charts;

/// <summary>
/// The charts' look: a light layout and the Okabe–Ito palette, which stays distinguishable under the common
/// colour-vision deficiencies. Positive contributions are vermillion, negative ones blue, as in SHAP's plots.
/// </summary>
public static class ChartTheme
{
    /// <summary>The Okabe–Ito palette (black omitted) used for categorical colours, in order.</summary>
    public static IReadOnlyList<string> Palette { get; } =
        ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"];

    /// <summary>The colour of positive contributions (vermillion).</summary>
    public const string Positive = "#D55E00";

    /// <summary>The colour of negative contributions (blue).</summary>
    public const string Negative = "#0072B2";

    /// <summary>The colour of totals, reference lines and de-emphasised marks.</summary>
    public const string Neutral = "#7F7F7F";

    /// <summary>The sequential colour scale for feature values (Viridis: perceptually uniform, colour-blind safe).</summary>
    public const string SequentialScale = "Viridis";

    /// <summary>A diverging blue–white–vermillion scale for signed values centred on zero.</summary>
    public static IReadOnlyList<object[]> DivergingScale { get; } =
        [[0.0, Negative], [0.5, "#F7F7F7"], [1.0, Positive]];

    internal static void Apply(Layout layout)
    {
        Figure.Set(layout,
            ("font", Figure.Object(("family", "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"), ("size", 13), ("color", "#222"))),
            ("paper_bgcolor", "#ffffff"),
            ("plot_bgcolor", "#ffffff"),
            ("colorway", Palette),
            ("hovermode", "closest"),
            ("margin", Figure.Object(("l", 10), ("r", 10), ("t", 60), ("b", 50))),
            ("hoverlabel", Figure.Object(("bgcolor", "#ffffff"), ("font", Figure.Object(("size", 12))))));
    }

    internal static void StyleAxis(DynamicObj.DynamicObj axis)
        => Figure.Set(axis, ("gridcolor", "#E5E5E5"), ("zerolinecolor", "#9A9A9A"), ("linecolor", "#9A9A9A"), ("ticks", "outside"), ("tickcolor", "#9A9A9A"));
}
