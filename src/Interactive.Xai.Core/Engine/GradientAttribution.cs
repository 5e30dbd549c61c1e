using System.Collections.Immutable;
using System.Globalization;

namespace Interactive.Xai
{
    /// <summary>Settings the gradient attribution methods (saliency, SmoothGrad, Integrated Gradients) share.</summary>
    public abstract record GradientAttributionOptions : ExplainerOptions
    {
        /// <summary>
        /// The shape of one input when the features are a flattened tensor (for example [1, 8, 8] for 8x8 grey
        /// images, channels first); passed through to <see cref="AttributionExplanation.InputShape"/>. Empty for tables.
        /// Its product must equal the model's feature count.
        /// </summary>
        public ImmutableArray<int> InputShape { get; init; } = ImmutableArray<int>.Empty;
    }
}

namespace Interactive.Xai.Engine
{
    /// <summary>Writes the model input of gradient step <paramref name="step"/> of explained row <paramref name="row"/>.</summary>
    internal delegate void FillStep(int row, int step, Span<float> input);

    /// <summary>Folds one gradient (of the row's output for target slot <paramref name="slot"/>) into an explainer's sums.</summary>
    internal delegate void ConsumeStep(int row, int slot, int step, ReadOnlySpan<float> outputs, ReadOnlySpan<float> gradient);

    /// <summary>Which model output each (row, target slot) of a gradient explanation is about.</summary>
    internal sealed class GradientTargetPlan
    {
        /// <summary>The explanation's targets: output indices, or [-1] for each row's predicted output.</summary>
        public required ImmutableArray<int> Targets { get; init; }

        /// <summary>The explanation's output names, one per slot ("predicted" for per-row targets).</summary>
        public required ImmutableArray<string> OutputNames { get; init; }

        /// <summary>Each row's own output for <see cref="OutputTarget.Predicted"/>; empty otherwise.</summary>
        public ImmutableArray<int> RowTargets { get; init; } = ImmutableArray<int>.Empty;

        /// <summary>Target slots per row.</summary>
        public int Slots => Targets.Length;

        /// <summary>The model output explained for a row and slot.</summary>
        public int Output(int row, int slot) => RowTargets.IsEmpty ? Targets[slot] : RowTargets[row];
    }

    /// <summary>
    /// What saliency, SmoothGrad and Integrated Gradients share: the differentiable-model check, the input shape check,
    /// target resolution (including each row's predicted output) and the rows x targets x steps gradient loop over
    /// <see cref="GradientBatches"/>.
    /// </summary>
    internal static class GradientAttribution
    {
        /// <summary>The model as an <see cref="IDifferentiableModel"/>, or an <see cref="XaiException"/> naming the method.</summary>
        public static IDifferentiableModel RequireDifferentiable(IModel model, string method)
        {
            ArgumentNullException.ThrowIfNull(model);
            return model as IDifferentiableModel
                ?? throw new XaiException($"{method} needs a differentiable model (an IDifferentiableModel such as a TorchSharp module, a TorchScript .pt file or a DifferentiableDelegateModel); {model.GetType().Name} only gives outputs, not gradients");
        }

        /// <summary>Checks the options shared by the gradient methods against the model.</summary>
        public static void Validate(GradientAttributionOptions options, IModel model)
        {
            options.Validate();
            var shape = options.InputShape;
            if (shape.IsDefaultOrEmpty) return;
            if (shape.Any(d => d < 1)) throw new XaiException($"input shape {Format(shape)}: every dimension must be at least 1");
            long product = shape.Aggregate(1L, (p, d) => p * d);
            if (product != model.FeatureCount)
                throw new XaiException($"input shape {Format(shape)} has {product} values but the model takes {model.FeatureCount} features");
        }

        /// <summary>The shape as "C,H,W".</summary>
        public static string Format(ImmutableArray<int> shape) => string.Join(",", shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));

        /// <summary>
        /// Resolves the target against the model; for <see cref="OutputTarget.Predicted"/>, each row's arg-max of
        /// <paramref name="predictions"/> (rows x OutputCount; the first of equal scores).
        /// </summary>
        public static GradientTargetPlan Plan(OutputTarget target, IModel model, ReadOnlySpan<float> predictions, int rows)
        {
            if (!target.IsPredicted)
            {
                var targets = target.Resolve(model);
                return new GradientTargetPlan { Targets = targets, OutputNames = targets.Select(o => model.OutputNames[o]).ToImmutableArray() };
            }
            int k = model.OutputCount();
            var rowTargets = new int[rows];
            for (int r = 0; r < rows; r++)
            {
                var scores = predictions.Slice(r * k, k);
                int best = 0;
                for (int o = 1; o < k; o++) if (scores[o] > scores[best]) best = o;
                rowTargets[r] = best;
            }
            return new GradientTargetPlan { Targets = [-1], OutputNames = ["predicted"], RowTargets = ImmutableArray.Create(rowTargets) };
        }

