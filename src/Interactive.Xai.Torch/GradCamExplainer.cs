using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Interactive.Xai.Torch;

/// <summary>Options for <see cref="GradCamExplainer"/>.</summary>
public sealed record GradCamOptions : ExplainerOptions
{
    /// <summary>Creates the options with batches of 256 rows per forward/backward pass (images and their activations are held at once).</summary>
    public GradCamOptions() => BatchSize = 256;
}

/// <summary>
/// Grad-CAM (Selvaraju et al.): for a convolutional layer with activation maps A_c (c = 1..C, each h x w) and a
/// target output y, channel weights a_c = mean over the h x w positions of dy/dA_c, and the map is
/// ReLU(sum_c a_c A_c), upsampled bilinearly (align_corners = false, as PyTorch's default) to the input's H x W.
/// </summary>
/// <remarks>
/// <para>The layer is found by name among the model's named modules (for example "conv2"). For a TorchSharp module
/// its output is captured by a forward hook (an alias, since Sequential disposes intermediate tensors). TorchScript
/// submodules have no hook API, so for a loaded TorchScript file the layer must be a top-level child and the
/// children are run one after another; the explainer checks once that this reproduces the module's own output.</para>
/// <para>The map has H x W values while an input of shape [C, H, W] has C x H x W features: each channel's features
/// get the same map value. Values are [row][feature][target] as in every <see cref="AttributionExplanation"/>, with
/// <see cref="AttributionExplanation.InputShape"/> set. Grad-CAM values do not add up to the prediction: base values
/// are 0 and <see cref="AttributionExplanation.AdditivityError"/> reports the largest |sum of a row's values - f(x)|.</para>
/// <para>Rows are processed in batches of <see cref="ExplainerOptions.BatchSize"/> (256 by default); each batch is one forward pass and
/// one gradient pass per target slot (autograd with respect to the layer output only; parameter gradients are left
/// untouched).</para>
/// </remarks>
public sealed class GradCamExplainer
{
    private readonly TorchModel _model;
    private readonly GradCamOptions _options;
    private readonly nn.Module<Tensor, Tensor>? _hookLayer;
    private readonly (string Name, nn.Module Module)[]? _chain;
    private bool _chainChecked;

    /// <summary>The method name used in results.</summary>
    public const string MethodName = "grad-cam";

    /// <summary>Creates the explainer for <paramref name="layer"/> of <paramref name="model"/>.</summary>
    /// <exception cref="XaiException">The layer does not exist (the message lists the convolutional layers), the model's
    /// input has no spatial axes, or an option is out of range.</exception>
    public GradCamExplainer(TorchModel model, string layer, GradCamOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        TorchRuntime.EnsureAvailable();
        _options = options ?? new GradCamOptions();
        _options.Validate();
        if (model.InputShape.Length < 2)
            throw new XaiException($"Grad-CAM needs image inputs ([C,H,W] or [H,W]); the model's input shape is [{TorchModel.FormatShape(model.InputShape)}]");
        _model = model;
        Layer = layer;
        if (model.IsScript)
        {
            var children = model.Module.named_children().ToArray();
            if (!children.Any(c => c.name == layer))
                throw UnknownLayer(layer, children, " (TorchScript: only top-level children can be used)");
            _chain = children;
        }
        else
        {
            var modules = model.Module.named_modules().Where(m => m.name.Length > 0).ToArray();
            var found = modules.FirstOrDefault(m => m.name == layer).module;
            if (found is null) throw UnknownLayer(layer, modules, "");
            _hookLayer = found as nn.Module<Tensor, Tensor>
                ?? throw new XaiException($"layer '{layer}' ({found.GetType().Name}) does not map one tensor to one tensor; choose a convolutional layer");
        }
    }

    /// <summary>The layer whose activations and gradients make the map.</summary>
    public string Layer { get; }

