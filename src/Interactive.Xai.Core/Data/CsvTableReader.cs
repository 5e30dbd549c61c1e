using System.Globalization;
using System.Text;

namespace Interactive.Xai;

/// <summary>
/// Reads numeric CSV files strictly: a header row of column names, then rows of the same number of
/// finite numbers that fit in float32. A UTF-8 byte-order mark, CRLF line endings, a missing final
/// newline, trailing blank lines and double-quoted fields are accepted. Anything else is rejected with
/// an <see cref="XaiException"/> whose one-line message names the file, the row and the column.
/// </summary>
public static class CsvTableReader
{
    /// <summary>Reads the CSV file at <paramref name="path"/>.</summary>
    public static FeatureTable Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Trim().Length == 0) throw new XaiException("the data path is empty; give a CSV file");
        if (Directory.Exists(path)) throw new XaiException($"{path}: is a folder, not a CSV file");
        string name = Path.GetFileName(path);
        string text;
        try
        {
            text = File.ReadAllText(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (FileNotFoundException) { throw new XaiException($"{path}: file not found"); }
        catch (DirectoryNotFoundException) { throw new XaiException($"{path}: file not found"); }
        catch (DecoderFallbackException) { throw new XaiException($"{path}: not a UTF-8 text file"); }
        catch (IOException e) { throw new XaiException($"{path}: cannot read: {e.Message}"); }
        catch (UnauthorizedAccessException) { throw new XaiException($"{path}: permission denied"); }
        return Parse(text, name);
    }

    /// <summary>Parses CSV text; <paramref name="sourceName"/> names the source in error messages.</summary>
    public static FeatureTable Parse(string text, string sourceName = "<csv>")
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var lines = SplitLines(text);
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        if (lines.Count == 0) throw new XaiException($"{sourceName}: the file is empty");

        var header = SplitFields(lines[0], sourceName, 1);
        for (int c = 0; c < header.Count; c++)
        {
            header[c] = header[c].Trim();
            if (header[c].Length == 0) throw new XaiException($"{sourceName}: header column {c + 1} has no name");
        }
        var duplicate = header.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new XaiException($"{sourceName}: the header names column '{duplicate.Key}' twice");
        if (lines.Count == 1) throw new XaiException($"{sourceName}: the file has a header but no data rows");

        int columns = header.Count;
        int rows = lines.Count - 1;
        var values = new float[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            int lineNumber = r + 2;
            var fields = SplitFields(lines[r + 1], sourceName, lineNumber);
            if (fields.Count != columns)
                throw new XaiException($"{sourceName}: row {r + 1} (line {lineNumber}) has {fields.Count} fields, expected {columns} like the header");
            for (int c = 0; c < columns; c++)
                values[r * columns + c] = ParseCell(fields[c], sourceName, r + 1, lineNumber, header[c]);
        }
        return FeatureTable.FromRowMajor(values, rows, columns, header, copy: false);
    }

    private static float ParseCell(string field, string source, int row, int line, string column)
    {
        var cell = field.Trim();
        string where = $"{source}: row {row} (line {line}), column '{column}'";
        if (cell.Length == 0) throw new XaiException($"{where}: the cell is empty");
        if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            throw new XaiException($"{where}: '{Truncate(cell)}' is not a number");
        if (!double.IsFinite(value)) throw new XaiException($"{where}: '{Truncate(cell)}' is not a finite number");
        // Overflow is what float32 cannot hold: 3.4028235E+38 (float.MaxValue as .NET prints it) rounds to float.MaxValue.
        if (float.IsInfinity((float)value)) throw new XaiException($"{where}: {Truncate(cell)} overflows float32");
        return (float)value;
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "...";

    private static List<string> SplitLines(string text)
    {
        var lines = new List<string>();
        var current = new StringBuilder();
        bool inQuotes = false;
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (ch == '"') inQuotes = !inQuotes;
            if (!inQuotes && (ch == '\n' || ch == '\r'))
            {
                if (ch == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                lines.Add(current.ToString());
                current.Clear();
                continue;
            }
            current.Append(ch);
        }
        if (current.Length > 0) lines.Add(current.ToString());
        return lines;
    }

    private static List<string> SplitFields(string line, string source, int lineNumber)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        int i = 0;
        while (true)
        {
            current.Clear();
            // Skip leading spaces before a quoted field.
            int start = i;
            while (i < line.Length && line[i] == ' ') i++;
            if (i < line.Length && line[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= line.Length) throw new XaiException($"{source}: line {lineNumber} has an unterminated quoted field");
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    current.Append(line[i++]);
                }
                while (i < line.Length && line[i] == ' ') i++;
                if (i < line.Length && line[i] != ',')
                    throw new XaiException($"{source}: line {lineNumber} has text after a closing quote");
            }
            else
            {
                i = start;
                while (i < line.Length && line[i] != ',') current.Append(line[i++]);
            }
            fields.Add(current.ToString());
            if (i >= line.Length) break;
            i++; // the comma
        }
        return fields;
    }
}
