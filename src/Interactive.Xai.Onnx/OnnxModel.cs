using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using OrtTensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace Interactive.Xai.Onnx;

/// <summary>
/// An ONNX graph run by ONNX Runtime as a batched <see cref="IModel"/>: one float32 input of shape
/// [batch, features] or [batch, channels, height, width] (as torch.onnx.export writes image models; each row is the
/// image flattened, see <see cref="InputShape"/>) and one chosen float output of shape [batch, outputs] or [batch].
/// </summary>
/// <remarks>
/// <para>A dynamic batch axis takes the whole batch in one Run; a fixed batch axis of B rows is fed B rows at a
/// time (the last chunk padded). Inputs and outputs are bound in place over the caller's buffers, so a call
/// copies nothing (except the padded last chunk of a fixed-batch graph).</para>
/// <para>Feature names come from <see cref="OnnxModelOptions.FeatureNames"/> or the model metadata entry
/// "feature_names" (comma-separated, or a JSON array of strings); without either they are null. Output names
/// come from <see cref="OnnxModelOptions.OutputNames"/>, the metadata entry "class_names" (or "output_names")
/// when the output has more than one column, or else the graph output name ("y", or "y[0]", "y[1]", ...).</para>
/// <para><see cref="Predict"/> is thread-safe, so explainers evaluate several batches at once; each Run uses
/// <see cref="OnnxModelOptions.IntraOpThreads"/> threads, and batches that run at the same time use separate sessions
/// (up to <see cref="OnnxModelOptions.MaxSessions"/>), so that they do not wait on one memory arena.</para>
/// </remarks>
public sealed class OnnxModel : IModel, IDisposable
{
    private const string FeatureNamesKey = "feature_names";
    private static readonly string[] OutputNameKeys = ["class_names", "output_names"];

    // The first session answers every question about the graph; batches rent any idle session, creating one more while
    // there are fewer than _maxSessions (from _bytes, kept only then), else share the first (Run is thread-safe).
    private readonly InferenceSession _session;
    private readonly List<InferenceSession> _sessions;
    private readonly System.Collections.Concurrent.ConcurrentBag<InferenceSession> _idle = new();
    private readonly byte[]? _bytes;
    private readonly OnnxModelOptions _options;
    private int _maxSessions;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int _outputWidth;
    private readonly bool _outputIsRankOne;
    private volatile bool _disposed;

    private OnnxModel(InferenceSession session, string source, OnnxModelOptions options, byte[] bytes)
    {
        _session = session;
        _sessions = [session];
        _idle.Add(session);
        _options = options;
        _maxSessions = options.MaxSessions ?? DefaultMaxSessions(bytes.Length);
        _bytes = _maxSessions > 1 ? bytes : null;
        Source = source;

        var inputs = session.InputMetadata;
        if (inputs.Count != 1)
            throw new XaiException($"{source}: the model has {inputs.Count} inputs ({string.Join(", ", inputs.Keys)}); only models with one float32 input of shape [batch, features] are supported");
        var (inputName, input) = inputs.First();
        InputName = inputName;
        string expected = "a float32 input of shape [batch, features] or [batch, channels, height, width] is needed";
        if (!input.IsTensor)
            throw new XaiException($"{source}: input '{inputName}' is a {input.OnnxValueType}, not a tensor; {expected}");
        if (input.ElementDataType != OrtTensorElementType.Float)
            throw new XaiException($"{source}: input '{inputName}' has element type {input.ElementDataType}; {expected}");
        if (input.Dimensions.Length is not (2 or 4))
            throw new XaiException($"{source}: input '{inputName}' has shape {FormatShape(input)} (rank {input.Dimensions.Length}); {expected}");
        if (input.Dimensions.Skip(1).Any(d => d <= 0))
            throw new XaiException(input.Dimensions.Length == 2
                ? $"{source}: input '{inputName}' has shape {FormatShape(input)}: the feature axis must have a fixed size"
                : $"{source}: input '{inputName}' has shape {FormatShape(input)}: the channel, height and width axes must have fixed sizes");
        InputShape = input.Dimensions.Skip(1).ToImmutableArray();
        long features = input.Dimensions.Skip(1).Aggregate(1L, (product, d) => product * d);
        if (features > int.MaxValue) throw new XaiException($"{source}: input '{inputName}' has shape {FormatShape(input)}: too many values per row");
        FeatureCount = (int)features;
        FixedBatchSize = input.Dimensions[0] > 0 ? input.Dimensions[0] : null;

        var floatOutputs = session.OutputMetadata
            .Where(pair => pair.Value.IsTensor && pair.Value.ElementDataType == OrtTensorElementType.Float)
            .Select(pair => pair.Key).ToImmutableArray();
        AvailableOutputs = floatOutputs;
        string outputName = ChooseOutput(source, session, floatOutputs, options);
        OutputName = outputName;
        var output = session.OutputMetadata[outputName];
        if (output.Dimensions.Length is not (1 or 2))
            throw new XaiException($"{source}: output '{outputName}' has shape {FormatShape(output)}; an output of shape [batch] or [batch, outputs] is needed");
        _outputIsRankOne = output.Dimensions.Length == 1;
        _inputNames = [inputName];
        _outputNames = [outputName];
        _outputWidth = _outputIsRankOne ? 1
            : output.Dimensions[1] > 0 ? output.Dimensions[1]
            : ProbeOutputWidth();

        Metadata = session.ModelMetadata.CustomMetadataMap.ToImmutableDictionary();
        FeatureNames = ResolveFeatureNames(source, options, Metadata, FeatureCount);
        OutputNames = ResolveOutputNames(source, options, Metadata, outputName, _outputWidth);
    }

