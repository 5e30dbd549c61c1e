using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interactive.Xai.MLNet;

/// <summary>
/// An ML.NET <see cref="ITransformer"/> (a fitted pipeline) as a batched <see cref="IModel"/>.
/// </summary>
/// <remarks>
/// <para>Features: the numeric input columns the output depends on (or <see cref="MLNetModelOptions.FeatureColumns"/>).
/// Each Single or Double column is one feature named after the column; a known-size vector column contributes one
/// feature per slot, named by its SlotNames annotation or "Column[i]". So a pipeline that concatenates age, sex,
/// bmi, ... into "Features" is explained in terms of age, sex, bmi, not "Features[2]".</para>
/// <para>Outputs: "Probability" (binary classification), else "Score" (one value for regression, one per class for
/// multiclass, named by the Score column's slot names or the PredictedLabel key values), or any numeric column named
/// by <see cref="MLNetModelOptions.OutputColumn"/>.</para>
/// <para>A batch is fed through a lightweight <see cref="IDataView"/> over a copy of the caller's float buffer and
/// read back with one cursor: no per-row prediction engine.</para>
/// <para>Threads: ML.NET does not promise that one transformer instance may transform on several threads at once
/// (some transformers keep per-instance state). This model therefore never shares an instance between concurrent
/// calls: each concurrent call takes an instance from a pool, and the pool grows by cloning the pipeline (saving it
/// to memory and loading it back). When the pipeline cannot be saved, cloning is impossible and
/// <see cref="IsThreadSafe"/> is false, so explainers call it from one thread.</para>
/// </remarks>
public sealed partial class MLNetModel : IModel, ITreeEnsembleSource, IDisposable
{
    private readonly ConcurrentBag<ITransformer> _pool = [];
    private readonly ConcurrentBag<ITransformer> _clones = [];
    private readonly byte[]? _savedModel;
    private readonly ImmutableArray<FeatureColumn> _featureColumns;
    private readonly DataViewSchema _featureSchema;
    private readonly FeatureColumn?[] _columnsByIndex;
    private readonly int _outputWidth;
    private readonly ITransformer _model;
    private readonly bool _ownsModel;
    private volatile bool _disposed;

    /// <summary>Wraps a fitted pipeline.</summary>
    /// <param name="model">The fitted pipeline.</param>
    /// <param name="inputSchema">The schema of the data the pipeline was fitted on (or loaded with).</param>
    /// <param name="options">Feature and output columns; null for <see cref="MLNetModelOptions.Default"/>.</param>
    /// <param name="source">A name for the model in error messages (for example the file it came from).</param>
    /// <exception cref="XaiException">A named column is missing, a feature column is not numeric, or the output column is missing or not numeric.</exception>
    public MLNetModel(ITransformer model, DataViewSchema inputSchema, MLNetModelOptions? options = null, string source = "the ML.NET model")
        : this(model, inputSchema, options, source, savedModel: null, ownsModel: false)
    {
    }

    private MLNetModel(ITransformer model, DataViewSchema inputSchema, MLNetModelOptions? options, string source,
        byte[]? savedModel, bool ownsModel)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentNullException.ThrowIfNull(source);
        options ??= MLNetModelOptions.Default;
        Source = source;
        _model = model;
        _ownsModel = ownsModel;

        DataViewSchema outputSchema;
        try
        {
            outputSchema = model.GetOutputSchema(inputSchema);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            throw new XaiException($"{source}: the input schema does not fit the model: {FirstLine(exception.Message)}", exception);
        }

        var output = ChooseOutput(source, outputSchema, options);
        OutputColumn = output.Name;
        (_outputWidth, OutputNames) = DescribeOutput(output, outputSchema);

        var (featureSourceColumns, needed) = ChooseFeatureColumns(source, model, inputSchema, output, options);
        var builder = ImmutableArray.CreateBuilder<FeatureColumn>();
        var names = new List<string>();
        int offset = 0;
        foreach (var column in featureSourceColumns)
        {
            var feature = DescribeFeature(source, column, offset);
            builder.Add(feature);
            names.AddRange(feature.Names);
            offset += feature.Width;
        }
        _featureColumns = builder.ToImmutable();
        FeatureColumns = _featureColumns.Select(column => column.Name).ToImmutableArray();
        FeatureNames = names.ToImmutableArray();
        FeatureCount = offset;

