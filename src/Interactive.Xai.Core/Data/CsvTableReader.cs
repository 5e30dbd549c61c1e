using System.Globalization;
using System.Text;

namespace Interactive.Xai;

/// <summary>
/// Reads numeric CSV files strictly: a header row of column names, then rows of the same number of
/// finite numbers that fit in float32. A UTF-8 byte-order mark, CRLF line endings, a missing final
/// newline, trailing blank lines and double-quoted fields are accepted. Anything else is rejected with
/// an <see cref="XaiException"/> whose one-line message names the file, the row and the column.
/// </summary>
/// <remarks>
/// The file is streamed: numbers are parsed from spans straight into the table's row-major float array, so
/// reading a file costs about its float data (4 bytes per cell) plus a constant, not its text. A line longer
/// than <see cref="MaxLineLength"/> characters (for example <c>/dev/zero</c> or a binary file) is refused at
/// once, and a table of more than <see cref="MaxValues"/> values is refused as it grows past that.
/// </remarks>
public static class CsvTableReader
{
    /// <summary>The longest line accepted, in characters (1,048,576).</summary>
    public const int MaxLineLength = 1 << 20;

    /// <summary>The most values (rows x columns) one table may hold: the largest .NET float array.</summary>
    public static readonly long MaxValues = Array.MaxLength;

    private const int ChunkValues = 1 << 20;

