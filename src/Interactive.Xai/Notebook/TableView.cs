using System.Globalization;
using System.Text;
using Microsoft.Data.Analysis;

namespace Interactive.Xai.Notebook;

/// <summary>Summary figures of one column, as the table view shows them.</summary>
/// <param name="Name">The column name.</param>
/// <param name="Type">The element type (float, double, int, string, bool, ...).</param>
/// <param name="Count">Rows.</param>
/// <param name="Missing">Null or NaN values.</param>
/// <param name="Min">The smallest value (numeric columns), else NaN.</param>
/// <param name="Max">The largest value (numeric columns), else NaN.</param>
/// <param name="Histogram">Counts in equal-width bins between min and max (numeric columns), else empty.</param>
/// <param name="Distinct">Distinct values (non-numeric columns), else 0.</param>
public sealed record ColumnSummary(string Name, string Type, long Count, long Missing, double Min, double Max, IReadOnlyList<long> Histogram, long Distinct);

/// <summary>
/// The notebook view of a <see cref="DataFrame"/> (and of feature tables and datasets): a per-column summary
/// (type, missing, min/max, a small histogram) and a compact table paged in the browser.
/// </summary>
public static class TableView
{
    /// <summary>Rows per page.</summary>
    public static int PageSize { get; set; } = 10;

    /// <summary>Rows carried in the output for paging; later rows are summarised but not listed.</summary>
    public static int MaxListedRows { get; set; } = 2000;

    /// <summary>Histogram bins per numeric column.</summary>
    public const int HistogramBins = 12;

    /// <summary>The summary of every column.</summary>
    public static IReadOnlyList<ColumnSummary> Summarize(DataFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Columns.Select(Summarize).ToList();
    }

    /// <summary>The summary of one column.</summary>
    public static ColumnSummary Summarize(DataFrameColumn column)
    {
        ArgumentNullException.ThrowIfNull(column);
        long length = column.Length;
        string type = TypeName(column.DataType);
        if (IsNumeric(column.DataType))
        {
            var values = new List<double>((int)Math.Min(length, int.MaxValue));
            long missing = 0;
            for (long i = 0; i < length; i++)
            {
                object? v = column[i];
                double d = v is null ? double.NaN : Convert.ToDouble(v, CultureInfo.InvariantCulture);
                if (double.IsNaN(d)) missing++;
                else values.Add(d);
            }
            if (values.Count == 0) return new ColumnSummary(column.Name, type, length, missing, double.NaN, double.NaN, [], 0);
            double min = values.Min(), max = values.Max();
            var bins = new long[HistogramBins];
            double width = (max - min) / HistogramBins;
            foreach (var d in values)
            {
                int b = width > 0 ? (int)((d - min) / width) : 0;
                bins[Math.Clamp(b, 0, HistogramBins - 1)]++;
            }
            return new ColumnSummary(column.Name, type, length, missing, min, max, bins, 0);
        }
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        long nulls = 0;
        for (long i = 0; i < length; i++)
        {
            object? v = column[i];
            if (v is null) nulls++;
            else distinct.Add(Convert.ToString(v, CultureInfo.InvariantCulture) ?? "");
        }
        return new ColumnSummary(column.Name, type, length, nulls, double.NaN, double.NaN, [], distinct.Count);
    }

