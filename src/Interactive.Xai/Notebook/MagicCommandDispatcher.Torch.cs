using System.Globalization;
using Interactive.Xai.Hosting;
using Interactive.Xai.Inspection;
using Interactive.Xai.Torch;
using Interactive.Xai.Torch.Inspection;
using TorchSharp;
using static TorchSharp.torch;

namespace Interactive.Xai.Notebook;

public sealed partial class MagicCommandDispatcher
{
    /// <summary>The gradient and image methods #!xai-explain runs (besides the SHAP family).</summary>
    public static IReadOnlyList<string> GradientMethods { get; } = ["saliency", "smoothgrad", "ig", "occlusion", "grad-cam"];

    /// <summary>Rows #!xai-inspect feeds through the network for activations and gradients when --rows is not given.</summary>
    public const int DefaultInspectRows = 16;

    private static int[]? InputShape(CommandContext context)
        => context.Get("input-shape") is { } text ? ExplanationRunner.ParseShape(text, "--input-shape") : null;

    private void ExplainGradients(CommandContext context, IModel model, FeatureTable data, string method, Action<object> show)
    {
        var rows = SelectRows(data, context.Get("rows"));
        int[]? shape = InputShape(context) ?? (model is TorchModel torch ? [.. torch.InputShape] : null);
        // per-row methods explain each row's own predicted class by default when there are several outputs
        string target = context.Get("target") ?? (model.OutputCount() > 1 ? "predicted" : "0");
        var request = new ExplanationRequest
        {
            Method = method,
            Target = target,
            InputShape = shape,
            Layer = context.Get("layer"),
            Steps = context.GetInt("steps") ?? 50,
            Samples = context.GetInt("samples"),
            Seed = context.GetInt("seed") ?? 42,
        };
        show(_runner.Run(model, rows, request, new ExplanationInputs { Reference = data }, context.Progress, context.CancellationToken));
    }

    private void InspectTorch(CommandContext context, TorchModel model, string what, Action<object> show)
    {
        switch (what)
        {
            case "structure":
                show(model);
                return;
            case "weights":
                show(TorchInspector.Weights(model.Module, Path.GetFileName(model.Source)));
                return;
        }
        if (model.Module is not nn.Module<Tensor, Tensor> module)
            throw new XaiException($"--what {what}: the layers of a TorchScript file cannot be hooked from TorchSharp; use a TorchModel made with TorchModel.FromModule");
        if (context.Get("data") is null)
            throw new XaiException($"--what {what} needs --data: input rows to run through the network");
        var (data, labels) = ResolveData(context, model, "data");
        var selected = context.Get("rows") is { } r ? ParseRows(r, data.RowCount) : Enumerable.Range(0, Math.Min(DefaultInspectRows, data.RowCount)).ToArray();
        var rows = data.SelectRows(selected);
        long[] shape = [rows.RowCount, .. model.InputShape.Select(d => (long)d)];
        using var scope = NewDisposeScope();
        var inputs = tensor(rows.Values.ToArray(), shape);
        if (what == "activations")
        {
            show(TorchInspector.Activations(module, inputs));
            return;
        }
        // gradients: the loss a classifier or regressor is trained with
        int outputs = model.OutputCount();
        float[]? picked = labels is null ? null : selected.Select(i => labels[i]).ToArray();
        if (outputs > 1)
        {
            // cross-entropy on the labels, or on each row's predicted class when there are none; a network whose
            // outputs are already probabilities (rows of non-negative values summing to 1) gets the log-likelihood of them
            var predictions = model.Predict(rows);
            long[] classes = picked is not null ? picked.Select(v => (long)v).ToArray() : PredictedClasses(predictions, outputs);
            if (classes.Any(c => c < 0 || c >= outputs))
                throw new XaiException($"--label: the labels must be class indices 0..{outputs - 1} for a model with {outputs} outputs");
            var target = tensor(classes, [classes.Length]);
            Func<Tensor, Tensor, Tensor> loss = AreProbabilities(predictions, outputs)
                ? (o, t) => nn.functional.nll_loss(o.clamp_min(1e-12).log(), t)
                : (o, t) => nn.functional.cross_entropy(o, t);
            show(TorchInspector.GradientFlow(module, inputs, target, loss));
        }
        else
        {
            if (picked is null)
                throw new XaiException("--what gradients of a regression model needs labels for its MSE loss: --label NAME for a DataFrame or CSV, or a Dataset variable");
            var target = tensor(picked, [picked.Length, 1L]);
            show(TorchInspector.GradientFlow(module, inputs, target, (o, t) => nn.functional.mse_loss(o.reshape(-1, 1), t)));
        }
    }

    /// <summary>Whether every row of <paramref name="outputs"/> is a probability distribution (within 1e-3).</summary>
    internal static bool AreProbabilities(float[] outputs, int k)
    {
        for (int i = 0; i < outputs.Length / k; i++)
        {
            double sum = 0;
            for (int j = 0; j < k; j++)
            {
                float v = outputs[i * k + j];
                if (v < 0 || !float.IsFinite(v)) return false;
                sum += v;
            }
            if (Math.Abs(sum - 1) > 1e-3) return false;
        }
        return true;
    }

