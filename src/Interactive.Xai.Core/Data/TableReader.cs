using System.Globalization;

namespace Interactive.Xai;

/// <summary>
/// Reads a numeric table from a file, choosing the format by extension and, for other names, by the file's
/// first bytes: Parquet (<c>.parquet</c>, <c>.parq</c>, or starting with <c>PAR1</c>), Arrow IPC (<c>.arrow</c>,
/// <c>.feather</c>, <c>.ipc</c>, <c>.arrows</c>, or starting with <c>ARROW1</c>) and otherwise CSV
/// (<see cref="CsvTableReader"/>). Every format is streamed into one row-major float array (Parquet row group by
/// row group, Arrow record batch by record batch) and every failure is one <see cref="XaiException"/> line naming
/// the file and, where it applies, the row and the column.
/// </summary>
public static class TableReader
{
    /// <summary>The file formats <see cref="Read"/> understands.</summary>
    public enum Format
    {
        /// <summary>Comma-separated text with a header row.</summary>
        Csv,

        /// <summary>Apache Parquet.</summary>
        Parquet,

        /// <summary>Arrow IPC, file (Feather v2) or stream format.</summary>
        Arrow,
    }

    /// <summary>Reads the table at <paramref name="path"/> (CSV, Parquet or Arrow IPC).</summary>
    public static FeatureTable Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Trim().Length == 0) throw new XaiException("the data path is empty; give a CSV, Parquet or Arrow file");
        return FormatOf(path) switch
        {
            Format.Parquet => ParquetTableReader.Read(path),
            Format.Arrow => ArrowTableReader.Read(path),
            _ => CsvTableReader.Read(path),
        };
    }

    /// <summary>The format <see cref="Read"/> would use for <paramref name="path"/>.</summary>
    public static Format FormatOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        switch (extension)
        {
            case ".parquet" or ".parq": return Format.Parquet;
            case ".arrow" or ".feather" or ".ipc" or ".arrows": return Format.Arrow;
            case ".csv" or ".txt" or ".tsv": return Format.Csv;
        }
        // Other names: look at the first bytes of a regular file (pipes and devices report length 0 and are left unread).
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length < 6) return Format.Csv;
            Span<byte> head = stackalloc byte[6];
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            int n = stream.ReadAtLeast(head, 6, throwOnEndOfStream: false);
            if (n >= 4 && head[..4].SequenceEqual("PAR1"u8)) return Format.Parquet;
            if (n >= 6 && head.SequenceEqual("ARROW1"u8)) return Format.Arrow;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Format.Csv;
    }

    // Shared by the Parquet and Arrow readers: one-line errors, checks and conversion to float32 as the CSV reader does.
    internal static XaiException NotNumeric(string source, string column, string type)
        => new($"{source}: column '{column}' holds {type} values, not numbers; only numeric columns can be features");

    internal static XaiException Null(string source, long row, string column)
        => new(string.Create(CultureInfo.InvariantCulture, $"{source}: row {row}, column '{column}': the value is missing (null)"));

    internal static float ToFloat(double value, string source, long row, string column)
    {
        var inv = CultureInfo.InvariantCulture;
        if (!double.IsFinite(value))
            throw new XaiException(string.Create(inv, $"{source}: row {row}, column '{column}': {value.ToString("R", inv)} is not a finite number"));
        float result = (float)value;
        if (float.IsInfinity(result))
            throw new XaiException(string.Create(inv, $"{source}: row {row}, column '{column}': {value.ToString("R", inv)} overflows float32"));
        return result;
    }

    internal static void CheckNames(string source, IReadOnlyList<string> names)
    {
        if (names.Count == 0) throw new XaiException($"{source}: the file has no columns");
        for (int c = 0; c < names.Count; c++)
            if (string.IsNullOrWhiteSpace(names[c])) throw new XaiException($"{source}: column {c + 1} has no name");
        var duplicate = names.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new XaiException($"{source}: the file names column '{duplicate.Key}' twice");
    }

    internal static void CheckSize(string source, long rows, int columns)
    {
        if (rows * columns > Array.MaxLength)
            throw new XaiException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: {rows:N0} rows x {columns} columns is more than {Array.MaxLength:N0} values; the table is too large to load"));
    }

    // A library's exception as one line.
    internal static string OneLine(Exception e) => string.Join(' ', e.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    // Opens a data file with the same one-line errors as the CSV reader.
    internal static FileStream Open(string path, string kind)
    {
        if (Directory.Exists(path)) throw new XaiException($"{path}: is a folder, not a {kind} file");
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (FileNotFoundException) { throw new XaiException($"{path}: file not found"); }
        catch (DirectoryNotFoundException) { throw new XaiException($"{path}: file not found"); }
        catch (UnauthorizedAccessException) { throw new XaiException($"{path}: permission denied"); }
        catch (IOException e) { throw new XaiException($"{path}: cannot read: {e.Message}"); }
    }
}
