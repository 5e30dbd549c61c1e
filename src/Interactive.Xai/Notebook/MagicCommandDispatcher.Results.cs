using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Interactive.Xai.Hosting;
using Microsoft.Data.Analysis;

namespace Interactive.Xai.Notebook;

public sealed partial class MagicCommandDispatcher
{
    // Commands whose results are not kept: the help is instant, a training monitor changes while it is watched, and an
    // inspection displays live model objects (a TorchModel) whose view reads the model as it is now.
    private static readonly HashSet<string> Uncached = ["xai-help", "xai-training", "xai-inspect", "xai-distributions"];

    // Options whose values name notebook variables or files; the key holds their content, not only their names.
    private static readonly HashSet<string> Inputs = ["model", "data", "background", "retrain"];

    private readonly ConditionalWeakTable<object, string> _identities = new();
    private readonly ConditionalWeakTable<FeatureTable, string> _tableKeys = new();
    private long _nextIdentity;

    /// <summary>
    /// The result-cache key of a command: its name, every option, and for the options naming variables or files
    /// their content: a file's path, length and write time; a table's or array's values (SHA-256); a model's identity
    /// (and a TorchSharp network's current parameters). Null when an input cannot be keyed by content (the command
    /// then always runs).
    /// </summary>
    private string? ResultKey(MagicCommand command, IReadOnlyDictionary<string, string> options, IVariableSource variables)
    {
        if (Uncached.Contains(command.Name)) return null;
        var key = new StringBuilder(command.Name);
        foreach (var (name, value) in options.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            key.Append('\u001e').Append(name).Append('=').Append(value);
            if (!Inputs.Contains(name)) continue;
            if (InputKey(value, variables) is not { } content) return null;
            key.Append('#').Append(content);
        }
        return key.ToString();
    }

    private string? InputKey(string reference, IVariableSource variables)
    {
        if (!variables.TryGetValue(reference, out var value)) return File.Exists(reference) ? ResultCache.FileKey(reference) : null;
        switch (value)
        {
            case null: return null;
            case string path: return File.Exists(path) ? ResultCache.FileKey(path) : null;
            case FeatureTable table: return TableKey(table);
            case Dataset dataset: return TableKey(dataset.Features) + "+" + ResultCache.ContentKey(dataset.Labels, [dataset.LabelName], dataset.Labels.Length);
            case float[,] array: return ResultCache.ContentKey(MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, float>(ref MemoryMarshal.GetArrayDataReference(array)), array.Length), null, array.GetLength(0), array.GetLength(1));
            case float[][] jagged: return ResultCache.ContentKey(jagged.SelectMany(r => r.Append(float.NaN)).ToArray(), null, jagged.Length);
            case DataFrame frame: return FrameKey(frame);
        }
        // models and functions: the same object is the same model; a TorchSharp network may be trained between cells
        var identity = _identities.GetValue(value, _ => "object:" + Interlocked.Increment(ref _nextIdentity));
        if (!TryTorchParameterKey(value, out var parameters)) return null;
        return parameters is null ? identity : identity + "@" + parameters;
    }

    // A table's content never changes, so its key is computed once per object.
    private string TableKey(FeatureTable table)
        => _tableKeys.GetValue(table, t => ResultCache.ContentKey(t.Values, t.FeatureNames, t.RowCount, t.ColumnCount));

    private static string FrameKey(DataFrame frame)
    {
        // a DataFrame can be changed in place, so its values are read every time: each value's full bits (a double
        // differing in its last digit is a different key), text as UTF-8, each cell closed by a separator
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(BitConverter.GetBytes(frame.Rows.Count));
        foreach (var column in frame.Columns)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(column.Name + "\u001f" + column.DataType.FullName + "\u001e"));
            for (long i = 0; i < column.Length; i++)
            {
                byte[] bytes = column[i] switch
                {
                    null => [0xFF],
                    double d => BitConverter.GetBytes(d),
                    float f => BitConverter.GetBytes(f),
                    int n => BitConverter.GetBytes(n),
                    long n => BitConverter.GetBytes(n),
                    bool b => [b ? (byte)1 : (byte)0],
                    var other => Encoding.UTF8.GetBytes(Convert.ToString(other, System.Globalization.CultureInfo.InvariantCulture) ?? ""),
                };
                hash.AppendData(bytes);
                hash.AppendData([0x1F]);
            }
        }
        return "frame:" + Convert.ToHexString(hash.GetHashAndReset());
    }
}
