using System.Collections.Immutable;
using Interactive.Xai.Hosting;
using Interactive.Xai.Numerics;

namespace Interactive.Xai.Cluster;

/// <summary>
/// The methods beyond the Shapley ones, split the same way whatever the number of workers or partitions, so that the
/// gathered result equals the in-process result bit for bit:
/// <list type="bullet">
/// <item>permutation-importance: the client draws each shuffle over the whole table (the in-process permutations)
/// and sends each partition the shuffled values of its rows; workers return exact sums (<see cref="ExactSum"/>) of the
/// metric's per-row terms, which the client merges (exact, so order-free) and scores as the in-process run does
/// (R²'s total sum of squares comes from the labels alone).</item>
/// <item>pdp, ice (and two-feature pdp): the grid is resolved once from the whole table; workers return exact sums
/// per grid point and the ICE curves of the kept rows in their range, gathered in row order.</item>
/// <item>ale: edges resolved once from the whole table; workers return rows per bin and exact local-effect sums.</item>
/// <item>lime: per row; each row's samples come from the stream of (seed, row index, run) in process too, and every
/// worker builds the explainer from the same reference rows.</item>
/// <item>ig: per row, with one baseline row resolved by the client and fixed targets.</item>
/// </list>
/// </summary>
internal static class ClusterMethods
{
    public const string PermutationImportance = "permutation-importance";

    /// <summary>Methods whose results are per-row attributions concatenated in row order.</summary>
    public static bool IsAttribution(string method) => method is "kernel-shap" or "exact-shap" or "ig";

    // ---- client: checks and resolution, with the in-process run's one-line errors ----

    /// <summary>Checks the request for a non-Shapley method and fills in what the workers share.</summary>
    public static JobSpec Prepare(JobSpec job, IModel model, FeatureTable data, ExplanationRequest request, ExplanationInputs inputs)
    {
        var reference = inputs.Reference ?? data;
        switch (request.Method)
        {
            case PermutationImportance:
            {
                if (inputs.Labels is null) throw new XaiException("permutation-importance needs labels (a label column)");
                var target = OutputTarget.Parse(request.Target, model.OutputNames);
                var metric = request.Metric is null
                    ? (model.OutputCount() > 1 ? PermutationMetric.Accuracy : PermutationMetric.MeanSquaredError)
                    : ExplanationRunner.ParseMetric(request.Metric);
                if (target.Index is null && metric is not (PermutationMetric.Accuracy or PermutationMetric.LogLoss))
                    throw new XaiException($"target 'all' does not apply to the {ExplanationJson.MetricName(metric)} metric; name one output");
                job = job with { Metric = ExplanationJson.MetricName(metric), Repeats = request.Repeats, Output = target.Index ?? 0 };
                Permutation(job, model).Check(data, inputs.Labels);
                return job;
            }
            case "pdp":
            case "ice":
            {
                string feature = ExplanationRunner.RequireFeature(request, data);
                job = job with { MaxIceCurves = request.MaxIceCurves };
                var explainer = Pdp(job, model, request.Grid, request.GridPoints, request.MaxIceCurves);
                if (!data.FeatureNames.Contains(feature) && request.Method == "pdp" && feature.Split(',') is [var first, var second])
                {
                    int f1 = data.IndexOf(first.Trim()), f2 = data.IndexOf(second.Trim());
                    if (f1 == f2) throw new XaiException("two-feature partial dependence needs two different features");
                    if (data.RowCount == 0) throw new XaiException("the data has no rows");
                    return job with { Feature = f1, SecondFeature = f2, Grid = explainer.GridFor(data, f1), SecondGrid = explainer.GridFor(data, f2) };
                }
                int f = data.IndexOf(feature);
                if (data.RowCount == 0) throw new XaiException("the data has no rows");
                return job with { Feature = f, Grid = explainer.GridFor(data, f) };
            }
            case "ale":
            {
                string feature = ExplanationRunner.RequireFeature(request, data);
                var explainer = new AccumulatedLocalEffectsExplainer(model, new AccumulatedLocalEffectsOptions { Edges = request.Edges, Bins = request.Bins, Seed = request.Seed });
                int f = data.IndexOf(feature);
                if (data.RowCount == 0) throw new XaiException("the data has no rows");
                var edges = explainer.EdgesFor(data, f);
                AccumulatedLocalEffectsExplainer.CheckRowsWithin(data, f, edges);
                return job with { Feature = f, Edges = edges };
            }
            case "lime":
            {
                job = job with
                {
                    LimeFeatures = request.LimeFeatures,
                    LimeDiscretize = request.LimeDiscretize,
                    ReferenceValues = reference.Values.ToArray(),
                    ReferenceRows = reference.RowCount,
                };
                _ = new LimeExplainer(model, reference, LimeOptions(job));
                if (reference.ColumnCount != data.ColumnCount || !reference.FeatureNames.SequenceEqual(data.FeatureNames))
                    throw new XaiException("--cluster runs lime with reference rows whose columns are the data's");
                return job;
            }
            case "ig":
            {
                if (model is not IDifferentiableModel)
                    throw new XaiException($"ig needs a differentiable model (.pt: a TorchScript file or TorchSharp module); {model.GetType().Name} only gives outputs, not gradients");
                if (OutputTarget.Parse(request.Target, model.OutputNames).IsPredicted)
                    throw new XaiException("--cluster runs ig for named outputs or all; run target 'predicted' without --cluster");
                (string kind, float[] baseline) = request.Baseline switch
                {
                    "zeros" => ("zeros", Array.Empty<float>()),
                    "mean" => ("mean", MeanBaseline(model, inputs.Background ?? reference)),
                    _ => ("rows", OneBaselineRow(model, inputs, request)),
                };
                job = job with { Steps = request.Steps, Rule = request.Rule, BaselineKind = kind, BaselineValues = baseline, RequestInputShape = request.InputShape?.ToArray() };
                _ = IntegratedGradients(job, model);
                return job;
            }
            default:
                throw new InvalidOperationException(request.Method);
        }
    }

