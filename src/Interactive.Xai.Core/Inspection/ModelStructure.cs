using System.Collections.Immutable;

namespace Interactive.Xai.Inspection;

/// <summary>
/// A model's structure as a graph, whatever it came from (an ONNX graph, an ML.NET pipeline, a network's modules):
/// nodes (operators, transformers, layers), the tensors or columns flowing between them, and the parameter tensors.
/// </summary>
public sealed record ModelStructure
{
    /// <summary>The model's name (its file name, or the name it carries).</summary>
    public required string Name { get; init; }

    /// <summary>What kind of model this is, for example "ONNX" or "ML.NET pipeline".</summary>
    public required string Format { get; init; }

    /// <summary>Facts about the model as a whole (producer, opset, IR version, ...).</summary>
    public ImmutableArray<KeyValuePair<string, string>> Properties { get; init; } = [];

    /// <summary>The graph's inputs (tensor or column names with their types).</summary>
    public ImmutableArray<StructureValue> Inputs { get; init; } = [];

    /// <summary>The graph's outputs.</summary>
    public ImmutableArray<StructureValue> Outputs { get; init; } = [];

    /// <summary>The nodes in a topological (execution) order.</summary>
    public required ImmutableArray<StructureNode> Nodes { get; init; }

    /// <summary>Parameter tensors (weights, biases, other constants).</summary>
    public ImmutableArray<StructureTensor> Parameters { get; init; } = [];

    /// <summary>The total number of parameter values.</summary>
    public long ParameterCount => Parameters.Sum(p => p.ValueCount);

    /// <summary>The number of parameter values that training updates (those marked <see cref="StructureTensor.Trainable"/>).</summary>
    public long TrainableParameterCount => Parameters.Where(p => p.Trainable).Sum(p => p.ValueCount);

    /// <summary>The size of the parameter tensors in bytes.</summary>
    public long ParameterByteCount => Parameters.Sum(p => p.ByteCount);

    /// <summary>The size in bytes of the sample input a forward pass was traced with; null when the structure was read without running the model.</summary>
    public long? InputByteCount { get; init; }

    /// <summary>
    /// The bytes of every layer output of one traced forward pass (the activations autograd keeps for the backward
    /// pass); null when the structure was read without running the model.
    /// </summary>
    public long? ActivationByteCount { get; init; }

    /// <summary>
    /// Edges between nodes: (from node index, to node index, the value's name) where a node consumes what another
    /// produces. Graph inputs and parameters are not nodes and make no edges.
    /// </summary>
    public IReadOnlyList<(int From, int To, string Value)> Edges()
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = 0; n < Nodes.Length; n++)
            foreach (var output in Nodes[n].Outputs) producer.TryAdd(output, n);
        var edges = new List<(int, int, string)>();
        for (int n = 0; n < Nodes.Length; n++)
            foreach (var input in Nodes[n].Inputs)
                if (producer.TryGetValue(input, out int from) && from != n) edges.Add((from, n, input));
        return edges;
    }

    /// <summary>Each node's depth: the length of the longest chain of nodes feeding it (0 for nodes fed only by graph inputs and parameters).</summary>
    public int[] Depths()
    {
        var depth = new int[Nodes.Length];
        var incoming = Edges().GroupBy(e => e.To).ToDictionary(g => g.Key, g => g.Select(e => e.From).ToArray());
        // Nodes are in topological order, so one pass suffices; guard against unordered input with a second pass limit.
        for (int pass = 0; pass < 2; pass++)
            for (int n = 0; n < Nodes.Length; n++)
                if (incoming.TryGetValue(n, out var from)) depth[n] = from.Max(f => depth[f] + 1);
        return depth;
    }
}

/// <summary>One node of a model's structure.</summary>
/// <param name="Name">The node's name (may be empty in ONNX).</param>
/// <param name="Operator">The operator, transformer or layer type, for example "Gemm" or "Relu".</param>
/// <param name="Inputs">The names of the values it reads.</param>
/// <param name="Outputs">The names of the values it writes.</param>
public sealed record StructureNode(string Name, string Operator, ImmutableArray<string> Inputs, ImmutableArray<string> Outputs)
{
    /// <summary>Attributes or settings, as text.</summary>
    public ImmutableArray<KeyValuePair<string, string>> Attributes { get; init; } = [];

    /// <summary>
    /// The shapes of the node's outputs as seen in a traced forward pass (one per output, batch dimension first);
    /// empty when the structure was read without running the model.
    /// </summary>
    public ImmutableArray<ImmutableArray<long>> OutputShapes { get; init; } = [];

    /// <summary>The number of parameter values the layer owns itself (not counting nested layers); 0 when unknown or none.</summary>
    public long ParameterCount { get; init; }

    /// <summary>How many of <see cref="ParameterCount"/> are trainable.</summary>
    public long TrainableParameterCount { get; init; }

    /// <summary>
    /// The names of the containers the layer sits in, outermost first (for a network's module tree, for example
    /// ["features", "block1"] for "features.block1.conv"); empty for graph formats without nesting.
    /// </summary>
    public ImmutableArray<string> Containers { get; init; } = [];

    /// <summary>The output shapes as text, for example "[2, 4, 6, 6]"; several outputs are joined with "; ".</summary>
    public string OutputShapeText => string.Join("; ", OutputShapes.Select(s => "[" + string.Join(", ", s) + "]"));
}

/// <summary>A named input or output value with its element type and shape ("?" or a symbol for dynamic dimensions).</summary>
public sealed record StructureValue(string Name, string ElementType, ImmutableArray<string> Shape)
{
    /// <summary>The shape as text, for example [batch, 10].</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>A parameter tensor.</summary>
/// <param name="Name">Its name.</param>
/// <param name="ElementType">The element type, for example "float32".</param>
/// <param name="Shape">Its dimensions.</param>
public sealed record StructureTensor(string Name, string ElementType, ImmutableArray<long> Shape)
{
    /// <summary>The number of values (the product of the dimensions; 1 for a scalar).</summary>
    public long ValueCount => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>The values as float32 when the tensor is numeric and its data is stored in the model; otherwise empty.</summary>
    public ImmutableArray<float> Values { get; init; } = [];

    /// <summary>The size of the stored data in bytes.</summary>
    public long ByteCount { get; init; }

    /// <summary>Whether training updates the tensor (true for ONNX and ML.NET parameters, which carry no such flag).</summary>
    public bool Trainable { get; init; } = true;

    /// <summary>The layer (node name) that owns the tensor, when known.</summary>
    public string? Owner { get; init; }

    /// <summary>Mean, population standard deviation, minimum and maximum of the stored values; null when none are stored.</summary>
    public (double Mean, double StandardDeviation, double Min, double Max)? Summary()
    {
        if (Values.IsDefaultOrEmpty) return null;
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (float v in Values) { sum += v; min = Math.Min(min, v); max = Math.Max(max, v); }
        double mean = sum / Values.Length, squares = 0;
        foreach (float v in Values) squares += (v - mean) * (v - mean);
        return (mean, Math.Sqrt(squares / Values.Length), min, max);
    }
}
