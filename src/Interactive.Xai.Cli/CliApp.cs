using System.CommandLine;

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
        var root = BuildCommand(output);
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

    private static bool IsHelpRequest(string[] args) => args.Any(a => a is "--help" or "-h" or "-?");

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    private static RootCommand BuildCommand(TextWriter output)
    {
        var root = new RootCommand("""
            xai: explain machine-learning models (ONNX .onnx, ML.NET .zip) and write JSON and self-contained HTML reports.

            Examples:
              xai demo --out report.html
              xai explain --model model.onnx --data rows.csv --method exact-shap --json shap.json
              xai explain --model model.onnx --data rows.csv --method kernel-shap --background train.csv --target all --samples 4096
              xai explain --model model.zip --data test.csv --label target --method permutation-importance --metric r2 --repeats 10
              xai explain --model model.onnx --data rows.csv --method pdp --feature bmi --grid-points 30 --html pdp.html
              xai explain --model model.onnx --data rows.csv --method ale --feature bmi --bins 10 --json ale.json
              xai explain --model model.onnx --data rows.csv --method lime --lime-features 5 --json lime.json
              xai counterfactual --model model.onnx --data train.csv --row 3 --desired 1 --count 4 --immutable age --json cf.json
              xai counterfactual --model model.onnx --data train.csv --row 3 --desired-range 150,200 --html cf.html
              xai inspect --model model.onnx --html graph.html
              xai inspect --model cnn.pt --input-shape 1,8,8 --json layers.json --html layers.html
            """);
        root.Subcommands.Add(ExplainCommand.Create(output));
        root.Subcommands.Add(CounterfactualCommand.Create(output));
        root.Subcommands.Add(InspectCommand.Create(output));
        root.Subcommands.Add(DemoCommand.Create(output));
        return root;
    }
}
