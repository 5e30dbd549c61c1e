using System.Text.Json;

namespace Interactive.Xai.Kernel.Tests;

/// <summary>The checker itself, on hand-written reports (no kernel): what passes and what fails, and why.</summary>
public class NotebookCheckTests
{
    private static JsonElement Report(params object[] cells) =>
        JsonSerializer.SerializeToElement(new { failure = (string?)null, pointed = true, cells });

    private static object Cell(int index, string? expect = null, object[]? errors = null, string stderr = "", bool executed = true) =>
        new { index, source = "#!xai-explain --model m", expectError = expect, executed, errors = errors ?? [], stderr, mimeTypes = Array.Empty<string>() };

    private static object Error(string evalue, params string[] traceback) => new { ename = "Error", evalue, traceback };

    [Fact]
    public void Clean_cells_pass() => Assert.Empty(NotebookCheck.Problems(Report(Cell(0), Cell(1))));

    [Fact]
    public void An_error_output_fails_an_ordinary_cell()
    {
        var problems = NotebookCheck.Problems(Report(Cell(0), Cell(1, errors: [Error("Could not load file or assembly 'FSharp.Core, Version=10.1.0.0'")])));
        Assert.Equal("cell 1 (#!xai-explain --model m): error output: Could not load file or assembly 'FSharp.Core, Version=10.1.0.0'", Assert.Single(problems));
    }

    [Fact]
    public void Stderr_fails_an_ordinary_cell()
    {
        var problems = NotebookCheck.Problems(Report(Cell(0, stderr: "\nwarning CS1701: Assuming assembly reference\n\n")));
        Assert.Contains("stderr: warning CS1701", Assert.Single(problems));
    }

    [Fact]
    public void A_cell_that_did_not_run_fails() =>
        Assert.Contains("did not run", Assert.Single(NotebookCheck.Problems(Report(Cell(0, executed: false)))));

    [Fact]
    public void A_kernel_failure_fails() =>
        Assert.Contains("the run failed: RuntimeError", Assert.Single(NotebookCheck.Problems(
            JsonSerializer.SerializeToElement(new { failure = "RuntimeError: Kernel died", pointed = true, cells = Array.Empty<object>() }))));

    [Fact]
    public void An_expected_one_line_error_passes_also_when_the_traceback_repeats_it()
    {
        var line = "#!xai-explain: unknown option --foo";
        Assert.Empty(NotebookCheck.Problems(Report(Cell(0, expect: "unknown option --foo", errors: [Error(line, "\u001b[31m" + line + "\u001b[0m")]))));
        Assert.Empty(NotebookCheck.Problems(Report(Cell(0, expect: "unknown option", stderr: line + "\n"))));
    }

    [Fact]
    public void An_expected_error_that_is_missing_fails() =>
        Assert.Contains("got none", Assert.Single(NotebookCheck.Problems(Report(Cell(0, expect: "unknown option")))));

    [Fact]
    public void An_expected_error_with_other_text_fails() =>
        Assert.Contains("got: no such file", Assert.Single(NotebookCheck.Problems(Report(Cell(0, expect: "unknown option", errors: [Error("no such file")])))));

    [Fact]
    public void An_expected_error_with_a_stack_trace_fails() =>
        Assert.Contains("stack trace: at Interactive.Xai", Assert.Single(NotebookCheck.Problems(Report(Cell(0, expect: "unknown option",
            errors: [Error("System.ArgumentException: unknown option --foo\n   at Interactive.Xai.Notebook.X()")])))));

    [Fact]
    public void An_expected_error_on_several_lines_fails() =>
        Assert.Contains("not one line", Assert.Single(NotebookCheck.Problems(Report(Cell(0, expect: "unknown option",
            errors: [Error("unknown option --foo\nsee the help")])))));
}
