using System.Text.RegularExpressions;
using Interactive.Xai.Charts;
using Interactive.Xai.MLNet;
using Interactive.Xai.Notebook;
using Interactive.Xai.Onnx;
using Microsoft.Data.Analysis;

namespace Interactive.Xai.Tests;

public class FormatterTests
{
    public FormatterTests() => NotebookFormatters.Register();

    private static AttributionExplanation LinearShap(int rows = 20)
    {
        var data = Fixtures.Table(rows, 5);
        return new ExactShapleyExplainer(Fixtures.Linear(), WeightedBackground.FromTable(Fixtures.Table(10, 6))).Explain(data);
    }

    private static int ChartCount(string html) => Regex.Matches(html, "<div class=\"xai-chart\"").Count;

    [Fact]
    public void An_attribution_explanation_renders_as_importance_beeswarm_and_waterfall_charts()
    {
        string html = NotebookFormatters.ToHtml(LinearShap());

        Assert.Equal(3, ChartCount(html));
        Assert.Contains("Plotly.newPlot", html);
        Assert.Contains("additivity error", html);
        Assert.Contains("Feature importance", html);
    }

    [Fact]
    public void Every_explanation_type_renders_as_its_chart()
    {
        var model = Fixtures.Linear();
        var data = Fixtures.Table(50, 2);
        var ds = Fixtures.LinearDataset(50);
        Explanation[] explanations =
        [
            new PermutationImportanceExplainer(model, new PermutationImportanceOptions { Repeats = 2 }).Explain(ds.Features, ds.Labels),
            new PartialDependenceExplainer(model).Explain(data, "a"),
            new PartialDependenceExplainer(model).Explain2D(data, "a", "b"),
            new AccumulatedLocalEffectsExplainer(model).Explain(data, "b"),
        ];
        foreach (var explanation in explanations)
        {
            string html = NotebookFormatters.ToHtml(explanation);
            Assert.True(ChartCount(html) >= 1, explanation.GetType().Name);
            Assert.DoesNotContain("dni-treeview", html);
        }
    }

    [Fact]
    public void A_plotly_chart_renders_as_a_chart_div_with_its_figure()
    {
        var chart = AttributionCharts.Importance(LinearShap());
        string html = NotebookFormatters.ToHtml(chart);

        Assert.Equal(1, ChartCount(html));
        Assert.Contains("\"type\":\"bar\"", html);
        Assert.Contains("data-xai-requires=\"plotly.js@2.28.0\"", html);
    }

    [Fact]
    public void User_text_is_escaped_in_explanation_views()
    {
        var names = new[] { Fixtures.XssName, "b", "c", "d" };
        var data = Fixtures.Table(5, 1, names);
        var model = DelegateModel.Linear(Fixtures.Weights, 0, names);
        var explanation = new ExactShapleyExplainer(model, WeightedBackground.FromTable(data)).Explain(data);

        string html = NotebookFormatters.ToHtml(new AttributionComparison(0, [explanation]));

        Assert.DoesNotContain("<img", html);
    }