    private static float[] MeanBaseline(IModel model, FeatureTable table)
    {
        model.EnsureAccepts(table, "the baseline reference");
        return IntegratedGradientsBaseline.MeanOf(table).Rows!.Values.ToArray();
    }

    private static float[] OneBaselineRow(IModel model, ExplanationInputs inputs, ExplanationRequest request)
    {
        var rows = inputs.BaselineRows
            ?? throw new XaiException($"baseline '{request.Baseline}': use zeros, mean or a CSV file of baseline rows");
        model.EnsureAccepts(rows, "the baseline");
        if (rows.RowCount != 1) throw new XaiException($"--cluster runs ig with one baseline row, got {rows.RowCount}; run per-row baselines without --cluster");
        return rows.Values.ToArray();
    }

    // ---- both sides: the explainers, built from the job alone so client and workers agree ----

    public static PermutationImportanceExplainer Permutation(JobSpec job, IModel model) => new(model, new PermutationImportanceOptions
    {
        Metric = ExplanationRunner.ParseMetric(job.Metric ?? "mse"),
        Repeats = job.Repeats,
        Output = job.Output,
        Seed = job.Seed,
    });

    private static PartialDependenceExplainer Pdp(JobSpec job, IModel model, IReadOnlyList<double>? grid, int gridPoints, int? maxIceCurves)
        => new(model, new PartialDependenceOptions { Grid = grid, GridPoints = gridPoints, Seed = job.Seed, MaxIceCurves = maxIceCurves });

    // The client's and workers' pdp explainer once the grid is resolved (the grid is passed to each call).
    private static PartialDependenceExplainer Pdp(JobSpec job, IModel model) => Pdp(job, model, null, 20, job.MaxIceCurves);

    public static LimeOptions LimeOptions(JobSpec job) => new()
    {
        Samples = job.Samples ?? 5000,
        FeatureCount = job.LimeFeatures ?? 10,
        Discretize = job.LimeDiscretize,
        Seed = job.Seed,
    };

