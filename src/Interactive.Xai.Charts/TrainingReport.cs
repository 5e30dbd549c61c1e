using System.Text;

namespace Interactive.Xai.Charts;

/// <summary>HTML pages of a training run.</summary>
public static class TrainingReport
{
    /// <summary>Adds a section for the run: a heading, the last values as a table and the dashboard chart.</summary>
    public static HtmlReport AddTraining(this HtmlReport report, TrainingSnapshot snapshot, string heading = "Training")
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(snapshot);
        report.AddHeading(heading);
        report.AddTable([], TrainingCharts.Facts(snapshot).Select(f => (IReadOnlyList<string>)[f.Label, f.Value]));
        report.AddChart(TrainingCharts.Dashboard(snapshot));
        return report;
    }

    /// <summary>A self-contained page of the run.</summary>
    public static string ToHtml(this TrainingSnapshot snapshot, string title = "Training")
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return new HtmlReport(title).AddTraining(snapshot, "Loss, metrics, learning rate and gradient norms").ToHtml();
    }

    /// <summary>
    /// Writes a self-contained page of what the monitor has recorded so far (written to a temporary file beside
    /// <paramref name="path"/> and moved into place, so a reader never sees half a page).
    /// </summary>
    public static void SaveHtml(this TrainingMonitor monitor, string path, string title = "Training")
    {
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string html = monitor.Snapshot().ToHtml(title);
        string full = Path.GetFullPath(path);
        string? folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder)) throw new XaiException($"cannot write {path}: the folder {folder} does not exist");
        string temporary = full + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            File.WriteAllText(temporary, html, new UTF8Encoding(false));
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