    /// <summary>The names of <paramref name="model"/>'s 2-D convolutional layers (modules with a rank-4 weight).</summary>
    public static IReadOnlyList<string> ConvolutionalLayers(TorchModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var modules = model.IsScript ? model.Module.named_children() : model.Module.named_modules().Where(m => m.name.Length > 0);
        return modules.Where(m => IsConvolution(m.module)).Select(m => m.name).ToArray();
    }

    /// <summary>
    /// Explains every row of <paramref name="rows"/> for the selected outputs (default: output 0);
    /// <see cref="OutputTarget.Predicted"/> explains each row for its own arg-max output.
    /// </summary>
    public AttributionExplanation Explain(FeatureTable rows, OutputTarget? target = null,
        IProgress<ExplanationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        _model.EnsureAccepts(rows, "the data");
        var stopwatch = Stopwatch.StartNew();
        target ??= OutputTarget.Output(0);
        int n = rows.RowCount, m = _model.FeatureCount, k = _model.OutputCount();
        ImmutableArray<int> targets = target.IsPredicted ? [] : target.Resolve(_model);
        int t = target.IsPredicted ? 1 : targets.Length;
        var shape = _model.InputShape;
        int height = shape[^2], width = shape[^1], pixels = height * width, channels = m / pixels;

        var values = new double[n * m * t];
        var predictions = new double[n * t];
        var rowTargets = target.IsPredicted ? new int[n] : null;
        var outputs = new float[Math.Min(n, _options.BatchSize) * k];
        var map = new float[Math.Min(n, _options.BatchSize) * pixels];
        string? mapShape = null;
        for (int start = 0; start < n; start += _options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(_options.BatchSize, n - start);
            _model.Run(() =>
            {
                using var scope = NewDisposeScope();
                using var grad = enable_grad();
                var x = _model.CreateInput(rows.Values.Slice(start * m, count * m), count, requiresGrad: true);
                var (y, activation, hooked) = ForwardCapturing(x, count);
                using var owned = hooked ? activation : null; // a hook's alias lives outside every scope
                if (activation.dim() != 4)
                    throw new XaiException($"layer '{Layer}' gives an output of shape [{TorchModel.FormatShape(activation.shape)}]; Grad-CAM needs a convolutional layer's [batch, channels, height, width]");
                mapShape ??= $"{activation.shape[2]}x{activation.shape[3]}";
                TorchModel.CopyOut(y, outputs.AsSpan(0, count * k));
                for (int s = 0; s < t; s++)
                {
                    var indices = new long[count];
                    for (int r = 0; r < count; r++)
                    {
                        int o = target.IsPredicted ? ArgMax(outputs.AsSpan(r * k, k)) : targets[s];
                        indices[r] = o;
                        if (rowTargets is not null) rowTargets[start + r] = o;
                        predictions[(start + r) * t + s] = outputs[r * k + o];
                    }
                    var selected = TorchModel.SelectedSum(y, indices);
                    var gradient = autograd.grad([selected], [activation], retain_graph: s < t - 1, allow_unused: true)[0];
                    Tensor cam;
                    if (gradient is null || gradient.IsInvalid)
                    {
                        cam = zeros(count, 1, height, width);
                    }
                    else
                    {
                        var weights = gradient.mean([2, 3], keepdim: true);
                        cam = nn.functional.relu((weights * activation).sum(1, keepdim: true));
                        cam = nn.functional.interpolate(cam, size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false);
                    }
                    TorchModel.CopyOut(cam.reshape(count, pixels), map.AsSpan(0, count * pixels));
                    for (int r = 0; r < count; r++)
                        for (int c = 0; c < channels; c++)
                            for (int p = 0; p < pixels; p++)
                                values[((start + r) * m + c * pixels + p) * t + s] = map[r * pixels + p];
                }
                return 0;
            });
            progress?.Report(new ExplanationProgress(MethodName, start + count, n));
        }

        double additivity = 0;
        for (int r = 0; r < n; r++)
            for (int s = 0; s < t; s++)
            {
                double sum = 0;
                for (int j = 0; j < m; j++) sum += values[(r * m + j) * t + s];
                additivity = Math.Max(additivity, Math.Abs(sum - predictions[r * t + s]));
            }

        ImmutableArray<int> slotTargets = target.IsPredicted ? [-1] : targets;
        return new AttributionExplanation
        {
            Method = MethodName,
            FeatureNames = rows.FeatureNames,
            OutputNames = target.IsPredicted ? ["predicted"] : targets.Select(o => _model.OutputNames[o]).ToImmutableArray(),
            Targets = slotTargets,
            RowTargets = rowTargets is null ? ImmutableArray<int>.Empty : ImmutableArray.Create(rowTargets),
            Data = rows,
            Values = ImmutableArray.Create(values),
            BaseValues = ImmutableArray.Create(new double[t]),
            Predictions = ImmutableArray.Create(predictions),
            InputShape = shape,
            AdditivityError = additivity,
            Elapsed = stopwatch.Elapsed,
            ModelEvaluations = (long)n * (1 + t),
            Details = ImmutableDictionary<string, string>.Empty
                .Add("layer", Layer)
                .Add("layerMap", mapShape ?? "")
                .Add("rowsPerBatch", Math.Min(n, _options.BatchSize).ToString(CultureInfo.InvariantCulture)),
        };
    }

