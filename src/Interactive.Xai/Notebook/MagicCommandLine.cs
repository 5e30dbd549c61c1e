using System.Text;

namespace Interactive.Xai.Notebook;

/// <summary>Splits a magic-command line into its name and its --option value pairs.</summary>
public static class MagicCommandLine
{
    /// <summary>
    /// Parses "#!xai-explain --model m --data 'my file.csv' --absolute" into ("xai-explain", options).
    /// Values may be quoted with ' or "; an option followed by another option (or nothing) is a flag with value "true".
    /// </summary>
    public static (string Name, IReadOnlyDictionary<string, string> Options) Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var tokens = Tokenize(line.Trim());
        if (tokens.Count == 0) throw new XaiException("empty magic command");
        string name = tokens[0].StartsWith("#!", StringComparison.Ordinal) ? tokens[0][2..] : tokens[0];
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length < 3)
                throw new XaiException($"#!{name}: unexpected '{token}'; options look like --name value");
            string key = token[2..];
            string value = i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal) ? tokens[++i] : "true";
            if (!options.TryAdd(key, value)) throw new XaiException($"#!{name}: option --{key} is given twice");
        }
        return (name, options);
    }

    private static List<string> Tokenize(string line)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        char quote = '\0';
        bool inToken = false;
        foreach (char ch in line)
        {
            if (quote != '\0')
            {
                if (ch == quote) quote = '\0';
                else current.Append(ch);
                continue;
            }
            if (ch is '"' or '\'') { quote = ch; inToken = true; continue; }
            if (char.IsWhiteSpace(ch))
            {
                if (inToken) { tokens.Add(current.ToString()); current.Clear(); inToken = false; }
                continue;
            }
            current.Append(ch);
            inToken = true;
        }
        if (quote != '\0') throw new XaiException("unterminated quote in magic command");
        if (inToken) tokens.Add(current.ToString());
        return tokens;
    }
}
