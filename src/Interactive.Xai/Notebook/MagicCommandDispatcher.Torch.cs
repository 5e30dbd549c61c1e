using Interactive.Xai.Hosting;
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