    [Fact]
    public void A_DataFrame_renders_as_a_paged_table_with_column_summaries()
    {
        var frame = new DataFrame(
            new SingleDataFrameColumn("x", Enumerable.Range(0, 25).Select(i => (float)i)),
            new Int32DataFrameColumn("n", Enumerable.Range(0, 25).Select(i => i % 2 == 0 ? (int?)i : null)),
            new StringDataFrameColumn(Fixtures.XssName, Enumerable.Range(0, 25).Select(i => "v" + (i % 3))));
        TableView.PageSize = 10;

        string html = NotebookFormatters.ToHtml(frame);

        Assert.Contains("25 rows x 3 columns", html);
        Assert.Contains("<table class=\"xai-summary\">", html);
        // x: float, no missing, 0..24, histogram; n: 12 missing; the string column: 3 distinct
        Assert.Contains("<tr><td>x</td><td>float</td><td>0</td><td>0</td><td>24</td><td><svg class=\"xai-histogram\"", html);
        Assert.Contains("<tr><td>n</td><td>int</td><td>12</td><td>0</td><td>24</td>", html);
        Assert.Contains("<td>string</td><td>0</td><td></td><td></td><td>3 distinct</td>", html);
        Assert.Equal(2, Regex.Matches(html, "<svg class=\"xai-histogram\"").Count);
        // the first page is in the HTML; the rest pages in the browser
        var body = Regex.Match(html, "<table class=\"xai-rows\">.*?<tbody>(.*?)</tbody>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Equal(10, Regex.Matches(body, "<tr>").Count);
        Assert.Contains("page 1 of 3", html);
        Assert.Contains("data-step=\"1\"", html);
        Assert.DoesNotContain("<img", html);
        Assert.Contains("&lt;img", html);
    }

    [Fact]
    public void Column_summaries_count_missing_values_and_bin_the_histogram()
    {
        var column = new DoubleDataFrameColumn("v", [1.0, 2.0, double.NaN, 4.0, null, 1.0]);
        var summary = TableView.Summarize(column);

        Assert.Equal(("double", 6L, 2L, 1.0, 4.0), (summary.Type, summary.Count, summary.Missing, summary.Min, summary.Max));
        Assert.Equal(4, summary.Histogram.Sum());
        Assert.Equal(2, summary.Histogram[0]);
        Assert.Equal(1, summary.Histogram[^1]);
    }

    [Fact]
    public void A_dataset_and_a_feature_table_render_as_the_table_view()
    {
        string table = NotebookFormatters.ToHtml(Fixtures.Table(12, 1));
        string dataset = NotebookFormatters.ToHtml(Datasets.Diabetes());

        Assert.Contains("FeatureTable: 12 rows x 4 columns", table);
        Assert.Contains("Dataset diabetes (label: target): 442 rows x 11 columns", dataset);
        Assert.Contains("<table class=\"xai-summary\">", dataset);
    }

    [Fact]
    public void An_onnx_model_renders_as_its_structure()
    {
        using var model = OnnxModel.Load(Fixtures.ModelPath("mlp10.onnx"));
        string html = NotebookFormatters.ToHtml(model);

        Assert.Contains("Inputs and outputs", html);
        Assert.Contains("Gemm", html);
        Assert.Contains("Parameters", html);
        Assert.True(ChartCount(html) >= 2);
    }

    [Fact]
    public void An_mlnet_model_renders_as_its_pipeline()
    {
        using var model = MLNetModel.Load(Fixtures.ModelPath("diabetes_fasttree.zip"));
        string html = NotebookFormatters.ToHtml(model);

        Assert.Contains("Inputs and outputs", html);
        Assert.Contains("FastTree", html);
        Assert.Contains("Nodes", html);
    }

    [Fact]
    public void An_mlnet_transformer_renders_as_its_stages()
    {
        using var model = MLNetModel.Load(Fixtures.ModelPath("diabetes_fasttree.zip"));
        string html = NotebookFormatters.ToHtml(model.Transformer);

        Assert.Contains("ML.NET pipeline", html);
        Assert.Contains("stages", html);
    }

    [Fact]
    public void A_plain_model_renders_as_its_summary()
    {
        string html = NotebookFormatters.ToHtml(Fixtures.Linear());

        Assert.Contains("DelegateModel", html);
        Assert.Contains("a, b, c, d", html);
    }

    [Fact]
    public void Magic_command_results_render_as_html()
    {
        Assert.Contains("#!xai-explain", NotebookFormatters.ToHtml(new MagicCommandHelp(MagicCommands.All)));
        Assert.Contains("xai-error", NotebookFormatters.ToHtml(new MagicCommandError("--model x: <bad>")));
        Assert.Contains("&lt;bad&gt;", NotebookFormatters.ToHtml(new MagicCommandError("--model x: <bad>")));
        Assert.Equal(1, ChartCount(NotebookFormatters.ToHtml(new AttributionComparison(0, [LinearShap(1), LinearShap(1) with { Method = "kernel-shap" }]))));
    }

    [Fact]
    public void A_method_whose_values_need_not_add_up_shows_no_additivity_error()
    {
        // saliency, Grad-CAM and occlusion maps are not meant to sum to f(x) - base: an "error" there would only alarm
        foreach (var method in new[] { "saliency", "grad-cam", "occlusion" })
        {
            string html = NotebookFormatters.ToHtml(LinearShap(2) with { Method = method, AdditivityError = 13.1 });
            Assert.DoesNotContain("additivity error", html, StringComparison.Ordinal);
            Assert.DoesNotContain("13.1", html, StringComparison.Ordinal);
            Assert.Contains("quality figure", html, StringComparison.Ordinal);
        }
        Assert.Contains("additivity error", NotebookFormatters.ToHtml(LinearShap(2)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_comparison_of_a_later_row_draws_its_one_row_explanations_and_names_the_data_row()
    {
        // #!xai-compare --row 3 explains only row 3, so each explanation holds it as its row 0.
        string html = NotebookFormatters.ToHtml(new AttributionComparison(3, [LinearShap(1), LinearShap(1) with { Method = "kernel-shap" }]));

        Assert.Equal(1, ChartCount(html));
        Assert.Contains("Attributions of row 3 by method", html);
    }
}

public class PlotlyBootstrapTests
{
    public PlotlyBootstrapTests()
    {
        NotebookFormatters.Register();
        NotebookHtml.ResetSession();
        NotebookHtml.EmbedPlotlyInEveryOutput = false;
    }

    private static readonly GenericChartFactory Chart = new();

    [Fact]
    public void Plotly_js_is_written_once_per_session_in_the_first_output()
    {
        string loaded = NotebookFormatters.ToHtml(XaiNotebook.Loaded());
        string first = NotebookFormatters.ToHtml(Chart.Make());
        string second = NotebookFormatters.ToHtml(Chart.Make());

        Assert.Contains(ChartHtml.PlotlyJs[..200], loaded);
        Assert.True(loaded.Length > 1_000_000);
        Assert.DoesNotContain(ChartHtml.PlotlyJs[..200], first);
        Assert.DoesNotContain(ChartHtml.PlotlyJs[..200], second);
        Assert.True(NotebookHtml.PlotlyWritten);
    }

    [Fact]
    public void The_first_chart_carries_plotly_js_when_nothing_else_did()
    {
        string first = NotebookFormatters.ToHtml(Chart.Make());
        string second = NotebookFormatters.ToHtml(Chart.Make());

        Assert.Contains(ChartHtml.PlotlyJs[..200], first);
        Assert.DoesNotContain(ChartHtml.PlotlyJs[..200], second);
    }

    [Fact]
    public void Every_chart_declares_what_it_needs_and_says_so_when_the_page_lacks_it()
    {
        string html = NotebookFormatters.ToHtml(Chart.Make());

        Assert.Contains("data-xai-requires=\"plotly.js@2.28.0\"", html);
        Assert.Contains("if(window.Plotly){draw();return;}", html);
        Assert.Contains("This chart needs plotly.js@2.28.0, which this page has not loaded", html);
    }

    [Fact]
    public void Embedding_in_every_output_makes_each_output_self_sufficient()
    {
        NotebookHtml.EmbedPlotlyInEveryOutput = true;
        try
        {
            Assert.Contains(ChartHtml.PlotlyJs[..200], NotebookFormatters.ToHtml(Chart.Make()));
            Assert.Contains(ChartHtml.PlotlyJs[..200], NotebookFormatters.ToHtml(Chart.Make()));
        }
        finally
        {
            NotebookHtml.EmbedPlotlyInEveryOutput = false;
        }
    }

    private sealed class GenericChartFactory
    {
        public Plotly.NET.GenericChart Make()
        {
            var data = Fixtures.Table(5, 1);
            var e = new ExactShapleyExplainer(Fixtures.Linear(), WeightedBackground.FromTable(data)).Explain(data);
            return AttributionCharts.Importance(e);
        }
    }
}