    public static IntegratedGradientsExplainer IntegratedGradients(JobSpec job, IModel model)
    {
        int m = job.FeatureNames.Length;
        var baseline = job.BaselineKind switch
        {
            "zeros" => IntegratedGradientsBaseline.Zeros,
            // The mean of one row of means is that row, so the baseline (and its description) is the client's.
            "mean" => IntegratedGradientsBaseline.MeanOf(FeatureTable.FromRowMajor(job.BaselineValues, 1, m, job.FeatureNames)),
            _ => IntegratedGradientsBaseline.FromRows(FeatureTable.FromRowMajor(job.BaselineValues, 1, m, job.FeatureNames)),
        };
        var shape = job.RequestInputShape ?? (IReadOnlyList<int>)ModelFiles.InputShapeOf(model);
        return new IntegratedGradientsExplainer(model, new IntegratedGradientsOptions
        {
            Steps = job.Steps,
            Rule = job.Rule is null ? IntegrationRule.GaussLegendre : IntegratedGradientsExplainer.ParseRule(job.Rule),
            Baseline = baseline,
            InputShape = shape.Count <= 1 ? [] : [.. shape],
            Seed = job.Seed,
        });
    }

    // ---- client: what each partition gets beyond its rows ----

    /// <summary>A function that adds a partition's method-specific inputs to its work.</summary>
    public static Func<PartitionWork, PartitionWork> Extras(JobSpec job, IModel? model, FeatureTable data, ExplanationInputs? inputs)
    {
        switch (job.Method)
        {
            case PermutationImportance:
            {
                var labels = inputs?.Labels ?? throw new XaiException("permutation-importance needs labels (a label column)");
                var explainer = Permutation(job, RequireModel(model));
                var (_, columns) = explainer.Groups(data);
                int repeats = job.Repeats, jobs = columns.Length * repeats, n = data.RowCount;
                // The whole table's shuffles, drawn once (the in-process run's permutations).
                var permutations = new Lazy<int[][]>(() => Enumerable.Range(0, jobs).Select(j => explainer.Permutation(j, n)).ToArray());
                return work =>
                {
                    int first = work.FirstRow, count = work.RowCount, m = data.ColumnCount;
                    var shuffled = new List<float>();
                    var values = data.Values;
                    for (int j = 0; j < jobs; j++)
                    {
                        var permutation = permutations.Value[j];
                        var group = columns[j / repeats];
                        for (int r = first; r < first + count; r++)
                            foreach (var c in group) shuffled.Add(values[permutation[r] * m + c]);
                    }
                    var partLabels = new float[count];
                    for (int r = 0; r < count; r++) partLabels[r] = labels[first + r];
                    return work with { Labels = partLabels, ShuffledValues = [.. shuffled] };
                };
            }
            case "pdp":
            case "ice":
            {
                if (job.SecondFeature >= 0) return work => work;
                var iceRows = Pdp(job, RequireModel(model)).IceRows(data.RowCount);
                return work => work with
                {
                    IceRows = iceRows.Where(r => r >= work.FirstRow && r < work.FirstRow + work.RowCount).Select(r => r - work.FirstRow).ToArray(),
                };
            }
            default:
                return work => work;
        }
    }

    private static IModel RequireModel(IModel? model) => model ?? throw new ArgumentNullException(nameof(model), "this method's job needs the model on the client");

    // ---- worker: one partition ----