    /// <summary>Loads an ONNX model file.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="options">Output choice, names and threading; null for <see cref="OnnxModelOptions.Default"/>.</param>
    /// <exception cref="XaiException">The file is missing, is not a valid ONNX model, or its input/output is not supported.</exception>
    public static OnnxModel Load(string path, OnnxModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new XaiException($"{path}: file not found");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new XaiException($"{path}: cannot read the file: {exception.Message}", exception);
        }
        return FromBytes(bytes, path, options);
    }

    /// <summary>Loads an ONNX model from its serialized bytes.</summary>
    /// <param name="model">The serialized ModelProto.</param>
    /// <param name="name">A name for the model in error messages (for example the file it came from).</param>
    /// <param name="options">Output choice, names and threading; null for <see cref="OnnxModelOptions.Default"/>.</param>
    /// <exception cref="XaiException">The bytes are not a valid ONNX model, or its input/output is not supported.</exception>
    public static OnnxModel FromBytes(byte[] model, string name = "model.onnx", OnnxModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(name);
        options ??= OnnxModelOptions.Default;
        if (options.IntraOpThreads < 1)
            throw new XaiException($"{name}: IntraOpThreads must be at least 1, not {options.IntraOpThreads}");
        if (options.MaxSessions is < 1)
            throw new XaiException($"{name}: MaxSessions must be at least 1, not {options.MaxSessions}");
        if (model.Length == 0) throw new XaiException($"{name}: not a valid ONNX model: the file is empty");

        InferenceSession session;
        try
        {
            session = CreateSession(model, options);
        }
        catch (OnnxRuntimeException exception)
        {
            throw new XaiException($"{name}: not a valid ONNX model: {FirstLine(exception.Message)}", exception);
        }
        try
        {
            return new OnnxModel(session, name, options, model);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Where the model came from (the file path, or the name given to <see cref="FromBytes"/>).</summary>
    public string Source { get; }

    /// <summary>The name of the graph input that receives the features.</summary>
    public string InputName { get; }

    /// <summary>The name of the graph output this model returns.</summary>
    public string OutputName { get; }

    /// <summary>Every float tensor output of the graph (any of them can be chosen with <see cref="OnnxModelOptions.OutputName"/>).</summary>
    public IReadOnlyList<string> AvailableOutputs { get; }

    /// <summary>The fixed batch size of the input, or null when the batch axis is dynamic.</summary>
    public int? FixedBatchSize { get; }

    /// <summary>The model's custom metadata (ModelProto.metadata_props).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <inheritdoc />
    public int FeatureCount { get; }

    /// <summary>
    /// The shape of one input without the batch axis: [features] for a table, or [channels, height, width] for an image
    /// model (each row is then the image flattened in C, H, W order).
    /// </summary>
    public ImmutableArray<int> InputShape { get; }

    /// <inheritdoc />
    public IReadOnlyList<string>? FeatureNames { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>True: ONNX Runtime's Run may be called from several threads at once.</summary>
    public bool IsThreadSafe => true;

    /// <inheritdoc />
    public void Predict(ReadOnlySpan<float> inputs, int rowCount, Span<float> outputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        long inputLength = (long)rowCount * FeatureCount;
        long outputLength = (long)rowCount * _outputWidth;
        if (inputs.Length < inputLength)
            throw new ArgumentException($"{rowCount} rows of {FeatureCount} features need {inputLength} inputs, not {inputs.Length}", nameof(inputs));
        if (outputs.Length < outputLength)
            throw new ArgumentException($"{rowCount} rows of {_outputWidth} outputs need {outputLength} outputs, not {outputs.Length}", nameof(outputs));
        if (rowCount == 0) return;

        if (FixedBatchSize is not int batch)
        {
            Run(inputs[..(int)inputLength], rowCount, outputs[..(int)outputLength]);
            return;
        }
        int full = rowCount / batch * batch;
        for (int first = 0; first < full; first += batch)
            Run(inputs.Slice(first * FeatureCount, batch * FeatureCount), batch, outputs.Slice(first * _outputWidth, batch * _outputWidth));
        int rest = rowCount - full;
        if (rest > 0)
        {
            var paddedInputs = new float[batch * FeatureCount];
            var paddedOutputs = new float[batch * _outputWidth];
            inputs.Slice(full * FeatureCount, rest * FeatureCount).CopyTo(paddedInputs);
            Run(paddedInputs, batch, paddedOutputs);
            paddedOutputs.AsSpan(0, rest * _outputWidth).CopyTo(outputs[(full * _outputWidth)..]);
        }
    }

    /// <summary>Releases the ONNX Runtime sessions. Do not call it while a <see cref="Predict"/> call is running.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_sessions)
            foreach (var session in _sessions) session.Dispose();
    }

    /// <summary>The sessions created so far (1 until batches have run at the same time).</summary>
    public int SessionCount
    {
        get { lock (_sessions) return _sessions.Count; }
    }

    private static InferenceSession CreateSession(byte[] model, OnnxModelOptions options)
    {
        using var sessionOptions = CreateSessionOptions(options);
        return new InferenceSession(model, sessionOptions);
    }

    /// <summary>Sessions allowed when <see cref="OnnxModelOptions.MaxSessions"/> is null: one per core up to the size limit.</summary>
    internal static int DefaultMaxSessions(long modelBytes) =>
        modelBytes <= OnnxModelOptions.MaxBytesForSessionPerCore ? Environment.ProcessorCount : 1;

    /// <summary>The most sessions this model will create.</summary>
    internal int MaxSessionCount => _maxSessions;

    // An idle session; else a new one while there may be more; else the first, shared (`rented` false: not to return).
    internal InferenceSession Rent(out bool rented)
    {
        rented = true;
        if (_idle.TryTake(out var idle)) return idle;
        if (_bytes is not null)
        {
            lock (_sessions)
            {
                if (_sessions.Count < _maxSessions && !_disposed)
                {
                    try
                    {
                        var session = CreateSession(_bytes, _options);
                        _sessions.Add(session);
                        return session;
                    }
                    catch (OnnxRuntimeException)
                    {
                        // The graph loaded once, so this is a resource limit (memory): stop adding sessions and share.
                        _maxSessions = _sessions.Count;
                    }
                }
            }
        }
        rented = false;
        return _session;
    }

    internal void Return(InferenceSession session, bool rented)
    {
        if (rented) _idle.Add(session);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"ONNX model {Source}: {FeatureCount} features -> {OutputName} ({OutputNames.Count} output{(OutputNames.Count == 1 ? "" : "s")})";

    private unsafe void Run(ReadOnlySpan<float> inputs, int rows, Span<float> outputs)
    {
        long[] inputShape = [rows, .. InputShape.Select(d => (long)d)];
        long[] outputShape = _outputIsRankOne ? [rows] : [rows, _outputWidth];
        fixed (float* inputPointer = inputs)
        fixed (float* outputPointer = outputs)
        {
            using var inputValue = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, OrtTensorElementType.Float,
                inputShape, (IntPtr)inputPointer, (long)inputs.Length * sizeof(float));
            using var outputValue = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, OrtTensorElementType.Float,
                outputShape, (IntPtr)outputPointer, (long)outputs.Length * sizeof(float));
            using var runOptions = new RunOptions();
            var session = Rent(out bool rented);
            try
            {
                session.Run(runOptions, _inputNames, [inputValue], _outputNames, [outputValue]);
            }
            catch (OnnxRuntimeException exception)
            {
                throw new XaiException($"{Source}: evaluating {rows} rows failed: {FirstLine(exception.Message)}", exception);
            }
            finally
            {
                Return(session, rented);
            }
        }
    }

    /// <summary>Runs one batch of zeros to learn the width of an output whose second axis is symbolic.</summary>
    private int ProbeOutputWidth()
    {
        int rows = FixedBatchSize ?? 1;
        var zeros = new float[rows * FeatureCount];
        using var inputValue = OrtValue.CreateTensorValueFromMemory(zeros, [rows, .. InputShape.Select(d => (long)d)]);
        using var runOptions = new RunOptions();
        try
        {
            using var results = _session.Run(runOptions, _inputNames, [inputValue], _outputNames);
            var shape = results.First().GetTensorTypeAndShape().Shape;
            if (shape.Length != 2 || shape[0] != rows || shape[1] <= 0)
                throw new XaiException($"{Source}: output '{_outputNames[0]}' has shape [{string.Join(", ", shape)}] for {rows} input row(s); an output of shape [batch, outputs] is needed");
            return checked((int)shape[1]);
        }
        catch (OnnxRuntimeException exception)
        {
            throw new XaiException($"{Source}: evaluating a row of zeros failed: {FirstLine(exception.Message)}", exception);
        }
    }

    private static SessionOptions CreateSessionOptions(OnnxModelOptions options)
    {
        var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            // Explainers send batches of varying row counts (the last batch of every call is shorter). With memory patterns
            // on, ONNX Runtime plans each new input shape over its first two runs, allocating afresh both times (measured:
            // the first two 8,192-row runs of a new session 25-45 ms each, the third 1 ms; without patterns only the first
            // is slow, while the CPU arena grows). Allocation does not change any value computed.
            EnableMemoryPattern = false,
        };
        // Idle intra-op threads must not spin: explainers keep every core busy with their own batches.
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return sessionOptions;
    }

    private static string ChooseOutput(string source, InferenceSession session, ImmutableArray<string> floatOutputs, OnnxModelOptions options)
    {
        if (options.OutputName is { } requested)
        {
            if (!session.OutputMetadata.TryGetValue(requested, out var metadata))
                throw new XaiException($"{source}: the model has no output '{requested}'; its outputs are {string.Join(", ", session.OutputMetadata.Keys)}");
            if (!metadata.IsTensor || metadata.ElementDataType != OrtTensorElementType.Float)
                throw new XaiException($"{source}: output '{requested}' is not a float32 tensor; float outputs: {FormatList(floatOutputs)}");
            return requested;
        }
        if (floatOutputs.IsEmpty)
            throw new XaiException($"{source}: the model has no float32 tensor output; its outputs are {string.Join(", ", session.OutputMetadata.Keys)}");
        if (options.PreferProbabilities)
        {
            foreach (var name in floatOutputs)
                if (name.Contains("prob", StringComparison.OrdinalIgnoreCase)) return name;
        }
        return floatOutputs[0];
    }

    private static ImmutableArray<string>? ResolveFeatureNames(string source, OnnxModelOptions options,
        IReadOnlyDictionary<string, string> metadata, int featureCount)
    {
        if (options.FeatureNames is { } given)
        {
            if (given.Count != featureCount)
                throw new XaiException($"{source}: {given.Count} feature names were given but the model takes {featureCount} features");
            return given.ToImmutableArray();
        }
        if (!metadata.TryGetValue(FeatureNamesKey, out var text)) return null;
        var names = ParseNames(source, FeatureNamesKey, text);
        if (names.Length != featureCount)
            throw new XaiException($"{source}: the metadata entry '{FeatureNamesKey}' lists {names.Length} names but the model takes {featureCount} features");
        return names;
    }

    private static ImmutableArray<string> ResolveOutputNames(string source, OnnxModelOptions options,
        IReadOnlyDictionary<string, string> metadata, string outputName, int width)
    {
        if (options.OutputNames is { } given)
        {
            if (given.Count != width)
                throw new XaiException($"{source}: {given.Count} output names were given but output '{outputName}' has {width} column(s)");
            return given.ToImmutableArray();
        }
        if (width == 1) return [outputName];
        foreach (var key in OutputNameKeys)
        {
            if (!metadata.TryGetValue(key, out var text)) continue;
            var names = ParseNames(source, key, text);
            if (names.Length == width) return names;
        }
        return Enumerable.Range(0, width).Select(i => string.Create(CultureInfo.InvariantCulture, $"{outputName}[{i}]")).ToImmutableArray();
    }

    /// <summary>Reads a JSON array of strings, or a comma-separated list.</summary>
    private static ImmutableArray<string> ParseNames(string source, string key, string text)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith('['))
        {
            try
            {
                var names = JsonSerializer.Deserialize<string[]>(trimmed);
                if (names is not null && names.All(name => !string.IsNullOrWhiteSpace(name))) return [.. names];
            }
            catch (JsonException)
            {
            }
            throw new XaiException($"{source}: the metadata entry '{key}' is not a JSON array of non-empty strings");
        }
        var parts = trimmed.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(string.IsNullOrEmpty))
            throw new XaiException($"{source}: the metadata entry '{key}' has an empty name");
        return [.. parts];
    }

    private static string FormatShape(NodeMetadata metadata)
    {
        var symbols = metadata.SymbolicDimensions;
        return "[" + string.Join(", ", metadata.Dimensions.Select((size, axis) =>
            size > 0 ? size.ToString(CultureInfo.InvariantCulture)
            : symbols is not null && axis < symbols.Length && !string.IsNullOrEmpty(symbols[axis]) ? symbols[axis] : "?")) + "]";
    }

    private static string FormatList(IEnumerable<string> names)
    {
        var text = string.Join(", ", names);
        return text.Length == 0 ? "none" : text;
    }

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length == 0 ? "unknown error" : line;
    }
}