    private (Tensor Output, Tensor Activation, bool Hooked) ForwardCapturing(Tensor x, int count)
    {
        if (_hookLayer is not null)
        {
            Tensor? captured = null;
            var hook = _hookLayer.register_forward_hook((_, _, output) =>
            {
                captured?.Dispose();
                // Sequential disposes its intermediate outputs and modules may dispose their own inner scopes:
                // keep an alias (same tensor, same autograd node) outside every scope; Explain disposes it.
                captured = output.alias().DetachFromDisposeScope();
                return output;
            });
            Tensor y;
            try
            {
                y = _model.Forward(x, count);
            }
            finally
            {
                hook.remove();
            }
            if (captured is null) throw new XaiException($"layer '{Layer}' did not run in the model's forward pass");
            return (y, captured, true);
        }

        Tensor current = x, activation = x;
        foreach (var (name, child) in _chain!)
        {
            try
            {
                current = (Tensor)((jit.ScriptModule)child).call(current);
            }
            catch (Exception e) when (e is not XaiException)
            {
                throw new XaiException($"{_model.Source}: running the TorchScript children one by one failed at '{name}' ({TorchModel.FirstLine(e.Message)}); Grad-CAM on TorchScript needs a Sequential-like module", e);
            }
            if (name == Layer) activation = current;
        }
        if (current.dim() == 0 || current.shape[0] != count)
            throw new XaiException($"{_model.Source}: running the TorchScript children one by one gives shape [{TorchModel.FormatShape(current.shape)}]; Grad-CAM on TorchScript needs a Sequential-like module");
        var flat = current.reshape(count, -1).to_type(ScalarType.Float32);
        if (!_chainChecked)
        {
            using var noGrad = no_grad();
            var reference = _model.Forward(x, count);
            if (!reference.shape.SequenceEqual(flat.shape) || !reference.allclose(flat, rtol: 1e-4, atol: 1e-6))
                throw new XaiException($"{_model.Source}: running the TorchScript module's children one by one does not reproduce its output, so layer '{Layer}' cannot be captured (TorchScript submodules have no hooks); Grad-CAM on TorchScript needs a Sequential-like module");
            _chainChecked = true;
        }
        return (flat, activation, false);
    }

    private XaiException UnknownLayer(string layer, IEnumerable<(string name, nn.Module module)> modules, string note)
    {
        var convolutions = modules.Where(m => IsConvolution(m.module)).Select(m => m.name).ToArray();
        return new XaiException(convolutions.Length == 0
            ? $"layer '{layer}' not found{note}; the model has no convolutional layers (modules: {string.Join(", ", modules.Select(m => m.name))})"
            : $"layer '{layer}' not found{note}; the convolutional layers are: {string.Join(", ", convolutions)}");
    }

    private static bool IsConvolution(nn.Module module)
        => module.named_parameters(recurse: false).Any(p => p.name == "weight" && p.parameter.dim() == 4);

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