    /// <summary>Runs one partition of a non-Shapley job on a worker.</summary>
    public static PartitionResult Explain(PartitionWork work, IModel model, FeatureTable rows, Func<LimeExplainer> lime, CancellationToken cancellationToken)
    {
        var job = work.Job;
        var targets = OutputTarget.Parse(job.Target, model.OutputNames);
        switch (job.Method)
        {
            case PermutationImportance:
            {
                var sums = Permutation(job, model).PartialSums(rows, work.Labels, work.FirstRow, work.ShuffledValues, null, cancellationToken);
                var explainer = Permutation(job, model);
                return new PartitionResult
                {
                    Index = work.Index,
                    Sums = sums.Select(s => s.Partials()).ToArray(),
                    ModelEvaluations = explainer.EvaluationsFor(rows.RowCount, explainer.Groups(rows).Names.Length),
                };
            }
            case "pdp":
            case "ice":
            {
                var explainer = Pdp(job, model);
                var resolved = targets.Resolve(model);
                var sums = job.SecondFeature >= 0
                    ? explainer.PartialSums2D(rows, job.Feature, job.SecondFeature, job.Grid, job.SecondGrid, resolved, null, cancellationToken)
                    : explainer.PartialSums(rows, job.Feature, job.Grid, resolved, work.IceRows, null, cancellationToken);
                return new PartitionResult
                {
                    Index = work.Index,
                    Sums = sums.Cells.Select(s => s.Partials()).ToArray(),
                    Arrays = new() { ["ice"] = sums.IceValues },
                    ModelEvaluations = sums.ModelEvaluations,
                };
            }
            case "ale":
            {
                var explainer = new AccumulatedLocalEffectsExplainer(model, new AccumulatedLocalEffectsOptions { Seed = job.Seed });
                var sums = explainer.PartialSums(rows, job.Feature, job.Edges, targets.Resolve(model), null, cancellationToken);
                return new PartitionResult
                {
                    Index = work.Index,
                    Sums = sums.Sums.Select(s => s.Partials()).ToArray(),
                    Counts = sums.Counts,
                    ModelEvaluations = sums.ModelEvaluations,
                };
            }
            case "lime":
            {
                var explainer = lime();
                var e = explainer.ExplainFrom(rows, work.FirstRow, targets, null, cancellationToken);
                return new PartitionResult
                {
                    Index = work.Index,
                    Values = [.. e.Values],
                    Predictions = [.. e.Predictions],
                    OutputNames = [.. e.OutputNames],
                    Targets = [.. e.Targets],
                    Details = new Dictionary<string, string>(e.Details, StringComparer.Ordinal),
                    ModelEvaluations = e.ModelEvaluations,
                    Arrays = new()
                    {
                        ["coefficients"] = [.. e.Coefficients],
                        ["intercepts"] = [.. e.Intercepts],
                        ["local"] = [.. e.LocalPredictions],
                        ["fidelity"] = [.. e.Fidelity],
                        ["jaccard"] = [.. e.StabilityJaccard],
                        ["spread"] = [.. e.ValueStandardDeviations],
                        ["kernelWidth"] = [e.KernelWidth],
                    },
                    Selected = e.SelectedFeatures.Select(s => s.ToArray()).ToArray(),
                    Descriptions = [.. e.FeatureDescriptions],
                };
            }
            case "ig":
            {
                var e = IntegratedGradients(job, model).Explain(rows, targets, null, cancellationToken);
                return Attribution(work.Index, e) with { Arrays = new() { ["deltas"] = [.. e.ConvergenceDeltas] } };
            }
            default:
                throw new XaiException($"this worker does not run {job.Method}");
        }
    }

    /// <summary>A per-row attribution partition's result.</summary>
    public static PartitionResult Attribution(int index, AttributionExplanation explanation) => new()
    {
        Index = index,
        Values = [.. explanation.Values],
        StandardErrors = [.. explanation.StandardErrors],
        Predictions = [.. explanation.Predictions],
        BaseValues = [.. explanation.BaseValues],
        AdditivityError = explanation.AdditivityError,
        ModelEvaluations = explanation.ModelEvaluations,
        OutputNames = [.. explanation.OutputNames],
        Targets = [.. explanation.Targets],
        Details = new Dictionary<string, string>(explanation.Details, StringComparer.Ordinal),
        Seconds = explanation.Elapsed.TotalSeconds,
        InputShape = [.. explanation.InputShape],
    };

    // ---- client: gathering ----

    private static ExactSum[] Merge(PartitionResult[] results, int count)
    {
        var merged = new ExactSum[count];
        for (int i = 0; i < count; i++) merged[i] = new ExactSum();
        foreach (var result in results)
        {
            if (result.Sums.Length != count) throw new XaiException($"partition {result.Index} returned {result.Sums.Length} sums, expected {count}");
            for (int i = 0; i < count; i++) merged[i].Add(result.Sums[i]);
        }
        return merged;
    }

    private static ImmutableArray<double> Concat(PartitionResult[] results, Func<PartitionResult, double[]> part)
    {
        var builder = ImmutableArray.CreateBuilder<double>(results.Sum(r => part(r).Length));
        foreach (var result in results) builder.AddRange(part(result));
        return builder.MoveToImmutable();
    }

