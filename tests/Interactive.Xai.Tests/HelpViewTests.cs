using System.Text.RegularExpressions;
using Interactive.Xai.Notebook;

namespace Interactive.Xai.Tests;

/// <summary>The #!xai-help listing reads left to right in Jupyter, whose stylesheet right-aligns table cells.</summary>
public class HelpViewTests
{
    private static string HelpHtml() => ExplanationViews.Html(new MagicCommandHelp(MagicCommands.All));

    [Fact]
    public void EveryHelpTableCellIsLeftAlignedByItsOwnInlineStyle()
    {
        string html = HelpHtml();
        // Jupyter's ".rendered_html td {text-align:right}" has the same specificity as the view's stylesheet, and an
        // untrusted notebook drops <style> elements: only an inline style on the cell itself always wins.
        var cells = Regex.Matches(html, "<t[dh](?<attributes>\\s[^>]*)?>");
        int options = MagicCommands.All.Sum(c => c.Options.Count);
        Assert.Equal(options * 2 + MagicCommands.All.Count(c => c.Options.Count > 0) * 2, cells.Count);
        foreach (Match cell in cells)
            Assert.Matches("style=\"[^\"]*text-align:left", cell.Groups["attributes"].Value);
    }

    [Fact]
    public void EveryCommandDescriptionParagraphIsLeftAligned()
    {
        string html = HelpHtml();
        foreach (var command in MagicCommands.All)
        {
            string encoded = System.Net.WebUtility.HtmlEncode(command.Description);
            int at = html.IndexOf(">" + encoded + "</p>", StringComparison.Ordinal);
            Assert.True(at > 0, $"#!{command.Name}'s description is not in a paragraph");
            int open = html.LastIndexOf("<p", at, StringComparison.Ordinal);
            Assert.Contains("text-align:left", html[open..at]);
        }
    }
}
