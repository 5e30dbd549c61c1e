using Interactive.Xai.Cli;

return CliApp.Run(args, Console.Out, Console.Error);