    /// <summary>The whole view as HTML.</summary>
    public static string Html(DataFrame frame, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(frame);
        long rows = frame.Rows.Count;
        int columns = frame.Columns.Count;
        var html = new StringBuilder();
        string id = "xai-table-" + Guid.NewGuid().ToString("N")[..12];
        html.Append(NotebookHtml.Style).Append("<div class=\"xai-view xai-frame\" id=\"").Append(id).Append("\">");
        html.Append("<h3>").Append(NotebookHtml.Encode(title ?? "DataFrame")).Append(": ")
            .Append(rows.ToString("N0", CultureInfo.InvariantCulture)).Append(" rows x ").Append(columns.ToString(CultureInfo.InvariantCulture)).Append(" columns</h3>\n");

        html.Append("<table class=\"xai-summary\"><caption>Columns</caption><thead><tr><th>column</th><th>type</th><th>missing</th><th>min</th><th>max</th><th>distribution</th></tr></thead><tbody>");
        foreach (var s in Summarize(frame))
        {
            html.Append("<tr><td>").Append(NotebookHtml.Encode(s.Name)).Append("</td><td>").Append(NotebookHtml.Encode(s.Type))
                .Append("</td><td>").Append(s.Missing.ToString("N0", CultureInfo.InvariantCulture)).Append("</td><td>")
                .Append(NotebookHtml.Number(s.Min)).Append("</td><td>").Append(NotebookHtml.Number(s.Max)).Append("</td><td>");
            if (s.Histogram.Count > 0) AppendHistogram(html, s);
            else html.Append(s.Distinct.ToString("N0", CultureInfo.InvariantCulture)).Append(" distinct");
            html.Append("</td></tr>");
        }
        html.Append("</tbody></table>\n");

        int listed = (int)Math.Min(rows, MaxListedRows);
        int pageSize = Math.Max(1, PageSize);
        var cells = new List<string[]>(listed);
        for (int r = 0; r < listed; r++)
        {
            var row = new string[columns + 1];
            row[0] = r.ToString(CultureInfo.InvariantCulture);
            for (int c = 0; c < columns; c++) row[c + 1] = Cell(frame.Columns[c][r]);
            cells.Add(row);
        }
        html.Append("<table class=\"xai-rows\"><thead><tr><th>#</th>");
        foreach (var column in frame.Columns) html.Append("<th>").Append(NotebookHtml.Encode(column.Name)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var row in cells.Take(pageSize))
        {
            html.Append("<tr>");
            foreach (var cell in row) html.Append("<td>").Append(NotebookHtml.Encode(cell)).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table>\n");
        int pages = Math.Max(1, (listed + pageSize - 1) / pageSize);
        html.Append("<div class=\"xai-pager\"><button type=\"button\" data-step=\"-1\">&lt; previous</button> <span class=\"xai-page\">page 1 of ")
            .Append(pages.ToString(CultureInfo.InvariantCulture)).Append("</span> <button type=\"button\" data-step=\"1\">next &gt;</button>");
        if (listed < rows)
            html.Append(" <span class=\"xai-hint\">(the first ").Append(listed.ToString("N0", CultureInfo.InvariantCulture)).Append(" rows are listed)</span>");
        html.Append("</div>\n");
        html.Append("<script>(function(){var root=document.getElementById(\"").Append(id).Append("\");if(!root){return;}var rows=")
            .Append(NotebookHtml.ScriptJson(cells)).Append(";var size=").Append(pageSize.ToString(CultureInfo.InvariantCulture))
            .Append(";var page=0;var pages=Math.max(1,Math.ceil(rows.length/size));var body=root.querySelector(\".xai-rows tbody\");var label=root.querySelector(\".xai-page\");")
            .Append("function show(){body.innerHTML=\"\";rows.slice(page*size,(page+1)*size).forEach(function(r){var tr=document.createElement(\"tr\");r.forEach(function(c){var td=document.createElement(\"td\");td.textContent=c;tr.appendChild(td);});body.appendChild(tr);});label.textContent=\"page \"+(page+1)+\" of \"+pages;}")
            .Append("root.querySelectorAll(\".xai-pager button\").forEach(function(b){b.addEventListener(\"click\",function(){page=Math.min(pages-1,Math.max(0,page+Number(b.getAttribute(\"data-step\"))));show();});});})();</script>");
        html.Append("</div>\n");
        return html.ToString();
    }

    /// <summary>The view of a feature table.</summary>
    public static string Html(FeatureTable table) => Html((table ?? throw new ArgumentNullException(nameof(table))).ToDataFrame(), "FeatureTable");

    /// <summary>The view of a dataset: its features and its label column.</summary>
    public static string Html(Dataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var frame = dataset.Features.ToDataFrame();
        frame.Columns.Add(new SingleDataFrameColumn(dataset.LabelName, dataset.Labels));
        return Html(frame, $"Dataset {dataset.Name} (label: {dataset.LabelName})");
    }

    private static void AppendHistogram(StringBuilder html, ColumnSummary s)
    {
        const int width = 96, height = 22;
        long top = Math.Max(1, s.Histogram.Max());
        double barWidth = (double)width / s.Histogram.Count;
        html.Append("<svg class=\"xai-histogram\" width=\"").Append(width).Append("\" height=\"").Append(height)
            .Append("\" viewBox=\"0 0 ").Append(width).Append(' ').Append(height).Append("\" role=\"img\"><title>")
            .Append(NotebookHtml.Encode($"{s.Name}: {string.Join(", ", s.Histogram)} rows in {s.Histogram.Count} bins from {NotebookHtml.Number(s.Min)} to {NotebookHtml.Number(s.Max)}"))
            .Append("</title>");
        for (int b = 0; b < s.Histogram.Count; b++)
        {
            double h = s.Histogram[b] == 0 ? 0 : Math.Max(1, height * (double)s.Histogram[b] / top);
            html.Append("<rect x=\"").Append((b * barWidth + 0.5).ToString("F1", CultureInfo.InvariantCulture))
                .Append("\" y=\"").Append((height - h).ToString("F1", CultureInfo.InvariantCulture))
                .Append("\" width=\"").Append((barWidth - 1).ToString("F1", CultureInfo.InvariantCulture))
                .Append("\" height=\"").Append(h.ToString("F1", CultureInfo.InvariantCulture)).Append("\" fill=\"#0072B2\"/>");
        }
        html.Append("</svg>");
    }

    private static string Cell(object? value) => value switch
    {
        null => "",
        float f => f.ToString("G6", CultureInfo.InvariantCulture),
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static bool IsNumeric(Type type) =>
        type == typeof(float) || type == typeof(double) || type == typeof(int) || type == typeof(long) || type == typeof(short)
        || type == typeof(byte) || type == typeof(sbyte) || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(decimal);

    private static string TypeName(Type type) => type switch
    {
        _ when type == typeof(float) => "float",
        _ when type == typeof(double) => "double",
        _ when type == typeof(int) => "int",
        _ when type == typeof(long) => "long",
        _ when type == typeof(bool) => "bool",
        _ when type == typeof(string) => "string",
        _ => type.Name,
    };
}
