using System.Text.Json;
using System.Text.RegularExpressions;

namespace Interactive.Xai.Kernel.Tests;

/// <summary>
/// Judges an executed notebook's report (written by run_notebook.py): every code cell ran; a cell whose metadata has
/// <c>"xai_expect_error": "text"</c> produced an error (or stderr) containing that text, on one line, with no stack
/// trace; every other cell produced no error output and nothing on stderr. See tests/kernel-notebooks/README.md.
/// </summary>
public static partial class NotebookCheck
{
    /// <summary>One line per problem; empty when the notebook passes.</summary>
    public static IReadOnlyList<string> Problems(JsonElement report)
    {
        var problems = new List<string>();
        if (report.TryGetProperty("failure", out var failure) && failure.ValueKind == JsonValueKind.String)
            problems.Add("the run failed: " + FirstLine(failure.GetString()!));
        if (report.TryGetProperty("pointed", out var pointed) && !pointed.GetBoolean())
            problems.Add("no cell has #r \"nuget: Interactive.Xai\" to point at the packed package");
        foreach (var cell in report.GetProperty("cells").EnumerateArray())
        {
            int index = cell.GetProperty("index").GetInt32();
            string where = $"cell {index} ({FirstLine(cell.GetProperty("source").GetString()!)})";
            if (!cell.GetProperty("executed").GetBoolean())
            {
                problems.Add(where + ": did not run");
                continue;
            }
            var errorLines = cell.GetProperty("errors").EnumerateArray().Select(ErrorLines).ToList();
            var stderr = Clean(cell.GetProperty("stderr").GetString() ?? "");
            var stderrLines = Lines(stderr);
            var expected = cell.TryGetProperty("expectError", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            if (expected is null)
            {
                foreach (var lines in errorLines)
                    problems.Add(where + ": error output: " + (lines.FirstOrDefault() ?? "(empty)"));
                if (stderrLines.Count > 0)
                    problems.Add(where + ": stderr: " + stderrLines[0]);
                continue;
            }
            // dotnet-interactive 1.0.712001 answers an option its directive parser does not know (before any package
            // code runs) with the one-line error DNI103 and, on stderr, the type name of its diagnostics array. That
            // stray line is the kernel's own, printed for its built-in magic commands too; it is not counted as a
            // second line of the package's error. Only this exact line is dropped, and only in expected-error cells.
            var all = errorLines.SelectMany(l => l).Concat(stderrLines.Where(l => l != KernelDiagnosticsArtifact)).Distinct().ToList();
            if (all.Count == 0)
                problems.Add(where + $": expected an error containing \"{expected}\", got none");
            else if (!all.Any(l => l.Contains(expected, StringComparison.Ordinal)))
                problems.Add(where + $": expected an error containing \"{expected}\", got: {all[0]}");
            else if (all.Any(l => l.StartsWith("at ", StringComparison.Ordinal)))
                problems.Add(where + ": the error carries a stack trace: " + all.First(l => l.StartsWith("at ", StringComparison.Ordinal)));
            else if (all.Count > 1)
                problems.Add(where + $": the error is not one line ({all.Count} distinct lines): " + string.Join(" | ", all.Take(3)));
        }
        return problems;
    }

    /// <summary>The distinct non-empty lines of an error output (its value and traceback; the kernel repeats one in the other).</summary>
    /// <summary>What the kernel prints on stderr beside its own directive-parser errors (see <see cref="Problems"/>).</summary>
    internal const string KernelDiagnosticsArtifact = "Microsoft.CodeAnalysis.Diagnostic[]";

    private static List<string> ErrorLines(JsonElement error)
    {
        var text = new List<string> { error.GetProperty("evalue").GetString() ?? "" };
        text.AddRange(error.GetProperty("traceback").EnumerateArray().Select(t => t.GetString() ?? ""));
        return text.SelectMany(t => Lines(Clean(t))).Distinct().ToList();
    }

    private static List<string> Lines(string text) =>
        text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();

    private static string Clean(string text) => Ansi().Replace(text, "").Replace("\r", "", StringComparison.Ordinal);

    private static string FirstLine(string text)
    {
        var line = Lines(text).FirstOrDefault() ?? "";
        return line.Length > 160 ? line[..160] + "..." : line;
    }

    [GeneratedRegex(@"\x1b\[[0-9;]*[A-Za-z]")]
    private static partial Regex Ansi();
}
