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
    public void The_kernels_own_diagnostics_line_beside_an_unknown_option_error_is_not_a_second_line()
    {
        var line = "(1,42): error DNI103: Unrecognized parameter name '--colour'";
        Assert.Empty(NotebookCheck.Problems(Report(Cell(0, expect: "Unrecognized parameter name '--colour'",
            errors: [Error(line, line)], stderr: "\nMicrosoft.CodeAnalysis.Diagnostic[]\n\n"))));
        // Any other stray stderr line still makes the error two lines, and the artifact still fails an ordinary cell.
        Assert.Contains("not one line", Assert.Single(NotebookCheck.Problems(Report(Cell(0, expect: "Unrecognized parameter",
            errors: [Error(line, line)], stderr: "something else\n")))));
        Assert.Contains("stderr: Microsoft.CodeAnalysis.Diagnostic[]", Assert.Single(NotebookCheck.Problems(Report(Cell(0, stderr: "Microsoft.CodeAnalysis.Diagnostic[]\n")))));
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

/// <summary>Which page problems are the kernel's own HTTP API traffic (ignored) and which are not.</summary>
public class KernelHttpApiTests
{
    [Theory]
    [InlineData("console Severe: http://127.0.0.1:2048/discovery - Failed to load resource: net::ERR_CONNECTION_REFUSED")]
    [InlineData("network request: http://192.0.2.2:2048/discovery")]
    [InlineData("network request: http://127.0.0.1:2999/resources/dotnet-interactive.js")]
    [InlineData("page error: failed to load SCRIPT file:///tmp/x/html/undefinedresources/dotnet-interactive.js")]
    public void The_kernels_own_probe_is_recognised(string line) => Assert.True(PageCheck.IsKernelHttpApi(line));

    [Theory]
    [InlineData("network request: https://cdn.plot.ly/plotly-2.28.0.min.js")]
    [InlineData("network request: http://127.0.0.1:8080/discovery")]
    [InlineData("console Severe: Uncaught ReferenceError: Plotly is not defined")]
    [InlineData("chart xai-chart-1 did not draw: This chart needs plotly.js@2.28.0")]
    public void Everything_else_counts(string line) => Assert.False(PageCheck.IsKernelHttpApi(line));
}
