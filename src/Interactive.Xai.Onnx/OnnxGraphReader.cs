using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Interactive.Xai.Inspection;

namespace Interactive.Xai.Onnx;

/// <summary>
/// Reads an ONNX file's graph (nodes, operators, inputs and outputs with shapes, initializers) into a
/// <see cref="ModelStructure"/>. ONNX Runtime does not expose the graph, so this decodes the protobuf wire format of
/// the ONNX ModelProto directly, for the fields it needs; unknown fields are skipped.
/// </summary>
public static class OnnxGraphReader
{
    /// <summary>Initializers up to this many values keep their values (for weight histograms).</summary>
    public const int MaxValuesKept = 4_000_000;

    /// <summary>Reads the graph of the ONNX file at <paramref name="path"/>.</summary>
    public static ModelStructure Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new XaiException($"{path}: model file not found");
        return Read(File.ReadAllBytes(path), Path.GetFileName(path));
    }

    /// <summary>Reads the graph of an ONNX model held in memory.</summary>
    public static ModelStructure Read(byte[] model, string name = "model.onnx")
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            return ReadModel(model, name);
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException)
        {
            throw new XaiException($"{name}: not a readable ONNX model ({e.Message})");
        }
    }

    private static ModelStructure ReadModel(byte[] bytes, string name)
    {
        var properties = new List<KeyValuePair<string, string>>();
        var opsets = new List<string>();
        ReadOnlyMemory<byte> graph = default;
        bool sawGraph = false;
        var reader = new Wire(bytes);
        while (reader.Next(out int field, out int type))
        {
            switch (field)
            {
                case 1 when type == 0: properties.Add(new("IR version", reader.Varint().ToString(CultureInfo.InvariantCulture))); break;
                case 2 when type == 2: properties.Add(new("producer", reader.String())); break;
                case 3 when type == 2: properties.Add(new("producer version", reader.String())); break;
                case 5 when type == 0: properties.Add(new("model version", reader.Varint().ToString(CultureInfo.InvariantCulture))); break;
                case 6 when type == 2: properties.Add(new("doc", reader.String())); break;
                case 7 when type == 2: graph = reader.Bytes(); sawGraph = true; break;
                case 8 when type == 2: opsets.Add(ReadOpset(reader.Bytes())); break;
                case 14 when type == 2:
                    var (key, value) = ReadStringPair(reader.Bytes());
                    properties.Add(new("metadata: " + key, value));
                    break;
                default: reader.Skip(type); break;
            }
        }
        if (!sawGraph) throw new FormatException("it has no graph");
        if (opsets.Count > 0) properties.Add(new("opsets", string.Join(", ", opsets)));
        return ReadGraph(graph, name, properties);
    }

    private static ModelStructure ReadGraph(ReadOnlyMemory<byte> bytes, string name, List<KeyValuePair<string, string>> properties)
    {
        var nodes = new List<StructureNode>();
        var initializers = new List<StructureTensor>();
        var inputs = new List<StructureValue>();
        var outputs = new List<StructureValue>();
        var reader = new Wire(bytes);
        while (reader.Next(out int field, out int type))
        {
            switch (field)
            {
                case 1 when type == 2: nodes.Add(ReadNode(reader.Bytes())); break;
                case 2 when type == 2: properties.Insert(0, new("graph", reader.String())); break;
                case 5 when type == 2: initializers.Add(ReadTensor(reader.Bytes())); break;
                case 11 when type == 2: inputs.Add(ReadValueInfo(reader.Bytes())); break;
                case 12 when type == 2: outputs.Add(ReadValueInfo(reader.Bytes())); break;
                default: reader.Skip(type); break;
            }
        }
        var initializerNames = initializers.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        return new ModelStructure
        {
            Name = name,
            Format = "ONNX",
            Properties = [.. properties],
            // Older exporters list initializers among the graph inputs too; they are parameters, not inputs.
            Inputs = [.. inputs.Where(i => !initializerNames.Contains(i.Name))],
            Outputs = [.. outputs],
            Nodes = [.. nodes],
            Parameters = [.. initializers],
        };
    }

    private static StructureNode ReadNode(ReadOnlyMemory<byte> bytes)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new List<KeyValuePair<string, string>>();
        string name = "", op = "", domain = "";
        var reader = new Wire(bytes);
        while (reader.Next(out int field, out int type))
        {
            switch (field)
            {
                case 1 when type == 2: inputs.Add(reader.String()); break;
                case 2 when type == 2: outputs.Add(reader.String()); break;
                case 3 when type == 2: name = reader.String(); break;
                case 4 when type == 2: op = reader.String(); break;
                case 5 when type == 2: attributes.Add(ReadAttribute(reader.Bytes())); break;
                case 7 when type == 2: domain = reader.String(); break;
                default: reader.Skip(type); break;
            }
        }
        if (op.Length == 0) throw new FormatException("a node has no operator type");
        if (domain.Length > 0 && domain != "ai.onnx") op = domain + "." + op;
        return new StructureNode(name, op, [.. inputs.Where(i => i.Length > 0)], [.. outputs]) { Attributes = [.. attributes] };
    }

    private static KeyValuePair<string, string> ReadAttribute(ReadOnlyMemory<byte> bytes)
    {
        string name = "";
        string? value = null;
        var ints = new List<long>();
        var floats = new List<float>();
        var reader = new Wire(bytes);
        while (reader.Next(out int field, out int type))
        {
            switch (field)
            {
                case 1 when type == 2: name = reader.String(); break;
                case 2 when type == 5: value = reader.Float().ToString("G6", CultureInfo.InvariantCulture); break;
                case 3 when type == 0: value = ((long)reader.Varint()).ToString(CultureInfo.InvariantCulture); break;
                case 4 when type == 2: value = reader.String(); break;
                case 5 when type == 2: reader.Bytes(); value = "(tensor)"; break;
                case 6 when type == 2: reader.Bytes(); value = "(graph)"; break;
                case 7: reader.Floats(type, floats); break;
                case 8: reader.Varints(type, ints); break;
                default: reader.Skip(type); break;
            }
        }
        if (ints.Count > 0) value = "[" + string.Join(", ", ints) + "]";
        else if (floats.Count > 0) value = "[" + string.Join(", ", floats.Select(f => f.ToString("G6", CultureInfo.InvariantCulture))) + "]";
        return new(name, value ?? "");
    }

    private static StructureTensor ReadTensor(ReadOnlyMemory<byte> bytes)
    {
        var dims = new List<long>();
        var floats = new List<float>();
        var doubles = new List<double>();
        var ints = new List<long>();
        int dataType = 0;
        string name = "";
        ReadOnlyMemory<byte> raw = default;
        bool external = false;
        var reader = new Wire(bytes);
        while (reader.Next(out int field, out int type))
        {
            switch (field)
            {
                case 1: reader.Varints(type, dims); break;
                case 2 when type == 0: dataType = (int)reader.Varint(); break;
                case 4: reader.Floats(type, floats); break;
                case 5: reader.Varints(type, ints); break;
                case 7: reader.Varints(type, ints); break;
                case 8 when type == 2: name = reader.String(); break;
                case 9 when type == 2: raw = reader.Bytes(); break;
                case 10: reader.Doubles(type, doubles); break;
                case 13 when type == 2: reader.Bytes(); external = true; break;
                default: reader.Skip(type); break;
            }
        }
        var tensor = new StructureTensor(name, ElementTypeName(dataType), [.. dims]);
        long count = tensor.ValueCount;
        float[]? values = null;
        if (count <= MaxValuesKept && !external)
        {
            if (!raw.IsEmpty) values = DecodeRaw(raw.Span, dataType, count);
            else if (floats.Count > 0) values = [.. floats];
            else if (doubles.Count > 0) values = doubles.Select(d => (float)d).ToArray();
            else if (ints.Count > 0) values = ints.Select(i => (float)i).ToArray();
        }
        long byteCount = !raw.IsEmpty ? raw.Length : count * Math.Max(ElementSize(dataType), 1);
        return tensor with { Values = values is null ? [] : [.. values], ByteCount = byteCount };
    }

    private static float[]? DecodeRaw(ReadOnlySpan<byte> raw, int dataType, long count)
    {
        int size = ElementSize(dataType);
        if (size == 0 || raw.Length != count * size) return null;
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            var cell = raw.Slice(i * size, size);
            values[i] = dataType switch
            {
                1 => BinaryPrimitives.ReadSingleLittleEndian(cell),
                2 => cell[0],
                3 => (sbyte)cell[0],
                4 => BinaryPrimitives.ReadUInt16LittleEndian(cell),
                5 => BinaryPrimitives.ReadInt16LittleEndian(cell),
                6 => BinaryPrimitives.ReadInt32LittleEndian(cell),
                7 => BinaryPrimitives.ReadInt64LittleEndian(cell),
                9 => cell[0],
                10 => (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(cell)),
                11 => (float)BinaryPrimitives.ReadDoubleLittleEndian(cell),
                12 => BinaryPrimitives.ReadUInt32LittleEndian(cell),
                13 => BinaryPrimitives.ReadUInt64LittleEndian(cell),
                16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(cell) << 16),
                _ => float.NaN,
            };
        }
        return values;
    }

    private static StructureValue ReadValueInfo(ReadOnlyMemory<byte> bytes)
    {
        string name = "";
        string elementType = "?";
        var shape = new List<string>();
        var reader = new Wire(bytes);
        while (reader.Next(out int field, out int type))
        {
            if (field == 1 && type == 2) name = reader.String();
            else if (field == 2 && type == 2)
            {
                var typeReader = new Wire(reader.Bytes());
                while (typeReader.Next(out int typeField, out int typeWire))
                {
                    if (typeField != 1 || typeWire != 2) { typeReader.Skip(typeWire); continue; }
                    var tensorReader = new Wire(typeReader.Bytes());
                    while (tensorReader.Next(out int tensorField, out int tensorWire))
                    {
                        if (tensorField == 1 && tensorWire == 0) elementType = ElementTypeName((int)tensorReader.Varint());
                        else if (tensorField == 2 && tensorWire == 2) ReadShape(tensorReader.Bytes(), shape);
                        else tensorReader.Skip(tensorWire);
                    }
                }
            }
            else reader.Skip(type);
        }
        return new StructureValue(name, elementType, [.. shape]);
    }

    private static void ReadShape(ReadOnlyMemory<byte> bytes, List<string> shape)
    {
        var reader = new Wire(bytes);
        while (reader.Next(out int field, out int type))
        {
            if (field != 1 || type != 2) { reader.Skip(type); continue; }
            var dim = new Wire(reader.Bytes());
            string text = "?";
            while (dim.Next(out int dimField, out int dimType))
            {
                if (dimField == 1 && dimType == 0) text = ((long)dim.Varint()).ToString(CultureInfo.InvariantCulture);
                else if (dimField == 2 && dimType == 2) text = dim.String();
                else dim.Skip(dimType);
            }
            shape.Add(text);
        }
    }

    private static string ReadOpset(ReadOnlyMemory<byte> bytes)
    {
        string domain = "ai.onnx";
        long version = 0;
        var reader = new Wire(bytes);
        while (reader.Next(out int field, out int type))
        {
            if (field == 1 && type == 2) { string d = reader.String(); if (d.Length > 0) domain = d; }
            else if (field == 2 && type == 0) version = (long)reader.Varint();
            else reader.Skip(type);
        }
        return $"{domain} {version}";
    }

    private static (string Key, string Value) ReadStringPair(ReadOnlyMemory<byte> bytes)
    {
        string key = "", value = "";
        var reader = new Wire(bytes);
        while (reader.Next(out int field, out int type))
        {
            if (field == 1 && type == 2) key = reader.String();
            else if (field == 2 && type == 2) value = reader.String();
            else reader.Skip(type);
        }
        return (key, value);
    }

    private static string ElementTypeName(int type) => type switch
    {
        1 => "float32", 2 => "uint8", 3 => "int8", 4 => "uint16", 5 => "int16", 6 => "int32", 7 => "int64", 8 => "string",
        9 => "bool", 10 => "float16", 11 => "float64", 12 => "uint32", 13 => "uint64", 14 => "complex64", 15 => "complex128",
        16 => "bfloat16", _ => $"type {type}",
    };

    private static int ElementSize(int type) => type switch
    {
        1 or 6 or 12 => 4, 2 or 3 or 9 => 1, 4 or 5 or 10 or 16 => 2, 7 or 11 or 13 => 8, _ => 0,
    };

    /// <summary>A forward-only reader of protobuf wire format.</summary>
    private struct Wire(ReadOnlyMemory<byte> buffer)
    {
        private readonly ReadOnlyMemory<byte> _buffer = buffer;
        private int _position;

        public bool Next(out int field, out int type)
        {
            if (_position >= _buffer.Length) { field = 0; type = 0; return false; }
            ulong key = Varint();
            field = (int)(key >> 3);
            type = (int)(key & 7);
            if (field == 0) throw new FormatException("field number 0");
            return true;
        }

        public ulong Varint()
        {
            var span = _buffer.Span;
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_position >= span.Length) throw new FormatException("truncated varint");
                byte b = span[_position++];
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return result;
            }
            throw new FormatException("malformed varint");
        }

        public ReadOnlyMemory<byte> Bytes()
        {
            ulong length = Varint();
            if (length > (ulong)(_buffer.Length - _position)) throw new FormatException("truncated field");
            var slice = _buffer.Slice(_position, (int)length);
            _position += (int)length;
            return slice;
        }

        public string String() => Encoding.UTF8.GetString(Bytes().Span);

        public float Float()
        {
            var value = BinaryPrimitives.ReadSingleLittleEndian(Take(4));
            return value;
        }

        public void Varints(int type, List<long> into)
        {
            if (type == 0) { into.Add((long)Varint()); return; }
            if (type != 2) throw new FormatException($"unexpected wire type {type} for integers");
            var packed = new Wire(Bytes());
            while (packed._position < packed._buffer.Length) into.Add((long)packed.Varint());
        }

        public void Floats(int type, List<float> into)
        {
            if (type == 5) { into.Add(Float()); return; }
            if (type != 2) throw new FormatException($"unexpected wire type {type} for floats");
            var span = Bytes().Span;
            if (span.Length % 4 != 0) throw new FormatException("packed floats of odd length");
            for (int i = 0; i < span.Length; i += 4) into.Add(BinaryPrimitives.ReadSingleLittleEndian(span.Slice(i, 4)));
        }

        public void Doubles(int type, List<double> into)
        {
            if (type == 1) { into.Add(BinaryPrimitives.ReadDoubleLittleEndian(Take(8))); return; }
            if (type != 2) throw new FormatException($"unexpected wire type {type} for doubles");
            var span = Bytes().Span;
            if (span.Length % 8 != 0) throw new FormatException("packed doubles of odd length");
            for (int i = 0; i < span.Length; i += 8) into.Add(BinaryPrimitives.ReadDoubleLittleEndian(span.Slice(i, 8)));
        }

        public void Skip(int type)
        {
            switch (type)
            {
                case 0: Varint(); break;
                case 1: Take(8); break;
                case 2: Bytes(); break;
                case 5: Take(4); break;
                default: throw new FormatException($"unsupported wire type {type}");
            }
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (_position + count > _buffer.Length) throw new FormatException("truncated field");
            var span = _buffer.Span.Slice(_position, count);
            _position += count;
            return span;
        }
    }
}
