using System.Text.Json;
using Interactive.Xai.Notebook;

namespace Interactive.Xai.Tests;

/// <summary>
/// The test notebooks in tests/kernel-notebooks, run in process (a unit test: the real-kernel run is the proof). Their
/// convention: a cell whose metadata has "xai_expect_error": "text" must fail with one line containing the text; every
/// other code cell must succeed.
/// </summary>
public sealed class KernelNotebookTests
{
    public static TheoryData<string> Notebooks()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(Path.Combine(PackageTests.RepositoryRoot(), "tests", "kernel-notebooks"), "*.ipynb").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(path));
        return data;
    }

    [Fact]
    public void The_magic_command_notebook_runs_every_magic_command_and_expects_errors_from_several()
    {
        var cells = Cells("magic-commands.ipynb");
        foreach (var command in MagicCommands.All)
            Assert.Contains(cells, c => c.Expected is null && c.Source.TrimStart().StartsWith("#!" + command.Name + " ", StringComparison.Ordinal) || c.Source.Trim() == "#!" + command.Name);
        Assert.True(cells.Count(c => c.Expected is not null) >= 10);
    }

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task A_test_notebook_runs_with_errors_exactly_where_its_cells_expect_them(string name)
    {
        string folder = Path.Combine(PackageTests.RepositoryRoot(), "tests", "kernel-notebooks");
        NotebookHtml.ResetSession();
        using var session = await KernelSession.StartAsync(loadExtension: false);
        string previous = Environment.CurrentDirectory;
        Environment.CurrentDirectory = folder;
        try
        {
            int index = 0;
            foreach (var cell in Cells(name))
            {
                index++;
                var (code, loadPackage) = NotebookRunnerTests.Preprocess(cell.Source, name, index);
                if (loadPackage)
                {
                    var loaded = await session.LoadExtensionAsync();
                    Assert.True(!loaded.Failures.Any(), $"{name} cell {index}: loading the extension failed: {string.Join(" | ", loaded.Failures)}");
                }
                if (string.IsNullOrWhiteSpace(code)) continue;
                var result = await session.SubmitAsync(code);
                if (cell.Expected is null)
                {
                    Assert.True(result.Succeeded, $"{name} cell {index} failed: {result.Describe()}");
                    continue;
                }
                Assert.False(result.Succeeded, $"{name} cell {index} should fail with '{cell.Expected}'");
                string failure = Assert.Single(result.Failures);
                Assert.Contains(cell.Expected, failure);
                Assert.DoesNotContain('\n', failure.Trim());
                Assert.DoesNotContain(" at ", failure);
            }
        }
        finally
        {
            Environment.CurrentDirectory = previous;
        }
    }

    private sealed record Cell(string Source, string? Expected);

    private static List<Cell> Cells(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(PackageTests.RepositoryRoot(), "tests", "kernel-notebooks", name)));
        var cells = new List<Cell>();
        foreach (var cell in document.RootElement.GetProperty("cells").EnumerateArray())
        {
            if (cell.GetProperty("cell_type").GetString() != "code") continue;
            var source = cell.GetProperty("source");
            string text = source.ValueKind == JsonValueKind.Array ? string.Concat(source.EnumerateArray().Select(s => s.GetString())) : source.GetString() ?? "";
            string? expected = cell.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("xai_expect_error", out var e) ? e.GetString() : null;
            cells.Add(new Cell(text, expected));
        }
        return cells;
    }
}
