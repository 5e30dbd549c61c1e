using System.Collections;
using System.Collections.Immutable;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Interactive.Xai.Hosting;

/// <summary>
/// Finished results of whole requests (a magic command's displayed values), keyed by a string that spells out the
/// request's options and the content of its inputs (see <see cref="ContentKey"/>): re-running an unchanged notebook
/// cell answers from here without touching the model. Bounded by entries and by an estimate of the bytes the results
/// hold (<see cref="EstimateBytes"/>); least recently used entries go first, and a result larger than the byte bound
/// is not kept. Safe for concurrent use.
/// </summary>
public sealed class ResultCache
{
    private readonly Lock _gate = new();
    private readonly LruMap<string, IReadOnlyList<object>> _entries = new(StringComparer.Ordinal);

    /// <summary>Creates a cache of at most <paramref name="capacity"/> results and about <paramref name="maxBytes"/> bytes.</summary>
    public ResultCache(int capacity = 32, long maxBytes = 256L << 20)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        Capacity = capacity;
        MaxBytes = maxBytes;
    }

    /// <summary>The most results kept.</summary>
    public int Capacity { get; }

    /// <summary>The most bytes (estimated) kept.</summary>
    public long MaxBytes { get; }

    /// <summary>Results now held.</summary>
    public int Count
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <summary>Estimated bytes now held.</summary>
    public long Bytes
    {
        get { lock (_gate) return _entries.Bytes; }
    }

    /// <summary>Lookups answered from the cache.</summary>
    public long Hits { get; private set; }

    /// <summary>Lookups that found nothing.</summary>
    public long Misses { get; private set; }

    /// <summary>The result stored under <paramref name="key"/>, if any (it becomes the most recently used).</summary>
    public bool TryGet(string key, out IReadOnlyList<object> values)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_gate)
        {
            if (_entries.TryGet(key, out values))
            {
                Hits++;
                return true;
            }
            Misses++;
            values = [];
            return false;
        }
    }

    /// <summary>Stores <paramref name="values"/> under <paramref name="key"/> (replacing an older one), dropping the least recently used past the bounds.</summary>
    public void Add(string key, IReadOnlyList<object> values, long bytes)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(values);
        lock (_gate)
        {
            _entries.Remove(key);
            if (bytes > MaxBytes) return;
            _entries.Add(key, [.. values], bytes);
            _entries.Trim(Capacity, MaxBytes);
        }
    }

    /// <summary>Drops every result.</summary>
    public void Clear()
    {
        lock (_gate) _entries.Clear();
    }

    /// <summary>
    /// A file's identity for a cache key: full path, length and last write time, so an edited file is a new key.
    /// </summary>
    public static string FileKey(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        return string.Create(CultureInfo.InvariantCulture, $"file:{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}");
    }

    /// <summary>
    /// A key for in-memory data: a SHA-256 of <paramref name="values"/> with their shape and names, so two equal
    /// tables share a key and a changed value makes a new one.
    /// </summary>
    public static string ContentKey(ReadOnlySpan<float> values, IEnumerable<string>? names = null, params int[] shape)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (int d in shape) hash.AppendData(BitConverter.GetBytes(d));
        if (names is not null)
            foreach (var name in names) hash.AppendData(Encoding.UTF8.GetBytes(name + "\u001f"));
        hash.AppendData(MemoryMarshal.AsBytes(values));
        return "data:" + Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>
    /// An estimate of the bytes a result holds: the arrays, immutable arrays, lists and strings reachable through its
    /// public properties (to a depth of four objects; each object counted once). An estimate for the byte bound, not an
    /// exact figure.
    /// </summary>
    public static long EstimateBytes(object? value)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        return Estimate(value, 0, seen);
    }

    private static long Estimate(object? value, int depth, HashSet<object> seen)
    {
        const long ObjectBytes = 32;
        switch (value)
        {
            case null: return 0;
            case string s: return ObjectBytes + 2L * s.Length;
            case FeatureTable t: return seen.Add(t) ? ObjectBytes + 4L * t.Values.Length : 0;
        }
        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum || value is decimal or DateTime or TimeSpan or Guid) return 8;
        if (!type.IsValueType && !seen.Add(value)) return 0;
        if (value is Array array && array.GetType().GetElementType() is { IsPrimitive: true } element)
            return ObjectBytes + (long)array.Length * Marshal.SizeOf(element);
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>))
        {
            var elementType = type.GetGenericArguments()[0];
            var items = (IEnumerable)value;
            if (elementType.IsPrimitive) return ObjectBytes + (long)((ICollection)items).Count * Marshal.SizeOf(elementType);
            return depth >= 4 ? ObjectBytes : ObjectBytes + items.Cast<object?>().Sum(i => Estimate(i, depth + 1, seen));
        }
        if (value is IEnumerable enumerable)
        {
            if (depth >= 4) return ObjectBytes;
            long total = ObjectBytes;
            foreach (var item in enumerable) total += Estimate(item, depth + 1, seen);
            return total;
        }
        if (depth >= 4) return ObjectBytes;
        long sum = ObjectBytes;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is null) continue;
            // computed views (IEnumerable properties built on each call) are not storage; fields of records are their properties
            object? child;
            try
            {
                child = property.GetValue(value);
            }
            catch (TargetInvocationException)
            {
                continue;
            }
            if (child is IEnumerable and not (string or Array or ICollection)) continue;
            sum += Estimate(child, depth + 1, seen);
        }
        return sum;
    }
}