        /// <summary>Target slots per row before predictions are known (for progress totals).</summary>
        public static int SlotCount(OutputTarget target, IModel model) => target.IsPredicted ? 1 : target.Resolve(model).Length;

        /// <summary>
        /// Runs rows x slots x steps gradient evaluations, numbered ((row * slots) + slot) * steps + step, and hands each
        /// one to <paramref name="consume"/> in that order.
        /// </summary>
        public static void Run(GradientBatches batches, IDifferentiableModel model, int rows, GradientTargetPlan plan, int steps,
            FillStep fill, ConsumeStep consume)
        {
            int m = model.FeatureCount, k = model.OutputCount(), slots = plan.Slots;
            long perRow = (long)slots * steps;
            batches.Run(rows * perRow,
                (first, count, inputs, indices) =>
                {
                    var (row, slot, step) = Split(first, perRow, steps);
                    for (int i = 0; i < count; i++)
                    {
                        fill(row, step, inputs.Slice(i * m, m));
                        indices[i] = plan.Output(row, slot);
                        Advance(ref row, ref slot, ref step, slots, steps);
                    }
                },
                (first, count, outputs, gradients) =>
                {
                    var (row, slot, step) = Split(first, perRow, steps);
                    for (int i = 0; i < count; i++)
                    {
                        consume(row, slot, step, outputs.Slice(i * k, k), gradients.Slice(i * m, m));
                        Advance(ref row, ref slot, ref step, slots, steps);
                    }
                });
        }

        private static (int Row, int Slot, int Step) Split(long evaluation, long perRow, int steps)
            => ((int)(evaluation / perRow), (int)(evaluation % perRow / steps), (int)(evaluation % steps));

        // The next evaluation's (row, slot, step) without divisions.
        private static void Advance(ref int row, ref int slot, ref int step, int slots, int steps)
        {
            if (++step < steps) return;
            step = 0;
            if (++slot < slots) return;
            slot = 0;
            row++;
        }

        /// <summary>
        /// The largest |sum of a row's values - its selected prediction| over rows and slots: the additivity figure of
        /// methods without a baseline (saliency, SmoothGrad), reported as measured.
        /// </summary>
        public static double LargestSumGap(double[] values, double[] selected, int rows, int features, int slots)
        {
            double gap = 0;
            for (int r = 0; r < rows; r++)
                for (int s = 0; s < slots; s++)
                {
                    double sum = 0;
                    for (int j = 0; j < features; j++) sum += values[(r * features + j) * slots + s];
                    gap = Math.Max(gap, Math.Abs(sum - selected[r * slots + s]));
                }
            return gap;
        }

        /// <summary>The attribution record every gradient method returns; method-specific fields are added with <c>with</c>.</summary>
        public static AttributionExplanation Explanation(string method, FeatureTable rows, GradientTargetPlan plan,
            GradientAttributionOptions options, double[] values, double[] baseValues, double[] selected, double additivityError,
            TimeSpan elapsed, long evaluations, ImmutableDictionary<string, string> details) => new()
        {
            Method = method,
            FeatureNames = rows.FeatureNames,
            OutputNames = plan.OutputNames,
            Targets = plan.Targets,
            RowTargets = plan.RowTargets,
            Data = rows,
            Values = ImmutableArray.Create(values),
            BaseValues = ImmutableArray.Create(baseValues),
            Predictions = ImmutableArray.Create(selected),
            InputShape = options.InputShape.IsDefault ? ImmutableArray<int>.Empty : options.InputShape,
            AdditivityError = additivityError,
            Elapsed = elapsed,
            ModelEvaluations = evaluations,
            Details = details,
        };

        /// <summary>The explained rows' model outputs, flat [row][slot], for the plan's outputs.</summary>
        public static double[] SelectPredictions(ReadOnlySpan<float> predictions, int rows, int outputs, GradientTargetPlan plan)
        {
            var result = new double[rows * plan.Slots];
            for (int r = 0; r < rows; r++)
                for (int s = 0; s < plan.Slots; s++) result[r * plan.Slots + s] = predictions[r * outputs + plan.Output(r, s)];
            return result;
        }
    }
}
