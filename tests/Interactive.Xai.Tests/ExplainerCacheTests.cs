using Interactive.Xai.Hosting;
using Interactive.Xai.Notebook;

namespace Interactive.Xai.Tests;

public class ExplainerCacheTests
{
    private static readonly IModel Model = Fixtures.Linear();
    private static readonly WeightedBackground Background = WeightedBackground.FromTable(Fixtures.Table(5));

    private static object Build(ExplainerCache cache, int seed, ref int builds)
    {
        Interlocked.Increment(ref builds);
        return cache.GetOrCreate(Model, Background, new ExactShapleyOptions { Seed = seed }, () => new object());
    }

    [Fact]
    public void Past_its_capacity_the_least_recently_used_entry_is_dropped()
    {
        var cache = new ExplainerCache(capacity: 2);
        int builds = 0;
        object Get(int seed) => cache.GetOrCreate(Model, Background, new ExactShapleyOptions { Seed = seed }, () => { builds++; return new object(); });

        var one = Get(1);
        var two = Get(2);
        Assert.Same(one, Get(1));          // 1 is now the most recently used
        Get(3);                            // evicts 2
        Assert.Equal(2, cache.Count);
        Assert.Same(one, Get(1));
        Assert.NotSame(two, Get(2));       // rebuilt
        Assert.Equal(4, builds);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Many_threads_asking_for_one_key_get_one_build()
    {
        var cache = new ExplainerCache();
        int builds = 0;
        using var start = new ManualResetEventSlim();
        var results = new object[16];
        var threads = Enumerable.Range(0, 16).Select(i => new Thread(() =>
        {
            start.Wait();
            results[i] = cache.GetOrCreate(Model, Background, new ExactShapleyOptions(), () =>
            {
                Interlocked.Increment(ref builds);
                Thread.Sleep(50);
                return new object();
            });
        })).ToList();
        threads.ForEach(t => t.Start());
        start.Set();
        threads.ForEach(t => t.Join());

        Assert.Equal(1, builds);
        Assert.All(results, r => Assert.Same(results[0], r));
        Assert.Equal(15, cache.Hits);
        Assert.Equal(1, cache.Misses);
    }

    [Fact]
    public void A_failed_build_is_not_cached()
    {
        var cache = new ExplainerCache();
        Assert.Throws<XaiException>(() => cache.GetOrCreate<object>(Model, Background, new ExactShapleyOptions(), () => throw new XaiException("no")));
        Assert.Equal(0, cache.Count);
        Assert.NotNull(cache.GetOrCreate(Model, Background, new ExactShapleyOptions(), () => new object()));
    }

    [Fact]
    public void Different_options_models_or_backgrounds_are_different_entries()
    {
        var cache = new ExplainerCache();
        var a = cache.GetOrCreate(Model, Background, new ExactShapleyOptions(), () => new object());
        Assert.NotSame(a, cache.GetOrCreate(Model, Background, new ExactShapleyOptions { BatchSize = 7 }, () => new object()));
        Assert.NotSame(a, cache.GetOrCreate(Fixtures.Linear(), Background, new ExactShapleyOptions(), () => new object()));
        Assert.NotSame(a, cache.GetOrCreate(Model, WeightedBackground.FromTable(Fixtures.Table(5)), new ExactShapleyOptions(), () => new object()));
        Assert.Same(a, cache.GetOrCreate(Model, Background, new ExactShapleyOptions(), () => new object()));
    }

    [Fact]
    public void Tables_with_the_same_content_intern_to_one_object()
    {
        var cache = new ExplainerCache();
        var first = cache.Intern(Fixtures.Table(30, 4));
        Assert.Same(first, cache.Intern(Fixtures.Table(30, 4)));
        Assert.NotSame(first, cache.Intern(Fixtures.Table(30, 5)));
        Assert.NotSame(first, cache.Intern(Fixtures.Table(30, 4, ["p", "q", "r", "s"])));
    }

    [Theory]
    [InlineData("exact-shap")]
    [InlineData("kernel-shap")]
    public void A_second_explain_of_other_rows_reuses_the_background_predictions(string method)
    {
        var data = Fixtures.Table(200, 11);
        var warm = new CountingModel(Fixtures.Linear());
        var dispatcher = new MagicCommandDispatcher();
        var variables = new Dictionary<string, object?> { ["model"] = warm, ["data"] = data };
        var first = Fixtures.Run($"#!xai-explain --model model --data data --rows 0-99 --method {method}", variables, dispatcher);
        long afterFirst = warm.Rows;
        var second = Fixtures.Run($"#!xai-explain --model model --data data --rows 100-199 --method {method}", variables, dispatcher);
        long secondRows = warm.Rows - afterFirst;

        var cold = new CountingModel(Fixtures.Linear());
        var coldRun = Fixtures.Run($"#!xai-explain --model model --data data --rows 100-199 --method {method}",
            new Dictionary<string, object?> { ["model"] = cold, ["data"] = data }, new MagicCommandDispatcher());

        Assert.True(first.Result.Succeeded && second.Result.Succeeded && coldRun.Result.Succeeded);
        // the cold run also predicts the 10 k-means background rows; the warm one reuses them
        Assert.Equal(cold.Rows - 10, secondRows);
        Assert.Equal(((AttributionExplanation)coldRun.Shown[0]).Values.ToArray(), ((AttributionExplanation)second.Shown[0]).Values.ToArray());
        Assert.True(dispatcher.Cache.Hits >= 2);
    }

    [Fact]
    public void A_second_tree_shap_explain_reuses_the_node_covers()
    {
        var dispatcher = new MagicCommandDispatcher();
        string path = Fixtures.ModelPath("diabetes_fasttree.zip");
        var variables = new Dictionary<string, object?> { ["data"] = Datasets.Diabetes() };
        var first = Fixtures.Run($"#!xai-explain --model {path} --data data --rows 0-9 --method tree-shap", variables, dispatcher);
        long misses = dispatcher.Cache.Misses, hits = dispatcher.Cache.Hits;
        var second = Fixtures.Run($"#!xai-explain --model {path} --data data --rows 10-19 --method tree-shap", variables, dispatcher);

        Assert.True(first.Result.Succeeded && second.Result.Succeeded, first.Result.Error ?? second.Result.Error);
        Assert.Equal(misses, dispatcher.Cache.Misses);
        Assert.Equal(hits + 1, dispatcher.Cache.Hits);
        Assert.True(((AttributionExplanation)second.Shown[0]).AdditivityError < 1e-3);
    }

    [Fact]
    public void A_DataFrame_converted_again_in_a_later_cell_still_hits_the_cache()
    {
        var table = Fixtures.Table(100, 12);
        var model = new CountingModel(Fixtures.Linear());
        var dispatcher = new MagicCommandDispatcher();
        var variables = new Dictionary<string, object?> { ["model"] = model, ["frame"] = table.ToDataFrame() };
        Fixtures.Run("#!xai-explain --model model --data frame --rows 0-9 --method exact-shap", variables, dispatcher);
        long hits = dispatcher.Cache.Hits;
        variables["frame"] = table.ToDataFrame();   // a new DataFrame object with the same content
        Fixtures.Run("#!xai-explain --model model --data frame --rows 10-19 --method exact-shap", variables, dispatcher);

        Assert.True(dispatcher.Cache.Hits >= hits + 2, $"hits {hits} -> {dispatcher.Cache.Hits}");
    }

    [Theory]
    [InlineData("exact-shap")]
    [InlineData("kernel-shap")]
    public void A_torch_network_trained_in_place_gets_a_new_explainer_with_fresh_background_predictions(string method)
    {
        TorchViews.LoadNativeLibrary();
        var layer = TorchSharp.torch.nn.Linear(4, 1);
        using (TorchSharp.torch.no_grad())
        {
            layer.weight!.copy_(TorchSharp.torch.tensor(new[] { 1f, -2f, 0.5f, 3f }).reshape(1, 4));
            layer.bias!.fill_(0.25f);
        }
        using var model = Interactive.Xai.Torch.TorchModel.FromModule(layer, [4], new Interactive.Xai.Torch.TorchModelOptions { DisposeModule = true });
        var backgroundTable = Fixtures.Table(40, 3);
        var background = WeightedBackground.FromTable(backgroundTable);
        var rows = Fixtures.Table(5, 4);
        var cache = new ExplainerCache();
        AttributionExplanation Explain() => method == "exact-shap"
            ? cache.GetOrCreate(model, background, new ExactShapleyOptions(), () => new ExactShapleyExplainer(model, background, new ExactShapleyOptions())).Explain(rows)
            : cache.GetOrCreate(model, background, new KernelShapOptions(), () => new KernelShapExplainer(model, background, new KernelShapOptions())).Explain(rows);

        var before = Explain();
        Assert.Equal(MeanPrediction(model, backgroundTable), before.BaseValue(), 4);
        Assert.Equal(1, cache.Misses);
        Explain();
        Assert.Equal(1, cache.Hits);   // unchanged weights: the explainer is reused

        // "training" in place between cells: the same module object, new weights
        using (TorchSharp.torch.no_grad())
        {
            layer.weight!.mul_(-3f);
            layer.bias!.add_(2f);
        }
        var after = Explain();

        double newBase = MeanPrediction(model, backgroundTable);
        Assert.NotEqual(before.BaseValue(), newBase, 3);
        Assert.Equal(newBase, after.BaseValue(), 4);
        var outputs = Predict(model, rows);
        for (int r = 0; r < rows.RowCount; r++)
        {
            double sum = Enumerable.Range(0, 4).Sum(f => after.Value(r, f));
            Assert.Equal(outputs[r] - newBase, sum, 4);
        }
        Assert.Equal(2, cache.Misses);
        Assert.Equal(1, cache.Count);   // the stale explainer was replaced, not kept beside the new one
    }

    private static float[] Predict(IModel model, FeatureTable table)
    {
        var outputs = new float[table.RowCount];
        model.Predict(table.Values, table.RowCount, outputs);
        return outputs;
    }

    private static double MeanPrediction(IModel model, FeatureTable table) => Predict(model, table).Average(v => (double)v);

    [Fact]
    public void Past_its_byte_bound_the_least_recently_used_entries_are_dropped_and_an_oversized_one_is_not_kept()
    {
        // each entry is a float[1000] (32 + 4000 bytes) plus its background predictions: 5 rows x 1 output x 8 bytes
        const long EntryBytes = 32 + 4000 + 5 * 8;
        var cache = new ExplainerCache(capacity: 100, maxBytes: 2 * EntryBytes + 10);
        int builds = 0;
        float[] Get(int seed, int length = 1000) => cache.GetOrCreate(Model, Background, new ExactShapleyOptions { Seed = seed }, () => { builds++; return new float[length]; });

        var one = Get(1);
        Get(2);
        Assert.Equal(2 * EntryBytes, cache.Bytes);
        Assert.Same(one, Get(1));   // 1 is now the most recently used
        Get(3);                     // evicts 2
        Assert.Equal(2, cache.Count);
        Assert.Equal(2 * EntryBytes, cache.Bytes);
        Assert.Same(one, Get(1));
        Assert.Equal(3, builds);

        var huge = Get(4, 10_000);  // larger than the whole bound: returned, not kept, nothing else dropped
        Assert.NotSame(huge, Get(4, 10_000));
        Assert.Equal(2, cache.Count);
        Assert.Same(one, Get(1));
        cache.Clear();
        Assert.Equal(0, cache.Bytes);
    }

    [Theory]
    [InlineData("exact-shap")]
    [InlineData("kernel-shap")]
    public void A_notebook_explain_after_training_in_place_matches_a_fresh_session(string method)
    {
        TorchViews.LoadNativeLibrary();
        var layer = TorchSharp.torch.nn.Linear(4, 1);
        using var model = Interactive.Xai.Torch.TorchModel.FromModule(layer, [4], new Interactive.Xai.Torch.TorchModelOptions { DisposeModule = true });
        var variables = new Dictionary<string, object?> { ["net"] = model, ["data"] = Fixtures.Table(60, 2) };
        var dispatcher = new MagicCommandDispatcher();
        string line = $"#!xai-explain --model net --data data --rows 0-4 --method {method}";
        var before = (AttributionExplanation)Fixtures.Run(line, variables, dispatcher).Shown[0];

        using (TorchSharp.torch.no_grad()) layer.bias!.add_(5f);
        var after = (AttributionExplanation)Fixtures.Run(line, variables, dispatcher).Shown[0];
        var fresh = (AttributionExplanation)Fixtures.Run(line, variables, new MagicCommandDispatcher()).Shown[0];

        Assert.Equal(before.BaseValue() + 5, after.BaseValue(), 4);   // a bias shifts every background prediction
        Assert.Equal(fresh.BaseValue(), after.BaseValue(), 6);
        Assert.Equal(fresh.Values.ToArray(), after.Values.ToArray());
    }
}
