namespace Interactive.Xai.Cli.Tests;

/// <summary>Every command's --help page fits a 100-column terminal.</summary>
public class HelpWidthTests
{
    public const int Columns = 100;

    public static TheoryData<string> HelpCommandLines()
    {
        var data = new TheoryData<string>();
        foreach (var request in CliApp.HelpRequests()) data.Add(string.Join(' ', request));
        return data;
    }

    [Fact]
    public void EveryCommandIsCovered()
    {
        var lines = CliApp.HelpRequests().Select(r => string.Join(' ', r)).ToList();
        foreach (var expected in new[] { "--help", "explain --help", "inspect --help", "counterfactual --help", "demo --help", "setup --help", "setup torch --help" })
            Assert.Contains(expected, lines);
    }

    [Theory]
    [MemberData(nameof(HelpCommandLines))]
    public void HelpFitsOneHundredColumns(string commandLine)
    {
        var (code, output, error) = CliRunner.Run(commandLine.Split(' '));
        Assert.True(code == 0, error);
        Assert.Contains("Usage:", output);
        AssertFits(commandLine, output);
    }

    internal static void AssertFits(string commandLine, string text)
    {
        var tooLong = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > Columns).ToList();
        Assert.True(tooLong.Count == 0, $"xai {commandLine}: {tooLong.Count} lines over {Columns} columns:\n" + string.Join('\n', tooLong));
    }
}
