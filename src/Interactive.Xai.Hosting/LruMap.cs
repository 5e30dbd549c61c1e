namespace Interactive.Xai.Hosting;

/// <summary>
/// The least-recently-used bookkeeping <see cref="ResultCache"/> and <see cref="ExplainerCache"/> share: values by key
/// in order of use, each with an estimated size in bytes (null until known, counted as nothing), and the total of the
/// known sizes. Not safe for concurrent use: the caches call it under their own lock.
/// </summary>
internal sealed class LruMap<TKey, TValue> where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<Slot>> _slots;
    private readonly LinkedList<Slot> _recency = new();

    /// <summary>Creates an empty map comparing keys with <paramref name="comparer"/> (null: the default).</summary>
    public LruMap(IEqualityComparer<TKey>? comparer = null) => _slots = new(comparer);

    /// <summary>Entries now held.</summary>
    public int Count => _slots.Count;

    /// <summary>The sum of the known sizes.</summary>
    public long Bytes { get; private set; }

    /// <summary>The value under <paramref name="key"/> and its size, if any, leaving the order of use as it is.</summary>
    public bool TryPeek(TKey key, out TValue value, out long? bytes)
    {
        if (_slots.TryGetValue(key, out var node))
        {
            (value, bytes) = (node.Value.Value, node.Value.Bytes);
            return true;
        }
        (value, bytes) = (default!, null);
        return false;
    }

    /// <summary>The value under <paramref name="key"/>, if any, which becomes the most recently used.</summary>
    public bool TryGet(TKey key, out TValue value)
    {
        if (!_slots.TryGetValue(key, out var node))
        {
            value = default!;
            return false;
        }
        _recency.Remove(node);
        _recency.AddFirst(node);
        value = node.Value.Value;
        return true;
    }

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> as the most recently used, replacing an older one.</summary>
    public void Add(TKey key, TValue value, long? bytes = null)
    {
        Remove(key);
        _slots[key] = _recency.AddFirst(new Slot(key, value) { Bytes = bytes });
        Bytes += bytes ?? 0;
    }

    /// <summary>Records the size of the entry under <paramref name="key"/> (which must be held and not sized yet).</summary>
    public void SetBytes(TKey key, long bytes)
    {
        var slot = _slots[key].Value;
        if (slot.Bytes is not null) throw new InvalidOperationException("the entry's size is known already");
        slot.Bytes = bytes;
        Bytes += bytes;
    }

    /// <summary>Drops the entry under <paramref name="key"/>; false when there is none.</summary>
    public bool Remove(TKey key)
    {
        if (!_slots.Remove(key, out var node)) return false;
        _recency.Remove(node);
        Bytes -= node.Value.Bytes ?? 0;
        return true;
    }

    /// <summary>
    /// Drops least recently used entries while more than <paramref name="capacity"/> entries or <paramref name="maxBytes"/>
    /// known bytes are held, stopping at the entry under <paramref name="keep"/> (when given).
    /// </summary>
    public void Trim(int capacity, long maxBytes, TKey? keep = default)
    {
        while ((_slots.Count > capacity || Bytes > maxBytes) && _recency.Last is { } last
               && (keep is null || !_slots.Comparer.Equals(last.Value.Key, keep)))
            Remove(last.Value.Key);
    }

    /// <summary>Drops every entry.</summary>
    public void Clear()
    {
        _slots.Clear();
        _recency.Clear();
        Bytes = 0;
    }

    private sealed class Slot(TKey key, TValue value)
    {
        public TKey Key { get; } = key;

        public TValue Value { get; } = value;

        public long? Bytes { get; set; }
    }
}
