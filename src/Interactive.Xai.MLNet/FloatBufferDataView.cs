using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interactive.Xai.MLNet;

/// <summary>
/// A read-only <see cref="IDataView"/> over a row-major float buffer: each row holds the values of every feature
/// column, in order. It serves ML.NET cursors straight from the buffer, with no per-row objects. Input columns that
/// are not features (a label the pipeline maps but the output does not use, for example) read as default values.
/// </summary>
internal sealed class FloatBufferDataView : IDataView
{
    private readonly FeatureColumn?[] _columns;
    private readonly float[] _values;
    private readonly int _rowCount;
    private readonly int _rowWidth;

    /// <param name="schema">Every input column the pipeline may bind.</param>
    /// <param name="columns">For each schema column (by index), where its values sit in a row; null for a non-feature column.</param>
    /// <param name="values">The rows, row-major.</param>
    /// <param name="rowCount">The number of rows.</param>
    /// <param name="rowWidth">The values per row.</param>
    public FloatBufferDataView(DataViewSchema schema, FeatureColumn?[] columns, float[] values, int rowCount, int rowWidth)
    {
        Schema = schema;
        _columns = columns;
        _values = values;
        _rowCount = rowCount;
        _rowWidth = rowWidth;
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _rowCount;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

    /// <summary>A getter that always yields the default value of <paramref name="type"/> (zeros for a known-size vector).</summary>
    public static Delegate DefaultGetter(DataViewType type)
    {
        var method = type is VectorDataViewType vector
            ? typeof(FloatBufferDataView).GetMethod(nameof(DefaultVectorGetter), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(vector.ItemType.RawType)
            : typeof(FloatBufferDataView).GetMethod(nameof(DefaultScalarGetter), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(type.RawType);
        return (Delegate)method.Invoke(null, [type is VectorDataViewType v ? v.Size : 0])!;
    }

    private static ValueGetter<T> DefaultScalarGetter<T>(int size)
    {
        _ = size;
        return (ref T value) => value = default!;
    }

    private static ValueGetter<VBuffer<T>> DefaultVectorGetter<T>(int size) =>
        (ref VBuffer<T> value) =>
        {
            var editor = VBufferEditor.Create(ref value, size);
            editor.Values.Clear();
            value = editor.Commit();
        };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly FloatBufferDataView _view;
        private long _position = -1;

        public Cursor(FloatBufferDataView view) => _view = view;

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => _view.Schema;

        public override bool MoveNext()
        {
            if (_position + 1 >= _view._rowCount)
            {
                _position = _view._rowCount;
                return false;
            }
            _position++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId value) => value = new DataViewRowId((ulong)_position, 0);

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var values = _view._values;
            int width = _view._rowWidth;
            Delegate getter = _view._columns[column.Index] switch
            {
                null => DefaultGetter(column.Type),
                { IsVector: false, IsDouble: false } feature =>
                    (ValueGetter<float>)((ref float value) => value = values[_position * width + feature.Offset]),
                { IsVector: false, IsDouble: true } feature =>
                    (ValueGetter<double>)((ref double value) => value = values[_position * width + feature.Offset]),
                { IsVector: true, IsDouble: false } feature => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                {
                    var editor = VBufferEditor.Create(ref value, feature.Width);
                    values.AsSpan((int)(_position * width) + feature.Offset, feature.Width).CopyTo(editor.Values);
                    value = editor.Commit();
                }),
                { } feature => (ValueGetter<VBuffer<double>>)((ref VBuffer<double> value) =>
                {
                    var editor = VBufferEditor.Create(ref value, feature.Width);
                    var source = values.AsSpan((int)(_position * width) + feature.Offset, feature.Width);
                    for (int i = 0; i < source.Length; i++) editor.Values[i] = source[i];
                    value = editor.Commit();
                }),
            };
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}");
        }
    }
}
