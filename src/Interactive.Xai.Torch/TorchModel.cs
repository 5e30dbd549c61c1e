using System.Collections.Immutable;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch;

/// <summary>
/// A TorchSharp module (<c>nn.Module&lt;Tensor, Tensor&gt;</c>) or a TorchScript file as a batched, differentiable
/// <see cref="IDifferentiableModel"/>. Each input row is a flattened tensor of <see cref="InputShape"/> (for example
/// [1, 8, 8] for a one-channel 8x8 image: 64 features, row-major, channels first); a batch of N rows is fed as one
/// tensor of shape [N, ...InputShape] and the output, of shape [N] or [N, ...], is flattened to N x OutputCount.
/// </summary>
/// <remarks>
/// <para>The module runs in eval mode (its training flag is restored after each call). <see cref="Predict"/> runs
/// under no_grad; <see cref="PredictWithGradient"/> runs autograd on the sum over rows of each row's selected output
/// and reads the gradient with respect to the input only (parameters' .grad are left untouched). The batch is copied
/// from the caller's span into one native tensor in a single block copy, and outputs are copied back the same way;
/// every tensor made during a call is disposed before it returns.</para>
/// <para>Not thread-safe: <see cref="IsThreadSafe"/> is false and calls on one instance are serialised by a lock,
/// because a module's training flag and any hooks on it are shared state. Explainers therefore run its batches one at
/// a time; libtorch itself uses several threads inside one call.</para>
/// </remarks>
public sealed class TorchModel : IDifferentiableModel, IDisposable
{
    private readonly nn.Module _module;
    private readonly nn.IModule<Tensor, Tensor> _forward;
    private readonly bool _ownsModule;
    private readonly long[] _inputShape;
    private readonly Lock _gate = new();
    private bool _disposed;

    private TorchModel(nn.Module module, nn.IModule<Tensor, Tensor> forward, IReadOnlyList<int> inputShape,
        TorchModelOptions options, bool ownsModule, string source)
    {
        _module = module;
        _forward = forward;
        _ownsModule = ownsModule;
        Source = source;
        InputShape = inputShape.ToImmutableArray();
        _inputShape = inputShape.Select(d => (long)d).ToArray();
        long features = 1;
        foreach (var d in _inputShape) features *= d;
        if (features > int.MaxValue) throw new XaiException($"{source}: input shape [{FormatShape(InputShape)}] has too many features");
        FeatureCount = (int)features;
        if (options.FeatureNames is not null && options.FeatureNames.Count != FeatureCount)
            throw new XaiException($"{source}: {options.FeatureNames.Count} feature names for an input of shape [{FormatShape(InputShape)}] ({FeatureCount} features)");
        FeatureNames = options.FeatureNames?.ToImmutableArray();

        int outputCount = ProbeOutputCount();
        if (options.OutputNames is not null && options.OutputNames.Count != outputCount)
            throw new XaiException($"{source}: {options.OutputNames.Count} output names given but the model has {outputCount} outputs per row");
        OutputNames = options.OutputNames?.ToImmutableArray()
            ?? (outputCount == 1
                ? ["output"]
                : Enumerable.Range(0, outputCount).Select(k => $"output[{k.ToString(CultureInfo.InvariantCulture)}]").ToImmutableArray());
    }

    /// <summary>Wraps a TorchSharp module whose forward takes a tensor of shape [batch, ...<paramref name="inputShape"/>].</summary>
    /// <param name="module">The module. It is put in eval mode for each call; it is not disposed unless
    /// <see cref="TorchModelOptions.DisposeModule"/> says so.</param>
    /// <param name="inputShape">The shape of one input without the batch axis, for example [1, 8, 8] or [10].</param>
    /// <param name="options">Output and feature names, ownership.</param>
    public static TorchModel FromModule(nn.Module<Tensor, Tensor> module, IReadOnlyList<int> inputShape, TorchModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        TorchRuntime.EnsureAvailable();
        options ??= new TorchModelOptions();
        ValidateShape(inputShape, "the module");
        return new TorchModel(module, module, inputShape, options, options.DisposeModule, module.GetName());
    }

