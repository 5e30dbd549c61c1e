using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Interactive.Xai.Torch;
using TorchSharp;

namespace Interactive.Xai.Hosting;

/// <summary>
/// A session cache for explainer state: background summaries and explainers (which keep background predictions
/// and coalition designs) per (model, background, options), so a second explanation of other rows with the same
/// model and background does not recompute them. Bounded: least recently used entries are dropped past
/// <see cref="Capacity"/> entries or past <see cref="MaxBytes"/> estimated bytes (an entry's estimate is
/// <see cref="ResultCache.EstimateBytes"/> of what it built, plus its background predictions for a model and background;
/// state an explainer grows later, such as Kernel SHAP's coalition designs, is not counted), and an entry estimated
/// above <see cref="MaxBytes"/> is returned but not kept. Safe for concurrent use.
/// Models and tables are compared by reference (a notebook variable holds the same object across cells); a
/// table's content is immutable, so reference identity is content identity. A TorchSharp network
/// (<see cref="TorchModel"/>) can be trained in place between cells, so an entry built from one also records a
/// fingerprint of its parameters and buffers (<see cref="ModelState"/>), and is rebuilt when the network's current
/// fingerprint differs. Other models (ONNX, ML.NET, delegates) are assumed not to change behind the same object.
/// </summary>
public sealed class ExplainerCache
{
    private readonly Lock _gate = new();
    private readonly LruMap<Key, Entry> _entries = new();
    private readonly ConditionalWeakTable<object, object> _identities = new();
    private readonly Dictionary<long, List<WeakReference<FeatureTable>>> _interned = [];
    private long _nextIdentity;