    /// <summary>Reads the CSV file at <paramref name="path"/>.</summary>
    public static FeatureTable Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Trim().Length == 0) throw new XaiException("the data path is empty; give a CSV file");
        if (Directory.Exists(path)) throw new XaiException($"{path}: is a folder, not a CSV file");
        string name = Path.GetFileName(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            long? rowHint = CountDataRows(stream);
            using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
            return Parse(reader, name, rowHint);
        }
        catch (FileNotFoundException) { throw new XaiException($"{path}: file not found"); }
        catch (DirectoryNotFoundException) { throw new XaiException($"{path}: file not found"); }
        catch (DecoderFallbackException) { throw new XaiException($"{path}: not a UTF-8 text file"); }
        catch (IOException e) { throw new XaiException($"{path}: cannot read: {e.Message}"); }
        catch (UnauthorizedAccessException) { throw new XaiException($"{path}: permission denied"); }
    }

    /// <summary>Parses CSV text; <paramref name="sourceName"/> names the source in error messages.</summary>
    public static FeatureTable Parse(string text, string sourceName = "<csv>")
    {
        ArgumentNullException.ThrowIfNull(text);
        using var reader = new StringReader(text);
        return Parse(reader, sourceName, rowHint: null);
    }

    /// <summary>Parses CSV text from a reader (streamed); <paramref name="sourceName"/> names the source in error messages.</summary>
    public static FeatureTable Parse(TextReader reader, string sourceName = "<csv>")
    {
        ArgumentNullException.ThrowIfNull(reader);
        return Parse(reader, sourceName, rowHint: null);
    }

    // Counts line ends in a regular file (its size known) to size the float array exactly: "\n", "\r\n" and a lone
    // "\r" each end one line, and a last line without an end counts too. Null when the size is unknown (pipes,
    // devices such as /dev/zero report 0). The stream is left at its start.
    private static long? CountDataRows(FileStream stream)
    {
        if (!stream.CanSeek) return null;
        long length = stream.Length;
        if (length <= 0) return null;
        var buffer = new byte[1 << 16];
        long lines = 0, read = 0;
        byte last = 0;
        while (read < length)
        {
            int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, length - read));
            if (n <= 0) break;
            for (int i = 0; i < n; i++)
            {
                byte b = buffer[i];
                if (b == (byte)'\n') { if (last != (byte)'\r') lines++; }
                else if (b == (byte)'\r') lines++;
                last = b;
            }
            read += n;
        }
        if (last is not ((byte)'\n' or (byte)'\r')) lines++;
        stream.Seek(0, SeekOrigin.Begin);
        return Math.Max(0, lines - 1);
    }

    private static FeatureTable Parse(TextReader reader, string sourceName, long? rowHint)
    {
        var parser = new Parser(sourceName, rowHint);
        var buffer = new char[1 << 16];
        bool first = true;
        int n;
        while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            int start = 0;
            if (first && buffer[0] == '\uFEFF') start = 1;
            first = false;
            parser.Feed(buffer.AsSpan(start, n - start));
        }
        return parser.Finish();
    }

    // A record ends at "\n", "\r\n" or "\r" outside double quotes (any '"' toggles quoting, as a field may hold a
    // quoted line break). Blank records at the end of the file are ignored; a blank record before a later
    // non-blank one is a row like any other (and so an error).
    private sealed class Parser(string source, long? rowHint)
    {
        private char[] _record = new char[256];
        private int _length;
        private bool _inQuotes;
        private bool _skipLineFeed;
        private long _line; // lines completed so far
        private long _pendingBlank; // blank records not yet known to be trailing
        private long _firstPendingBlankLine;
        private string[]? _header;
        private int _columns;
        private long _rows;
        private readonly FloatStore _store = new(rowHint);

        public void Feed(ReadOnlySpan<char> text)
        {
            for (int i = 0; i < text.Length; i++)
            {
                char ch = text[i];
                if (_skipLineFeed)
                {
                    _skipLineFeed = false;
                    if (ch == '\n') continue;
                }
                if (ch == '"') _inQuotes = !_inQuotes;
                if (!_inQuotes && (ch == '\n' || ch == '\r'))
                {
                    if (ch == '\r') _skipLineFeed = true;
                    EndRecord();
                    continue;
                }
                if (_length == _record.Length)
                {
                    if (_length >= MaxLineLength)
                        throw new XaiException(string.Create(CultureInfo.InvariantCulture,
                            $"{source}: line {_line + 1} is longer than {MaxLineLength:N0} characters; is it a CSV text file?"));
                    Array.Resize(ref _record, Math.Min(_record.Length * 2, MaxLineLength));
                }
                _record[_length++] = ch;
            }
        }

        public FeatureTable Finish()
        {
            if (_length > 0) EndRecord();
            if (_header is null) throw new XaiException($"{source}: the file is empty");
            if (_rows == 0) throw new XaiException($"{source}: the file has a header but no data rows");
            var values = _store.ToArray(_rows * _columns);
            return FeatureTable.FromRowMajor(values, (int)_rows, _columns, _header, copy: false);
        }

        private void EndRecord()
        {
            _line++;
            if (_length == 0)
            {
                if (_pendingBlank++ == 0) _firstPendingBlankLine = _line;
                return;
            }
            if (_pendingBlank > 0)
            {
                // A blank line followed by more text: it is a row (or the header) like any other.
                long line = _line;
                _line = _firstPendingBlankLine;
                _pendingBlank = 0;
                Process(ReadOnlySpan<char>.Empty);
                _line = line;
            }
            Process(_record.AsSpan(0, _length));
            _length = 0;
        }

        private void Process(ReadOnlySpan<char> record)
        {
            if (_header is null) { ReadHeader(record); return; }
            long row = _rows + 1;
            var destination = _store.NextRow(_columns, source);
            int count = 0, pos = 0;
            string? cellError = null;
            while (true)
            {
                var field = NextField(record, ref pos, source, _line);
                if (count < _columns && cellError is null)
                    cellError = ParseCell(field, out destination[count], row, _line, count);
                count++;
                if (pos > record.Length) break;
            }
            if (count != _columns)
                throw new XaiException(string.Create(CultureInfo.InvariantCulture,
                    $"{source}: row {row} (line {_line}) has {count} fields, expected {_columns} like the header"));
            if (cellError is not null) throw new XaiException(cellError);
            _rows++;
        }

        private void ReadHeader(ReadOnlySpan<char> record)
        {
            var names = new List<string>();
            int pos = 0;
            while (true)
            {
                names.Add(NextField(record, ref pos, source, _line).Trim().ToString());
                if (pos > record.Length) break;
            }
            for (int c = 0; c < names.Count; c++)
                if (names[c].Length == 0) throw new XaiException($"{source}: header column {c + 1} has no name");
            var duplicate = names.GroupBy(h => h, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) throw new XaiException($"{source}: the header names column '{duplicate.Key}' twice");
            _header = names.ToArray();
            _columns = names.Count;
        }

        // Null when the cell is a finite float32 number (stored in value); else the one-line error.
        private string? ParseCell(ReadOnlySpan<char> field, out float value, long row, long line, int column)
        {
            value = 0;
            var cell = field.Trim();
            if (cell.Length == 0) return $"{Where(row, line, column)}: the cell is empty";
            if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
                return $"{Where(row, line, column)}: '{Truncate(cell)}' is not a number";
            if (!double.IsFinite(number)) return $"{Where(row, line, column)}: '{Truncate(cell)}' is not a finite number";
            // Overflow is what float32 cannot hold: 3.4028235E+38 (float.MaxValue as .NET prints it) rounds to float.MaxValue.
            if (float.IsInfinity((float)number)) return $"{Where(row, line, column)}: {Truncate(cell)} overflows float32";
            value = (float)number;
            return null;
        }

        private string Where(long row, long line, int column)
            => string.Create(CultureInfo.InvariantCulture, $"{source}: row {row} (line {line}), column '{_header![column]}'");
    }

    private static string Truncate(ReadOnlySpan<char> s) => s.Length <= 40 ? s.ToString() : string.Concat(s[..40], "...");

    // The next field of a record from position pos; pos ends past the field's comma, or at record.Length + 1 after
    // the last field. A quoted field ("" is a quote inside) may have spaces around its quotes.
    private static ReadOnlySpan<char> NextField(ReadOnlySpan<char> line, ref int pos, string source, long lineNumber)
    {
        int i = pos;
        while (i < line.Length && line[i] == ' ') i++;
        if (i < line.Length && line[i] == '"')
        {
            var current = new StringBuilder();
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
            pos = i + 1;
            return current.ToString().AsSpan();
        }
        int start = pos;
        int comma = line[start..].IndexOf(',');
        int end = comma < 0 ? line.Length : start + comma;
        pos = end + 1;
        return line[start..end];
    }

    // Row-major float storage: one exact array when the row count is known in advance (a regular file), else
    // chunks of 4 MB joined once at the end.
    private sealed class FloatStore(long? rowHint)
    {
        private float[]? _exact;
        private readonly List<float[]> _chunks = [];
        private long _count;
        private bool _exactFailed = rowHint is null;

        public Span<float> NextRow(int columns, string source)
        {
            if (_count + columns > MaxValues)
                throw new XaiException(string.Create(CultureInfo.InvariantCulture,
                    $"{source}: more than {MaxValues:N0} values ({columns} columns); the table is too large to load"));
            if (!_exactFailed)
            {
                if (_exact is null)
                {
                    long size = rowHint!.Value * columns;
                    if (size <= 0 || size > MaxValues) _exactFailed = true;
                    else _exact = new float[size];
                }
                if (_exact is not null && _count + columns <= _exact.Length)
                {
                    var row = _exact.AsSpan((int)_count, columns);
                    _count += columns;
                    return row;
                }
                // More rows than line ends counted (cannot happen for a regular file read once): fall back to chunks.
                _exactFailed = true;
                if (_exact is not null) _chunks.Add(_exact[..(int)_count]);
                _exact = null;
                _chunkUsed = _chunks.Count == 0 ? 0 : _chunks[^1].Length;
                _chunkFull = true;
            }
            if (_chunkFull || _chunks.Count == 0 || _chunkUsed + columns > _chunks[^1].Length)
            {
                _chunks.Add(new float[Math.Max(ChunkValues / columns, 1) * columns]);
                _chunkUsed = 0;
                _chunkFull = false;
            }
            var span = _chunks[^1].AsSpan(_chunkUsed, columns);
            _chunkUsed += columns;
            _count += columns;
            return span;
        }

        private int _chunkUsed;
        private bool _chunkFull;

        public float[] ToArray(long count)
        {
            if (_exact is not null && _exact.Length == count) return _exact;
            var result = new float[count];
            if (_exact is not null) { Array.Copy(_exact, result, count); return result; }
            long offset = 0;
            for (int c = 0; c < _chunks.Count; c++)
            {
                long take = Math.Min(c == _chunks.Count - 1 ? _chunkUsed : _chunks[c].Length, count - offset);
                if (take <= 0) break;
                Array.Copy(_chunks[c], 0, result, offset, take);
                offset += take;
                _chunks[c] = [];
            }
            return result;
        }
    }
}
