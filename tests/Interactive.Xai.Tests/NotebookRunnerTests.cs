using System.Text.RegularExpressions;
using Interactive.Xai.Notebook;
using Microsoft.DotNet.Interactive.Documents;
using Jupyter = Microsoft.DotNet.Interactive.Documents.Jupyter;

namespace Interactive.Xai.Tests;

/// <summary>
/// Runs every notebooks/*.ipynb top to bottom in one real .NET Interactive kernel per notebook: each C# cell in
/// order, failing on any error. <c>#r "nuget: Interactive.Xai"</c> is served by the locally built package (its
/// assemblies referenced and its extension.dib run by the kernel, as the kernel does for a restored package);
/// <c>#i "nuget: ..."</c> source lines are dropped. Every display must be one of the package's HTML views, and
/// every display that is not a table, help, progress or the loaded line must contain a chart.
/// </summary>
public sealed class NotebookRunnerTests
{
    private static readonly string[] NonChartViews = ["xai-frame", "xai-help", "xai-progress", "xai-loaded", "xai-error"];

    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Path.Combine(PackageTests.RepositoryRoot(), "notebooks"), "*.ipynb").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(path));
        return data;
    }

    private static KernelInfoCollection Kernels() => new()
    {
        new KernelInfo("csharp", "C#", ["c#", "C#", "cs"]),
        new KernelInfo("markdown", "Markdown", ["md"]),
    };

    [Fact]
    public void The_tutorials_are_found()
    {
        var names = Directory.GetFiles(Path.Combine(PackageTests.RepositoryRoot(), "notebooks"), "*.ipynb").Select(Path.GetFileName).ToList();
        Assert.Contains("01-tabular-tour.ipynb", names);
        Assert.Contains("02-neural-network.ipynb", names);
        Assert.Contains("03-images.ipynb", names);
        Assert.Contains("04-magic-commands.ipynb", names);
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public void A_notebook_is_committed_without_outputs(string name)
    {
        var document = Jupyter.Notebook.Parse(File.ReadAllText(Path.Combine(PackageTests.RepositoryRoot(), "notebooks", name)), Kernels());
        Assert.All(document.Elements, e => Assert.Empty(e.Outputs));
        Assert.Contains(document.Elements, e => e.KernelName == "csharp");
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task A_notebook_runs_top_to_bottom_and_every_display_is_html_with_a_chart(string name)
    {
        string folder = Path.Combine(PackageTests.RepositoryRoot(), "notebooks");
        var document = Jupyter.Notebook.Parse(File.ReadAllText(Path.Combine(folder, name)), Kernels());
        NotebookHtml.ResetSession();
        using var session = await KernelSession.StartAsync(loadExtension: false);
        string previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = folder;   // a notebook's relative paths start from its folder
        int charts = 0, cell = 0;
        try
        {
            foreach (var element in document.Elements)
            {
                cell++;
                if (element.KernelName != "csharp") continue;
                var (code, loadPackage) = Preprocess(element.Contents, name, cell);
                if (loadPackage)
                {
                    Assert.Null(session.Extension);
                    var loaded = await session.LoadExtensionAsync();
                    Assert.True(!loaded.Failures.Any(), $"{name} cell {cell}: loading the extension failed: {string.Join(" | ", loaded.Failures)}");
                    Assert.Contains(XaiNotebook.LoadedMessage(), loaded.Plain);
                }
                if (string.IsNullOrWhiteSpace(code)) continue;
                var result = await session.SubmitAsync(code);
                Assert.True(result.Succeeded, $"{name} cell {cell} failed: {result.Describe()}");
                foreach (var display in result.Displays)
                {
                    var html = display.FormattedValues.FirstOrDefault(v => v.MimeType == "text/html")?.Value;
                    Assert.True(html is not null, $"{name} cell {cell}: a display has no text/html");
                    Assert.True(html.Contains("class=\"xai-"), $"{name} cell {cell}: a display is not an Interactive.Xai view: {html[..Math.Min(300, html.Length)]}");
                    int chartDivs = Regex.Matches(html, "<div class=\"xai-chart\"").Count;
                    if (!NonChartViews.Any(html.Contains))
                        Assert.True(chartDivs > 0, $"{name} cell {cell}: the display has no chart: {html[..Math.Min(300, html.Length)]}");
                    charts += chartDivs;
                }
            }
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
        Assert.NotNull(session.Extension);
        Assert.True(charts >= 3, $"{name}: only {charts} charts");
    }

    /// <summary>Maps the package reference to the local build; refuses any other NuGet package (none can be restored here).</summary>
    internal static (string Code, bool LoadPackage) Preprocess(string contents, string name, int cell)
    {
        bool load = false;
        var lines = new List<string>();
        foreach (var line in contents.Split('\n'))
        {
            string trimmed = line.Trim();
            if (Regex.IsMatch(trimmed, "^#r\\s+\"nuget:\\s*Interactive\\.Xai(\\s*,[^\"]*)?\"$")) { load = true; continue; }
            if (trimmed.StartsWith("#i ", StringComparison.Ordinal) && trimmed.Contains("nuget:", StringComparison.Ordinal)) continue;
            Assert.False(trimmed.StartsWith("#r ", StringComparison.Ordinal) && trimmed.Contains("nuget:", StringComparison.Ordinal),
                $"{name} cell {cell}: only Interactive.Xai can be referenced from NuGet in the tutorials: {trimmed}");
            lines.Add(line);
        }
        return (string.Join('\n', lines), load);
    }
}