    /// <summary>
    /// Loads a TorchScript file (saved by PyTorch's <c>torch.jit.trace</c>/<c>torch.jit.script</c> and
    /// <c>torch.jit.save</c>, or by TorchSharp) whose forward takes one tensor of shape [batch, ...<paramref name="inputShape"/>].
    /// </summary>
    /// <param name="path">The .pt file.</param>
    /// <param name="inputShape">The shape of one input without the batch axis; a TorchScript file does not record it.</param>
    /// <param name="options">Output and feature names.</param>
    public static TorchModel Load(string path, IReadOnlyList<int> inputShape, TorchModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        TorchRuntime.EnsureAvailable();
        if (!File.Exists(path)) throw new XaiException($"{path}: model file not found");
        ValidateShape(inputShape, path);
        jit.ScriptModule<Tensor, Tensor> module;
        try
        {
            module = jit.load<Tensor, Tensor>(path);
        }
        catch (Exception e) when (e is not XaiException)
        {
            throw new XaiException($"{path}: not a TorchScript file that TorchSharp can load (save it from PyTorch with torch.jit.trace or torch.jit.script and torch.jit.save; a torch.save state dict is not enough): {FirstLine(e.Message)}", e);
        }
        try
        {
            return new TorchModel(module, module, inputShape, options ?? new TorchModelOptions(), ownsModule: true, path);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>Where the model came from: the file path, or the module's type name.</summary>
    public string Source { get; }

    /// <summary>The shape of one input without the batch axis.</summary>
    public ImmutableArray<int> InputShape { get; }

    /// <summary>The wrapped module (a <c>jit.ScriptModule&lt;Tensor, Tensor&gt;</c> for a loaded file).</summary>
    public nn.Module Module => _module;

    /// <summary>True when the model is a TorchScript module (its submodules have no hook API).</summary>
    public bool IsScript => _module is jit.ScriptModule;

    /// <inheritdoc />
    public int FeatureCount { get; }

    /// <inheritdoc />
    public IReadOnlyList<string>? FeatureNames { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> OutputNames { get; }

    /// <inheritdoc />
    public bool IsThreadSafe => false;

    /// <inheritdoc />
    public void Predict(ReadOnlySpan<float> inputs, int rowCount, Span<float> outputs)
    {
        int k = OutputNames.Count;
        CheckBuffers(inputs.Length, rowCount, outputs.Length);
        if (rowCount == 0) return;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var mode = new EvalMode(_module);
            var x = CreateInput(inputs, rowCount, requiresGrad: false);
            var y = Forward(x, rowCount);
            CopyOut(y, outputs[..(rowCount * k)]);
        }
    }

    /// <inheritdoc />
    public void PredictWithGradient(ReadOnlySpan<float> inputs, int rowCount, ReadOnlySpan<int> outputIndices,
        Span<float> outputs, Span<float> gradients)
    {
        int k = OutputNames.Count;
        CheckBuffers(inputs.Length, rowCount, outputs.Length);
        if (outputIndices.Length < rowCount) throw new ArgumentException("one output index per row is needed", nameof(outputIndices));
        if (gradients.Length < rowCount * FeatureCount) throw new ArgumentException("gradient buffer too small", nameof(gradients));
        var indices = new long[rowCount];
        for (int r = 0; r < rowCount; r++)
        {
            if ((uint)outputIndices[r] >= (uint)k)
                throw new XaiException($"output index {outputIndices[r]} does not exist; the model has {k} output(s): {string.Join(", ", OutputNames)}");
            indices[r] = outputIndices[r];
        }
        if (rowCount == 0) return;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            using var mode = new EvalMode(_module);
            var x = CreateInput(inputs, rowCount, requiresGrad: true);
            var y = Forward(x, rowCount);
            var selected = SelectedSum(y, indices);
            var g = InputGradient(selected, x);
            CopyOut(y, outputs[..(rowCount * k)]);
            if (g is null) gradients[..(rowCount * FeatureCount)].Clear();
            else CopyOut(g, gradients[..(rowCount * FeatureCount)]);
        }
    }

    /// <summary>Disposes the module when this model owns it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (_ownsModule) _module.Dispose();
        }
    }

    /// <summary>Runs <paramref name="action"/> under this model's lock with the module in eval mode.</summary>
    internal T Run<T>(Func<T> action)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var mode = new EvalMode(_module);
            return action();
        }
    }

    /// <summary>A float32 tensor of shape [rowCount, ...InputShape] holding a copy of the rows (one block copy).</summary>
    internal Tensor CreateInput(ReadOnlySpan<float> inputs, int rowCount, bool requiresGrad)
    {
        var shape = new long[_inputShape.Length + 1];
        shape[0] = rowCount;
        _inputShape.CopyTo(shape, 1);
        var x = empty(shape, ScalarType.Float32);
        using (var accessor = x.data<float>()) accessor.CopyFrom(inputs[..(rowCount * FeatureCount)], 0, 0);
        if (requiresGrad) x.requires_grad_(true);
        return x;
    }

    /// <summary>Runs the module and checks and flattens its output to [rowCount, OutputCount] (float32).</summary>
    internal Tensor Forward(Tensor x, int rowCount)
    {
        Tensor y;
        try
        {
            y = _forward.call(x);
        }
        catch (Exception e) when (e is not XaiException)
        {
            throw new XaiException($"{Source}: the model failed on an input of shape [{FormatShape(x.shape)}]: {FirstLine(e.Message)}", e);
        }
        return Flatten(y, rowCount);
    }

    /// <summary>Sum over rows of output <paramref name="indices"/>[r] of row r.</summary>
    internal static Tensor SelectedSum(Tensor flatOutputs, long[] indices)
    {
        var index = tensor(indices, ScalarType.Int64).unsqueeze(1);
        return flatOutputs.gather(1, index).sum();
    }

    /// <summary>The gradient of <paramref name="scalar"/> with respect to <paramref name="input"/>, or null when it does not depend on it.</summary>
    internal Tensor? InputGradient(Tensor scalar, Tensor input)
    {
        if (!scalar.requires_grad)
            throw new XaiException($"{Source}: the model's output does not depend differentiably on its input (no autograd graph); gradients are unavailable");
        var grads = autograd.grad([scalar], [input], allow_unused: true);
        return grads[0] is { } g && !g.IsInvalid ? g : null;
    }

    /// <summary>Copies a tensor's values, converted to float32, into <paramref name="destination"/> (row-major).</summary>
    internal static void CopyOut(Tensor t, Span<float> destination)
    {
        var values = t.detach().to_type(ScalarType.Float32).contiguous();
        using var accessor = values.data<float>();
        accessor.CopyTo(destination, 0, 0);
    }

    internal static string FormatShape(IEnumerable<long> shape) => string.Join(",", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    internal static string FormatShape(IEnumerable<int> shape) => string.Join(",", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// One line of a native error message: TorchScript's "The following operation failed..." preambles end with the
    /// line that says what went wrong ("RuntimeError: ..."), so that line is preferred.
    /// </summary>
    internal static string FirstLine(string message)
    {
        var lines = message.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        var cause = lines.LastOrDefault(l => l.StartsWith("RuntimeError:", StringComparison.Ordinal));
        var line = cause ?? (lines.Length > 0 ? lines[0] : "");
        return line.Length > 300 ? line[..300] + "..." : line;
    }

    private Tensor Flatten(Tensor y, int rowCount)
    {
        if (!IsFloatingPoint(y.dtype))
            throw new XaiException($"{Source}: the model's output has element type {y.dtype}; floating-point outputs (scores, logits, probabilities) are needed");
        if (y.dim() == 0 || y.shape[0] != rowCount)
            throw new XaiException($"{Source}: for a batch of {rowCount} input(s) the model returned shape [{FormatShape(y.shape)}]; the first axis must be the batch");
        return y.reshape(rowCount, -1).to_type(ScalarType.Float32);
    }

    private int ProbeOutputCount()
    {
        return Run(() =>
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var probe = new float[FeatureCount * 2];
            var x = CreateInput(probe, 2, requiresGrad: false);
            var y = Forward(x, 2);
            long k = y.shape[1];
            if (k < 1) throw new XaiException($"{Source}: the model returns no outputs per row");
            return (int)k;
        });
    }

    private void CheckBuffers(int inputLength, int rowCount, int outputLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        if (inputLength < (long)rowCount * FeatureCount)
            throw new XaiException($"{Source}: {inputLength} input values for {rowCount} row(s) of shape [{FormatShape(InputShape)}] ({FeatureCount} features each)");
        if (outputLength < (long)rowCount * OutputNames.Count) throw new ArgumentException("output buffer too small", nameof(outputLength));
    }

    private static void ValidateShape(IReadOnlyList<int> inputShape, string source)
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Count == 0 || inputShape.Any(d => d < 1))
            throw new XaiException($"{source}: input shape [{FormatShape(inputShape)}] must list one or more positive sizes (without the batch axis), for example 1,8,8 or 10");
    }

    private static bool IsFloatingPoint(ScalarType type)
        => type is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16;

    // Puts the whole module tree into eval mode for one call and restores every module's own flag afterwards: a root in
    // eval mode can still hold a child in training mode (a BatchNorm the user switched back), which would mix rows through
    // batch statistics, and a child the user froze with eval() must not come back in training mode.
    private readonly struct EvalMode : IDisposable
    {
        private readonly (nn.Module Module, bool WasTraining)[] _saved;

        public EvalMode(nn.Module module)
        {
            _saved = [(module, module.training), .. module.named_modules().Select(entry => (entry.module, entry.module.training))];
            if (_saved.Any(entry => entry.WasTraining)) module.eval();
        }

        public void Dispose()
        {
            if (!_saved.Any(entry => entry.WasTraining)) return;
            // Parents come before their children (pre-order), so each module ends with its own flag.
            foreach (var (module, wasTraining) in _saved) module.train(wasTraining);
        }
    }
}