    /// <summary>Creates a cache holding at most <paramref name="capacity"/> entries and about <paramref name="maxBytes"/> bytes.</summary>
    public ExplainerCache(int capacity = 64, long maxBytes = 512L << 20)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        Capacity = capacity;
        MaxBytes = maxBytes;
    }

    /// <summary>The most entries kept.</summary>
    public int Capacity { get; }

    /// <summary>The most bytes (estimated) kept.</summary>
    public long MaxBytes { get; }

    /// <summary>Estimated bytes now held (entries still being built count as nothing).</summary>
    public long Bytes
    {
        get { lock (_gate) return _entries.Bytes; }
    }

    /// <summary>Entries now held.</summary>
    public int Count
    {
        get { lock (_gate) return _entries.Count; }
    }

    /// <summary>Lookups answered from the cache.</summary>
    public long Hits { get; private set; }

    /// <summary>Lookups that had to compute.</summary>
    public long Misses { get; private set; }

    /// <summary>
    /// The table already seen with the same content (names and values) as <paramref name="table"/>, else
    /// <paramref name="table"/> itself, remembered. A notebook converts a DataFrame or reads a CSV afresh in every
    /// cell; interning makes those equal tables one object, so they share cache entries. Costs one pass over the values.
    /// </summary>
    public FeatureTable Intern(FeatureTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        long fingerprint = Fingerprint(table);
        lock (_gate)
        {
            if (_interned.TryGetValue(fingerprint, out var known))
            {
                foreach (var weak in known)
                    if (weak.TryGetTarget(out var candidate) && (ReferenceEquals(candidate, table) || SameContent(candidate, table))) return candidate;
                known.RemoveAll(w => !w.TryGetTarget(out _));
            }
            else
            {
                known = [];
                _interned[fingerprint] = known;
            }
            known.Add(new WeakReference<FeatureTable>(table));
            return table;
        }
    }

    private static long Fingerprint(FeatureTable table)
    {
        var hash = new HashCode();
        hash.Add(table.RowCount);
        foreach (var name in table.FeatureNames) hash.Add(name);
        long sum = 0;
        var bits = System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(table.Values);
        for (int i = 0; i < bits.Length; i++) sum = sum * 31 + bits[i];
        hash.Add(sum);
        return hash.ToHashCode();
    }

    private static bool SameContent(FeatureTable a, FeatureTable b)
        => a.RowCount == b.RowCount && a.FeatureNames.SequenceEqual(b.FeatureNames)
           && System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(a.Values).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(b.Values));

    /// <summary>A weighted k-means summary of <paramref name="table"/>, computed once per (table, size, seed).</summary>
    public WeightedBackground Summary(FeatureTable table, int size, int seed)
        => GetOrAdd(new Key("kmeans", Identity(table), 0, $"{size}/{seed}"), () => WeightedBackground.KMeans(table, size, seed));

    /// <summary>The whole table as an equally weighted background, one object per table.</summary>
    public WeightedBackground Whole(FeatureTable table)
        => GetOrAdd(new Key("whole", Identity(table), 0, ""), () => WeightedBackground.FromTable(table));

    /// <summary>The explainer for (model, background, options), created once.</summary>
    public T GetOrCreate<T>(IModel model, WeightedBackground background, ExplainerOptions options, Func<T> create) where T : class
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(background);
        // the explainer keeps the model's outputs on the background rows (as doubles), which it does not expose
        long predictions = 8L * background.Count * model.OutputCount();
        return GetOrAdd(new Key(typeof(T).FullName!, Identity(model), Identity(background), options.ToString()), create, ModelState(model), predictions);
    }

    /// <summary>
    /// The explainer for (model, reference table, options), created once: for explainers whose state depends on the
    /// model and a whole data set rather than a weighted background (LIME's training statistics, the counterfactual
    /// search's feature scales and ranges). <paramref name="optionsKey"/> must spell out every option that changes the
    /// explainer (a record's ToString does not show the contents of its lists).
    /// </summary>
    public T GetOrCreate<T>(IModel model, FeatureTable reference, string optionsKey, Func<T> create) where T : class
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(optionsKey);
        return GetOrAdd(new Key(typeof(T).FullName! + "/table", Identity(model), Identity(reference), optionsKey), create, ModelState(model));
    }

    /// <summary>A tree ensemble with node covers from routing <paramref name="data"/> through it, computed once per (ensemble, data).</summary>
    public TreeEnsemble Covered(TreeEnsemble ensemble, FeatureTable data)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        ArgumentNullException.ThrowIfNull(data);
        return GetOrAdd(new Key("covers", Identity(ensemble), Identity(data), ""), () => ensemble.WithCovers(data));
    }

    /// <summary>Drops every entry.</summary>
    public void Clear()
    {
        lock (_gate) _entries.Clear();
    }

    private long Identity(object value)
    {
        lock (_gate)
        {
            if (_identities.TryGetValue(value, out var id)) return (long)id;
            long next = ++_nextIdentity;
            _identities.Add(value, next);
            return next;
        }
    }

    /// <summary>
    /// A fingerprint of what can change in place inside <paramref name="model"/>: for a <see cref="TorchModel"/>, a
    /// SHA-256 of the names, shapes, types and values of its parameters and buffers (a network trained in place since
    /// an explainer was built gets a new fingerprint); null for other models. Reads every parameter once.
    /// </summary>
    public static string? ModelState(IModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is not TorchModel torchModel) return null;
        try
        {
            return ModuleState(torchModel.Module);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // parameters that cannot be read: a state no later call matches, so nothing built from it is reused
            return "unreadable:" + Guid.NewGuid().ToString("N");
        }
    }

    /// <summary>
    /// A fingerprint of <paramref name="module"/>'s current state: SHA-256 over every parameter's and buffer's name,
    /// type, shape and values (so training in place, a loaded state dict or changed BatchNorm running statistics all
    /// change it).
    /// </summary>
    public static string ModuleState(torch.nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var scope = torch.NewDisposeScope();
        foreach (var (kind, tensors) in new[] { ("p:", module.named_parameters().Select(p => (p.name, (torch.Tensor)p.parameter))), ("b:", module.named_buffers()) })
        {
            foreach (var (name, tensor) in tensors)
            {
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(kind + name + "\u001f" + tensor.dtype + "\u001f" + string.Join(",", tensor.shape) + "\u001e"));
                // detach() is a new handle on the same storage (the scope disposes it, not the parameter); the values are
                // read in place when they are already contiguous on the CPU, else from a contiguous CPU copy
                var values = tensor.detach();
                if (values.device_type != DeviceType.CPU || !values.is_contiguous()) values = values.cpu().contiguous();
                hash.AppendData(values.bytes);
            }
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private T GetOrAdd<T>(Key key, Func<T> create, string? state = null, long extraBytes = 0) where T : class
    {
        Lazy<object> lazy;
        lock (_gate)
        {
            // the model changed in place since this entry was built (a network trained between cells): rebuild
            if (_entries.TryPeek(key, out var stale, out _) && stale.State != state) _entries.Remove(key);
            if (_entries.TryGet(key, out var entry))
            {
                Hits++;
                lazy = entry.Value;
            }
            else
            {
                Misses++;
                lazy = new Lazy<object>(() => create(), LazyThreadSafetyMode.ExecutionAndPublication);
                _entries.Add(key, new Entry(lazy, state));
                _entries.Trim(Capacity, long.MaxValue);
            }
        }
        T value;
        try
        {
            value = (T)lazy.Value;
        }
        catch
        {
            lock (_gate)
            {
                if (Holds(key, lazy, out _)) _entries.Remove(key);
            }
            throw;
        }
        Account(key, lazy, value, extraBytes);
        return value;
    }

    // The first caller to see a built entry records its estimated size, then drops least recently used entries past the byte bound.
    private void Account(Key key, Lazy<object> lazy, object value, long extraBytes)
    {
        lock (_gate)
        {
            if (!Holds(key, lazy, out var known) || known is not null) return;
        }
        long bytes = ResultCache.EstimateBytes(value) + extraBytes;
        lock (_gate)
        {
            if (!Holds(key, lazy, out var known) || known is not null) return;
            if (bytes > MaxBytes)
            {
                _entries.Remove(key);
                return;
            }
            _entries.SetBytes(key, bytes);
            _entries.Trim(int.MaxValue, MaxBytes, keep: key);
        }
    }

    // Whether the entry under key is still the one holding lazy (called with the lock held); bytes: its size, null until known.
    private bool Holds(Key key, Lazy<object> lazy, out long? bytes)
        => _entries.TryPeek(key, out var entry, out bytes) && ReferenceEquals(entry.Value, lazy);

    private sealed record Key(string Kind, long First, long Second, string Options);

    private sealed record Entry(Lazy<object> Value, string? State);
}