        if (needed is not null)
        {
            var missing = needed.Where(column => !FeatureColumns.Contains(column.Name)).Select(column => column.Name).ToList();
            if (missing.Count > 0)
                throw new XaiException($"{source}: output '{OutputColumn}' depends on input column(s) {string.Join(", ", missing)}, which are not among the features {string.Join(", ", FeatureColumns)}");
        }

        // The data view offers every visible input column, so pipeline stages the output does not need (a label
        // mapping, say) still find their columns; those read as default values.
        var schemaBuilder = new DataViewSchema.Builder();
        var visible = inputSchema.Where(column => !column.IsHidden).ToList();
        foreach (var column in visible) schemaBuilder.AddColumn(column.Name, column.Type, column.Annotations);
        _featureSchema = schemaBuilder.ToSchema();
        _columnsByIndex = visible.Select(column => (FeatureColumn?)_featureColumns.FirstOrDefault(f => f.Name == column.Name)).ToArray();
        try
        {
            _ = model.GetOutputSchema(_featureSchema);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            throw new XaiException($"{source}: the input schema does not fit the model: {FirstLine(exception.Message)}", exception);
        }

        _savedModel = savedModel ?? TrySave(model, inputSchema);
        IsThreadSafe = _savedModel is not null;
        _pool.Add(model);
    }

    /// <summary>Loads a model saved with <c>mlContext.Model.Save</c> (a .zip file holding the pipeline and its input schema).</summary>
    /// <param name="path">The .zip file.</param>
    /// <param name="options">Feature and output columns; null for <see cref="MLNetModelOptions.Default"/>.</param>
    /// <exception cref="XaiException">The file is missing, is not a zip archive, holds no ML.NET model, or its columns do not fit.</exception>
    public static MLNetModel Load(string path, MLNetModelOptions? options = null)
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

    /// <summary>Loads a model from the bytes of a .zip file saved with <c>mlContext.Model.Save</c>.</summary>
    /// <param name="zip">The bytes of the .zip file.</param>
    /// <param name="name">A name for the model in error messages (for example the file it came from).</param>
    /// <param name="options">Feature and output columns; null for <see cref="MLNetModelOptions.Default"/>.</param>
    /// <exception cref="XaiException">The bytes are not a zip archive, hold no ML.NET model, or its columns do not fit.</exception>
    public static MLNetModel FromBytes(byte[] zip, string name = "model.zip", MLNetModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(zip);
        ArgumentNullException.ThrowIfNull(name);
        if (zip.Length == 0) throw new XaiException($"{name}: not an ML.NET model: the file is empty");
        try
        {
            using var archive = new ZipArchive(new MemoryStream(zip, writable: false), ZipArchiveMode.Read);
            if (!archive.Entries.Any(entry => entry.Name.Equals("Model.key", StringComparison.Ordinal)))
                throw new XaiException($"{name}: not an ML.NET model: the zip archive holds no saved pipeline");
        }
        catch (InvalidDataException exception)
        {
            throw new XaiException($"{name}: not an ML.NET model: the file is not a zip archive", exception);
        }

        var (model, schema) = LoadTransformer(zip, name);
        if (schema is null || schema.Count == 0)
        {
            (model as IDisposable)?.Dispose();
            throw new XaiException($"{name}: the model was saved without its input schema; save it with mlContext.Model.Save(model, data.Schema, path)");
        }
        try
        {
            return new MLNetModel(model, schema, options, name, zip, ownsModel: true);
        }
        catch
        {
            (model as IDisposable)?.Dispose();
            throw;
        }
    }

    /// <summary>Where the model came from (the file path, or the name given when it was built).</summary>
    public string Source { get; }

    /// <summary>The input columns that make up the feature vector, in order.</summary>
    public IReadOnlyList<string> FeatureColumns { get; }

    /// <summary>The output column this model returns.</summary>
    public string OutputColumn { get; }

    /// <summary>The fitted pipeline.</summary>
    public ITransformer Transformer => _model;

    /// <summary>The schema of the rows the model is fed (its visible input columns), for describing the pipeline.</summary>
    public DataViewSchema InputSchema => _featureSchema;

    /// <inheritdoc />
    public int FeatureCount { get; }

    /// <inheritdoc />
    public IReadOnlyList<string>? FeatureNames { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>
    /// True when the pipeline can be cloned (saved and loaded back), so that concurrent calls each get their own
    /// instance; false otherwise (then callers must not call <see cref="Predict"/> on several threads at once).
    /// </summary>
    public bool IsThreadSafe { get; }

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

        var model = Rent();
        try
        {
            // The data view must outlive this stack frame's span (ML.NET reads it through delegates), so it reads a copy.
            var view = new FloatBufferDataView(_featureSchema, _columnsByIndex, inputs[..(int)inputLength].ToArray(), rowCount, FeatureCount);
            ReadOutputs(model, view, rowCount, outputs);
        }
        catch (Exception exception) when (exception is not (XaiException or OutOfMemoryException or ObjectDisposedException))
        {
            throw new XaiException($"{Source}: evaluating {rowCount} rows failed: {FirstLine(exception.Message)}", exception);
        }
        finally
        {
            Return(model);
        }
    }

    /// <summary>Disposes the clones made for concurrent calls, and the pipeline itself when this class loaded it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var clone in _clones) (clone as IDisposable)?.Dispose();
        if (_ownsModel) (_model as IDisposable)?.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"ML.NET model {Source}: {FeatureCount} features from {string.Join(", ", FeatureColumns)} -> {OutputColumn} ({OutputNames.Count} output{(OutputNames.Count == 1 ? "" : "s")})";

    private void ReadOutputs(ITransformer model, IDataView view, int rowCount, Span<float> outputs)
    {
        var transformed = model.Transform(view);
        var column = transformed.Schema[OutputColumn];
        using var cursor = transformed.GetRowCursor([column]);
        int row = 0;
        var type = column.Type;
        if (type is VectorDataViewType vector)
        {
            var buffer = default(VBuffer<float>);
            var doubles = default(VBuffer<double>);
            bool isSingle = vector.ItemType == NumberDataViewType.Single;
            var singleGetter = isSingle ? cursor.GetGetter<VBuffer<float>>(column) : null;
            var doubleGetter = isSingle ? null : cursor.GetGetter<VBuffer<double>>(column);
            while (row < rowCount && cursor.MoveNext())
            {
                var destination = outputs.Slice(row * _outputWidth, _outputWidth);
                if (singleGetter is not null)
                {
                    singleGetter(ref buffer);
                    CheckLength(buffer.Length);
                    buffer.CopyTo(destination, 0, 0f);
                }
                else
                {
                    doubleGetter!(ref doubles);
                    CheckLength(doubles.Length);
                    int k = 0;
                    foreach (var value in doubles.DenseValues()) destination[k++] = (float)value;
                }
                row++;
            }
        }
        else if (type == NumberDataViewType.Single)
        {
            var getter = cursor.GetGetter<float>(column);
            float value = 0;
            while (row < rowCount && cursor.MoveNext())
            {
                getter(ref value);
                outputs[row++] = value;
            }
        }
        else
        {
            var getter = cursor.GetGetter<double>(column);
            double value = 0;
            while (row < rowCount && cursor.MoveNext())
            {
                getter(ref value);
                outputs[row++] = (float)value;
            }
        }
        if (row != rowCount)
            throw new XaiException($"{Source}: the pipeline returned {row} rows for {rowCount} input rows (does it filter rows?)");

        void CheckLength(int length)
        {
            if (length != _outputWidth)
                throw new XaiException($"{Source}: output column '{OutputColumn}' returned {length} values, not {_outputWidth}");
        }
    }

    private ITransformer Rent()
    {
        if (_pool.TryTake(out var model)) return model;
        if (_savedModel is null)
            throw new InvalidOperationException($"{Source}: this ML.NET pipeline cannot be cloned, so Predict must not be called on several threads at once (IsThreadSafe is false)");
        var (clone, _) = LoadTransformer(_savedModel, Source);
        _clones.Add(clone);
        return clone;
    }

    private void Return(ITransformer model) => _pool.Add(model);

    private static (ITransformer Model, DataViewSchema? Schema) LoadTransformer(byte[] zip, string name)
    {
        var context = new MLContext(seed: 0);
        try
        {
            using var stream = new MemoryStream(zip, writable: false);
            var model = context.Model.Load(stream, out var schema);
            return (model, schema);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            throw new XaiException($"{name}: not a loadable ML.NET model: {FirstLine(exception.Message)}", exception);
        }
    }

    private static byte[]? TrySave(ITransformer model, DataViewSchema inputSchema)
    {
        try
        {
            using var stream = new MemoryStream();
            new MLContext(seed: 0).Model.Save(model, inputSchema, stream);
            return stream.ToArray();
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Not every transformer can be saved (a CustomMapping without a registered factory, for example):
            // then the model cannot be cloned and is used from one thread only.
            return null;
        }
    }

    private static DataViewSchema.Column ChooseOutput(string source, DataViewSchema outputSchema, MLNetModelOptions options)
    {
        string? name = options.OutputColumn;
        if (name is null)
        {
            if (outputSchema.GetColumnOrNull("Probability") is { IsHidden: false }) name = "Probability";
            else if (outputSchema.GetColumnOrNull("Score") is { IsHidden: false }) name = "Score";
            else
                throw new XaiException($"{source}: the model has no 'Probability' or 'Score' column; name its output with OutputColumn (its columns are {VisibleNames(outputSchema)})");
        }
        if (outputSchema.GetColumnOrNull(name) is not { IsHidden: false } column)
            throw new XaiException($"{source}: the model has no output column '{name}'; its columns are {VisibleNames(outputSchema)}");
        bool numeric = IsSingleOrDouble(column.Type)
            || column.Type is VectorDataViewType { IsKnownSize: true } vector && IsSingleOrDouble(vector.ItemType);
        if (!numeric)
            throw new XaiException($"{source}: output column '{name}' has type {column.Type}; a Single or Double column (or a known-size vector of them) is needed");
        return column;
    }

    private static (int Width, ImmutableArray<string> Names) DescribeOutput(DataViewSchema.Column column, DataViewSchema outputSchema)
    {
        if (column.Type is not VectorDataViewType vector) return (1, [column.Name]);
        int width = vector.Size;
        if (width == 1) return (1, [column.Name]);
        if (TryGetSlotNames(column, width) is { } slotNames) return (width, slotNames);
        if (column.Name == "Score" && outputSchema.GetColumnOrNull("PredictedLabel") is { } predicted
            && TryGetKeyValues(predicted, width) is { } keyValues)
            return (width, keyValues);
        return (width, Enumerable.Range(0, width).Select(i => Indexed(column.Name, i)).ToImmutableArray());
    }

    private static (List<DataViewSchema.Column> Features, List<DataViewSchema.Column>? Needed) ChooseFeatureColumns(string source, ITransformer model, DataViewSchema inputSchema,
        DataViewSchema.Column output, MLNetModelOptions options)
    {
        List<DataViewSchema.Column>? needed = null;
        if (model.IsRowToRowMapper)
        {
            // The input columns the chosen output is computed from: a label column saved in the schema is not one.
            var mapper = model.GetRowToRowMapper(inputSchema);
            var indices = mapper.GetDependencies([mapper.OutputSchema[output.Name]]).Select(c => c.Index).ToHashSet();
            needed = inputSchema.Where(c => indices.Contains(c.Index) && !c.IsHidden).ToList();
        }

        if (options.FeatureColumns is { } named)
        {
            var columns = new List<DataViewSchema.Column>();
            foreach (var name in named)
            {
                if (inputSchema.GetColumnOrNull(name) is not { IsHidden: false } column)
                    throw new XaiException($"{source}: the model's input has no column '{name}'; its columns are {VisibleNames(inputSchema)}");
                if (columns.Any(c => c.Name == name))
                    throw new XaiException($"{source}: feature column '{name}' is named twice");
                columns.Add(column);
            }
            if (columns.Count == 0) throw new XaiException($"{source}: FeatureColumns names no column");
            return (columns, needed);
        }

        var ignored = new HashSet<string>(options.IgnoredColumns, StringComparer.Ordinal);
        foreach (var name in ignored)
            if (inputSchema.GetColumnOrNull(name) is null)
                throw new XaiException($"{source}: the ignored column '{name}' is not in the model's input; its columns are {VisibleNames(inputSchema)}");

        var candidates = needed
            ?? inputSchema.Where(c => !c.IsHidden && (IsSingleOrDouble(c.Type) || c.Type is VectorDataViewType { IsKnownSize: true } v && IsSingleOrDouble(v.ItemType))).ToList();
        var result = candidates.Where(c => !ignored.Contains(c.Name)).ToList();
        if (result.Count == 0)
            throw new XaiException($"{source}: no input column feeds output '{output.Name}'; name the features with FeatureColumns (input columns: {VisibleNames(inputSchema)})");
        return (result, needed);
    }

    private static FeatureColumn DescribeFeature(string source, DataViewSchema.Column column, int offset)
    {
        var unsupported = $"{source}: input column '{column.Name}' has type {column.Type}; features must be Single or Double columns or known-size vectors of them";
        if (IsSingleOrDouble(column.Type))
            return new FeatureColumn(column.Name, offset, 1, IsVector: false, column.Type == NumberDataViewType.Double, [column.Name]);
        if (column.Type is VectorDataViewType { IsKnownSize: true } vector && IsSingleOrDouble(vector.ItemType))
        {
            var names = TryGetSlotNames(column, vector.Size)
                ?? Enumerable.Range(0, vector.Size).Select(i => Indexed(column.Name, i)).ToImmutableArray();
            return new FeatureColumn(column.Name, offset, vector.Size, IsVector: true, vector.ItemType == NumberDataViewType.Double, names);
        }
        throw new XaiException(unsupported);
    }

    private static ImmutableArray<string>? TryGetSlotNames(DataViewSchema.Column column, int width)
    {
        if (column.Annotations.Schema.GetColumnOrNull("SlotNames") is null) return null;
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        column.GetSlotNames(ref names);
        if (names.Length != width) return null;
        var result = names.DenseValues().Select(name => name.ToString()).ToImmutableArray();
        return result.Any(string.IsNullOrWhiteSpace) || result.Distinct(StringComparer.Ordinal).Count() != width ? null : result;
    }

    private static ImmutableArray<string>? TryGetKeyValues(DataViewSchema.Column column, int width)
    {
        if (column.Annotations.Schema.GetColumnOrNull("KeyValues") is not { } keyColumn) return null;
        if (keyColumn.Type is not VectorDataViewType { ItemType: var itemType, Size: var size } || size != width) return null;
        IEnumerable<string> values;
        if (itemType is TextDataViewType)
        {
            var buffer = default(VBuffer<ReadOnlyMemory<char>>);
            column.GetKeyValues(ref buffer);
            values = buffer.DenseValues().Select(v => v.ToString());
        }
        else if (itemType == NumberDataViewType.Single)
        {
            var buffer = default(VBuffer<float>);
            column.GetKeyValues(ref buffer);
            values = buffer.DenseValues().Select(v => v.ToString(CultureInfo.InvariantCulture));
        }
        else if (itemType == NumberDataViewType.Double)
        {
            var buffer = default(VBuffer<double>);
            column.GetKeyValues(ref buffer);
            values = buffer.DenseValues().Select(v => v.ToString(CultureInfo.InvariantCulture));
        }
        else if (itemType == NumberDataViewType.UInt32)
        {
            var buffer = default(VBuffer<uint>);
            column.GetKeyValues(ref buffer);
            values = buffer.DenseValues().Select(v => v.ToString(CultureInfo.InvariantCulture));
        }
        else if (itemType == NumberDataViewType.Int32)
        {
            var buffer = default(VBuffer<int>);
            column.GetKeyValues(ref buffer);
            values = buffer.DenseValues().Select(v => v.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            return null;
        }
        var result = values.ToImmutableArray();
        return result.Length == width && result.Distinct(StringComparer.Ordinal).Count() == width ? result : null;
    }

    private static bool IsSingleOrDouble(DataViewType type) => type == NumberDataViewType.Single || type == NumberDataViewType.Double;

    private static string Indexed(string name, int index) => string.Create(CultureInfo.InvariantCulture, $"{name}[{index}]");

    private static string VisibleNames(DataViewSchema schema)
    {
        var text = string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name));
        return text.Length == 0 ? "none" : text;
    }

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length == 0 ? "unknown error" : line;
    }
}