    private static long[] PredictedClasses(float[] outputs, int k)
    {
        var classes = new long[outputs.Length / k];
        for (int i = 0; i < classes.Length; i++)
        {
            int best = 0;
            for (int j = 1; j < k; j++) if (outputs[i * k + j] > outputs[i * k + best]) best = j;
            classes[i] = best;
        }
        return classes;
    }

    private static int[] ParseRows(string rows, int rowCount)
    {
        // the one --rows parser (and its messages), applied to a one-column table of row numbers
        var numbered = FeatureTable.FromRowMajor(Enumerable.Range(0, rowCount).Select(i => (float)i).ToArray(), rowCount, 1);
        var picked = SelectRows(numbered, rows);
        return Enumerable.Range(0, picked.RowCount).Select(i => (int)picked[i, 0]).ToArray();
    }
}

public sealed partial class MagicCommandDispatcher
{
    // A TorchSharp network's parameters as a content key (it may have been trained since the last cell): true with null
    // for other objects; false when the parameters cannot be read (the result is then not cached).
    private static bool TryTorchParameterKey(object value, out string? key)
    {
        key = null;
        nn.Module? module = value switch
        {
            TrainedTorchModel trained => trained.Model.Module,
            TorchModel torchModel => torchModel.Module,
            nn.Module m => m,
            _ => null,
        };
        if (module is null) return true;
        try
        {
            // parameters and buffers (BatchNorm running statistics change a TorchModel's eval-mode outputs too), the
            // same fingerprint the explainer cache checks
            key = "torch:" + ExplainerCache.ModuleState(module);
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>Rows #!xai-attention feeds through the network when --rows is not given.</summary>
    public const int DefaultAttentionRows = 4;

    // An image model's own input shape (a TorchModel over C x H x W inputs), for image LIME without --input-shape.
    private static int[]? ModelImageShape(IModel model) => model is TorchModel { InputShape.Length: 3 } torch ? [.. torch.InputShape] : null;

    private TorchModel ResolveTorchModule(CommandContext context, string command, out nn.Module<Tensor, Tensor> module)
    {
        var model = ResolveModel(context);
        if (model is not TorchModel torch)
            throw new XaiException($"#!{command} needs a TorchSharp model (a TorchModel, TrainedTorchModel or .pt file); --model {context.Get("model")} is a {model.GetType().Name}");
        module = torch.Module as nn.Module<Tensor, Tensor>
            ?? throw new XaiException($"#!{command}: the layers of a TorchScript file cannot be hooked from TorchSharp; use a TorchModel made with TorchModel.FromModule");
        return torch;
    }

    private void Attention(CommandContext context, Action<object> show)
    {
        int heads = context.GetInt("heads")!.Value;
        if (heads < 1) throw new XaiException($"--heads must be at least 1, got {heads}");
        var model = ResolveTorchModule(context, "xai-attention", out var module);
        var (data, _) = ResolveData(context, model, "data");
        var selected = context.Get("rows") is { } r ? ParseRows(r, data.RowCount) : Enumerable.Range(0, Math.Min(DefaultAttentionRows, data.RowCount)).ToArray();
        var rows = data.SelectRows(selected);
        var tokens = context.Get("tokens")?.Split(',', StringSplitOptions.TrimEntries);
        long[] shape = [rows.RowCount, .. model.InputShape.Select(d => (long)d)];
        using var scope = NewDisposeScope();
        var inputs = tensor(rows.Values.ToArray(), shape);
        show(TorchInspector.Attention(module, context.Get("layer")!, inputs, heads, tokens));
    }

    private void Visualize(CommandContext context, Action<object> show)
    {
        var model = ResolveTorchModule(context, "xai-visualize", out var module);
        string layer = context.Get("layer")!;
        var units = ParseUnits(context.Get("units") ?? "0-3");
        var options = new FeatureVisualizationOptions
        {
            InputShape = [.. model.InputShape.Select(d => (long)d)],
            Steps = context.GetInt("steps") ?? 200,
            Seed = context.GetInt("seed") ?? 42,
        };
        var results = new List<FeatureVisualization>();
        for (int i = 0; i < units.Length; i++)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            context.Progress?.Report(new ExplanationProgress("feature visualisation", i, units.Length));
            results.Add(FeatureVisualizer.Maximize(module, layer, units[i], options));
        }
        context.Progress?.Report(new ExplanationProgress("feature visualisation", units.Length, units.Length));
        show(results.ToArray());
    }

    private static int[] ParseUnits(string text)
    {
        var units = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length == 1 && int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out int single)) units.Add(single);
            else if (bounds.Length == 2 && int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out int from)
                     && int.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out int to) && from <= to && to - from < 1024)
                units.AddRange(Enumerable.Range(from, to - from + 1));
            else throw new XaiException($"--units {text}: use '0-3', '5' or '0,2'");
        }
        if (units.Count == 0) throw new XaiException($"--units {text} selects no unit");
        return [.. units];
    }
}