    private static double[] Named(PartitionResult result, string name) => result.Arrays.TryGetValue(name, out var values) ? values : [];

    /// <summary>The whole table's explanation from the partitions' results (in partition order).</summary>
    public static Explanation Gather(JobSpec job, IModel? model, FeatureTable data, ExplanationInputs? inputs, PartitionResult[] results, TimeSpan elapsed)
    {
        long evaluations = results.Sum(r => r.ModelEvaluations);
        switch (job.Method)
        {
            case PermutationImportance:
            {
                var explainer = Permutation(job, RequireModel(model));
                int count = 1 + explainer.Groups(data).Names.Length * job.Repeats;
                return explainer.Combine(data, inputs!.Labels!, Merge(results, count), elapsed, evaluations);
            }
            case "pdp":
            case "ice":
            {
                var m = RequireModel(model);
                var explainer = Pdp(job, m);
                var targets = OutputTarget.Parse(job.Target, m.OutputNames).Resolve(m);
                if (job.SecondFeature >= 0)
                    return explainer.Combine2D(data, job.Feature, job.SecondFeature, job.Grid, job.SecondGrid, targets,
                        Merge(results, job.Grid.Length * job.SecondGrid.Length * targets.Length), elapsed, evaluations);
                var ice = Concat(results, r => Named(r, "ice")).ToArray();
                return explainer.Combine(data, job.Feature, job.Grid, targets, explainer.IceRows(data.RowCount),
                    Merge(results, job.Grid.Length * targets.Length), ice, elapsed, evaluations) with { Method = job.Method };
            }
            case "ale":
            {
                var m = RequireModel(model);
                var targets = OutputTarget.Parse(job.Target, m.OutputNames).Resolve(m);
                int bins = job.Edges.Length - 1;
                var counts = new long[bins];
                foreach (var result in results)
                    for (int b = 0; b < bins; b++) counts[b] += result.Counts[b];
                return new AccumulatedLocalEffectsExplainer(m, new AccumulatedLocalEffectsOptions { Seed = job.Seed })
                    .Combine(data, job.Feature, job.Edges, targets, counts, Merge(results, bins * targets.Length), elapsed, evaluations);
            }
            case "lime":
            {
                var first = results.Length > 0 ? results[0] : new PartitionResult();
                var options = LimeOptions(job);
                var selected = results.SelectMany(r => r.Selected).Select(s => s.ToImmutableArray()).ToImmutableArray();
                return new LimeExplanation
                {
                    Method = LimeExplainer.MethodName,
                    FeatureNames = data.FeatureNames,
                    OutputNames = [.. first.OutputNames],
                    Targets = [.. first.Targets],
                    Data = data,
                    Values = Concat(results, r => r.Values),
                    Coefficients = Concat(results, r => Named(r, "coefficients")),
                    Intercepts = Concat(results, r => Named(r, "intercepts")),
                    LocalPredictions = Concat(results, r => Named(r, "local")),
                    Predictions = Concat(results, r => r.Predictions),
                    Fidelity = Concat(results, r => Named(r, "fidelity")),
                    SelectedFeatures = selected,
                    FeatureDescriptions = results.SelectMany(r => r.Descriptions).ToImmutableArray(),
                    KernelWidth = Named(first, "kernelWidth") is [var width] ? width : double.NaN,
                    Samples = options.Samples,
                    Discretized = options.Discretize,
                    StabilityRuns = options.StabilityRuns,
                    StabilityJaccard = Concat(results, r => Named(r, "jaccard")),
                    ValueStandardDeviations = Concat(results, r => Named(r, "spread")),
                    Elapsed = elapsed,
                    ModelEvaluations = evaluations,
                    Details = first.Details.ToImmutableDictionary(),
                };
            }
            default:
                throw new InvalidOperationException(job.Method);
        }
    }

    /// <summary>A short description of the methods a cluster runs, for errors.</summary>
    public static string Describe(IReadOnlyList<string> methods)
        => string.Join(", ", methods.Take(methods.Count - 1)) + " and " + methods[^1];
}
