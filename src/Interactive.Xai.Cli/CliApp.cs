using System.CommandLine;
using System.CommandLine.Help;

namespace Interactive.Xai.Cli;

/// <summary>The `xai` command line: parses arguments, runs a command, turns user errors into one `error:` line.</summary>
public static class CliApp
{
    /// <summary>Exit code for a user error (bad input, bad option, unreadable file).</summary>
    public const int UserError = 1;

    /// <summary>Exit code for an unexpected failure inside the tool.</summary>
    public const int InternalError = 3;

    /// <summary>Runs the tool with <paramref name="args"/>, writing to the given streams; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        // The tool package leaves libtorch out: a .pt model without it says how to add it in one line.
        Interactive.Xai.Torch.TorchRuntime.MissingLibTorchAdvice ??= SetupCommand.Advice;
        var root = BuildCommand(output, error);
        ParseResult parse;
        try
        {
            parse = root.Parse(args);
        }
        catch (Exception e)
        {
            error.WriteLine($"error: {OneLine(e.Message)}");
            return UserError;
        }
        if (args.Length == 0)
        {
            parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
            root.Parse("--help").Invoke(new InvocationConfiguration { Output = output, Error = error });
            return UserError;
        }
        if (parse.Errors.Count > 0 && !IsHelpRequest(args))
        {
            error.WriteLine($"error: {OneLine(parse.Errors[0].Message)} (see xai --help)");
            return UserError;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (XaiException e)
        {
            error.WriteLine($"error: {OneLine(e.Message)}");
            return UserError;
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("error: cancelled");
            return UserError;
        }
        catch (Exception e)
        {
            error.WriteLine($"error: internal error ({e.GetType().Name}): {OneLine(e.Message)}");
            if (Environment.GetEnvironmentVariable("XAI_DEBUG") == "1") error.WriteLine(e);
            return InternalError;
        }
    }

    /// <summary>
    /// Restricts <paramref name="option"/> to <paramref name="choices"/>; an unknown value is refused in one line that
    /// suggests the nearest choices and lists them all.
    /// </summary>
    internal static void AcceptOnly(Option<string> option, IReadOnlyList<string> choices)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (value is null || choices.Contains(value)) return;
            var near = choices.Where(c => c.Contains(value, StringComparison.OrdinalIgnoreCase)
                || value.Contains(c, StringComparison.OrdinalIgnoreCase) || EditDistance(c, value) <= 2).ToList();
            result.AddError($"{option.Name}: unknown value '{value}'"
                + (near.Count > 0 ? $"; did you mean {string.Join(" or ", near)}?" : "")
                + $" (the choices are: {string.Join(", ", choices)})");
        });
    }

    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1),
                    previous[j - 1] + (char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }

    // Help fits a 100-column terminal, or a narrower one.
    private static int HelpWidth()
    {
        const int Widest = 100;
        try
        {
            return Console.IsOutputRedirected || Console.WindowWidth <= 0 ? Widest : Math.Min(Widest, Console.WindowWidth);
        }
        catch (IOException)
        {
            return Widest;
        }
    }

    private static bool IsHelpRequest(string[] args) => args.Any(a => a is "--help" or "-h" or "-?");

    // One line, with control characters (terminal escape codes from a file's header, say) shown as \uXXXX and .NET's
    // type names for option values in words.
    private static string OneLine(string message)
    {
        var line = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        line = line.Replace("System.Nullable`1[System.Int32]", "whole number", StringComparison.Ordinal)
            .Replace("System.Int32", "whole number", StringComparison.Ordinal)
            .Replace("System.Nullable`1[System.Double]", "number", StringComparison.Ordinal)
            .Replace("System.Double", "number", StringComparison.Ordinal)
            .Replace("System.Single", "number", StringComparison.Ordinal);
        return Interactive.Xai.Hosting.ExplanationRunner.Printable(line);
    }

    private static RootCommand BuildCommand(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("""
            xai: explain machine-learning models (ONNX .onnx, ML.NET .zip, TorchScript .pt) and write JSON
            and self-contained HTML reports.

            Examples:
              xai demo --out report.html
              xai explain --model model.onnx --data rows.csv --method exact-shap --json shap.json
              xai explain --model model.onnx --data rows.csv --method kernel-shap --background train.csv
                          --target all --samples 4096
              xai explain --model model.zip --data test.csv --label target
                          --method permutation-importance --metric r2 --repeats 10
              xai explain --model model.onnx --data rows.csv --method pdp --feature bmi --html pdp.html
              xai explain --model model.onnx --data rows.csv --method ale --feature bmi --json ale.json
              xai explain --model model.onnx --data rows.csv --rows 0-9 --method lime --json lime.json
              xai counterfactual --model model.onnx --data train.csv --row 3 --desired 1 --count 4
                                 --immutable age --json cf.json
              xai counterfactual --model model.onnx --data train.csv --row 3 --desired-range 150,200
              xai inspect --model model.onnx --html graph.html
              xai inspect --model cnn.pt --input-shape 1,8,8 --json layers.json --html layers.html
              xai setup torch      (once, to enable .pt models in the installed tool)
              xai worker --port 11111 --gateway-port 30000
              xai worker --port 11112 --gateway-port 30001 --primary localhost:11111
              xai explain --model /shared/model.onnx --data rows.csv --method kernel-shap
                          --cluster localhost:30000,localhost:30001 --json shap.json
            """);
        root.Subcommands.Add(ExplainCommand.Create(output, error));
        root.Subcommands.Add(CounterfactualCommand.Create(output, error));
        root.Subcommands.Add(InspectCommand.Create(output));
        root.Subcommands.Add(DemoCommand.Create(output));
        root.Subcommands.Add(SetupCommand.Create(output, error));
        root.Subcommands.Add(WorkerCommand.Create(output));
        int width = HelpWidth();
        foreach (var command in AllCommands(root))
            foreach (var option in command.Options)
                if (option is HelpOption { Action: HelpAction help }) help.MaxWidth = width;
        return root;
    }

    /// <summary><paramref name="command"/> and all its subcommands, depth first.</summary>
    internal static IEnumerable<Command> AllCommands(Command command)
        => new[] { command }.Concat(command.Subcommands.SelectMany(AllCommands));

    /// <summary>Every command line that shows a help page: "--help", "explain --help", "setup torch --help" ...</summary>
    internal static IReadOnlyList<string[]> HelpRequests()
    {
        var result = new List<string[]>();
        void Walk(Command command, List<string> path)
        {
            result.Add([.. path, "--help"]);
            foreach (var sub in command.Subcommands) Walk(sub, [.. path, sub.Name]);
        }
        Walk(BuildCommand(TextWriter.Null, TextWriter.Null), []);
        return result;
    }
}
