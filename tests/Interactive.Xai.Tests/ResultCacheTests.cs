using Interactive.Xai.Hosting;
using Interactive.Xai.Notebook;

namespace Interactive.Xai.Tests;

/// <summary>Whole magic-command results kept per session, keyed by options and input content.</summary>
public sealed class ResultCacheTests
{
    [Fact]
    public void A_repeated_command_shows_the_same_result_without_asking_the_model_again()
    {
        var counting = new CountingModel(Fixtures.Linear());
        var variables = Fixtures.Variables();
        variables["model"] = counting;
        var dispatcher = new MagicCommandDispatcher();

        var first = Fixtures.Run("#!xai-explain --model model --data data --rows 0-9 --method kernel-shap", variables, dispatcher);
        long rows = counting.Rows;
        var second = Fixtures.Run("#!xai-explain --model model --data data --rows 0-9 --method kernel-shap", variables, dispatcher);

        Assert.True(first.Result.Succeeded && second.Result.Succeeded);
        Assert.Same(first.Shown[0], second.Shown[0]);
        Assert.Equal(rows, counting.Rows);
        Assert.Equal(1, dispatcher.Results.Hits);
    }

    [Fact]
    public void Other_options_or_other_rows_run_again()
    {
        var dispatcher = new MagicCommandDispatcher();
        var first = Fixtures.Run("#!xai-explain --model model --data data --rows 0-9", null, dispatcher);
        var otherRows = Fixtures.Run("#!xai-explain --model model --data data --rows 0-8", null, dispatcher);
        var otherSeed = Fixtures.Run("#!xai-explain --model model --data data --rows 0-9 --seed 7", null, dispatcher);

        Assert.NotSame(first.Shown[0], otherRows.Shown[0]);
        Assert.NotSame(first.Shown[0], otherSeed.Shown[0]);
        Assert.Equal(0, dispatcher.Results.Hits);
    }

    [Fact]
    public void A_variable_that_now_holds_other_values_is_not_served_stale_but_an_equal_copy_hits()
    {
        var dispatcher = new MagicCommandDispatcher();
        var variables = Fixtures.Variables();
        var first = Fixtures.Run("#!xai-pdp --model model --data data --feature a", variables, dispatcher);

        variables["data"] = Fixtures.Table(60, 2);   // a new object with the same values
        var copy = Fixtures.Run("#!xai-pdp --model model --data data --feature a", variables, dispatcher);
        Assert.Same(first.Shown[0], copy.Shown[0]);

        var values = new float[60, 4];
        for (int r = 0; r < 60; r++) values[r, 0] = r / 60f;
        variables["data"] = values;                  // other values under the same name
        var changed = Fixtures.Run("#!xai-pdp --model model --data data --feature a", variables, dispatcher);
        Assert.NotSame(first.Shown[0], changed.Shown[0]);
        for (int r = 0; r < 60; r++) values[r, 0] = r / 6f;   // changed in place: ten times the range
        var changedInPlace = Fixtures.Run("#!xai-pdp --model model --data data --feature a", variables, dispatcher);
        Assert.NotSame(changed.Shown[0], changedInPlace.Shown[0]);
        Assert.True(((PartialDependenceExplanation)changedInPlace.Shown[0]).Grid[^1] > 5, "the grid spans the new values");
    }

    [Fact]
    public void A_DataFrame_changed_in_place_in_its_last_digits_or_its_text_is_a_new_key()
    {
        var dispatcher = new MagicCommandDispatcher();
        var x = new Microsoft.Data.Analysis.DoubleDataFrameColumn("x", [1.0, 2.0, 3.0, 4.0]);
        var y = new Microsoft.Data.Analysis.DoubleDataFrameColumn("y", [2.0, 1.0, 4.0, 3.0]);
        var when = new Microsoft.Data.Analysis.PrimitiveDataFrameColumn<DateTime>("when", [DateTime.UnixEpoch, DateTime.UnixEpoch, DateTime.UnixEpoch, DateTime.UnixEpoch]);
        var frame = new Microsoft.Data.Analysis.DataFrame(x, y);
        var variables = new Dictionary<string, object?> { ["frame"] = frame };
        var first = Fixtures.Run("#!xai-correlation --data frame", variables, dispatcher);
        Assert.True(first.Result.Succeeded, first.Result.Error);
        Assert.Same(first.Shown[0], Fixtures.Run("#!xai-correlation --data frame", variables, dispatcher).Shown[0]);

        y[0] = 2.0 + 1e-12;   // below float precision
        var changed = Fixtures.Run("#!xai-correlation --data frame", variables, dispatcher);
        Assert.NotSame(first.Shown[0], changed.Shown[0]);

        frame.Columns.Add(when);   // a column that is neither a number nor text can still be keyed (the command then says what is wrong)
        var withDates = Fixtures.Run("#!xai-correlation --data frame", variables, dispatcher);
        Assert.DoesNotContain("unexpectedly", withDates.Result.Error ?? "");
    }

    [Fact]
    public void An_edited_csv_file_is_read_again()
    {
        string path = Path.Combine(Path.GetTempPath(), $"xai-result-cache-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllText(path, "a,b,c,d\n0,0,0,0\n1,1,1,1\n");
            var dispatcher = new MagicCommandDispatcher();
            var first = Fixtures.Run($"#!xai-correlation --data {path}", null, dispatcher);
            var again = Fixtures.Run($"#!xai-correlation --data {path}", null, dispatcher);
            Assert.Same(first.Shown[0], again.Shown[0]);

            File.WriteAllText(path, "a,b,c,d\n0,1,0,0\n1,0,1,1\n2,3,4,5\n");
            var edited = Fixtures.Run($"#!xai-correlation --data {path}", null, dispatcher);
            Assert.NotSame(first.Shown[0], edited.Shown[0]);
            Assert.Equal(3, ((CorrelationMatrix)edited.Shown[0]).RowCount);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_torch_network_trained_between_cells_is_explained_again()
    {
        Interactive.Xai.Notebook.TorchViews.LoadNativeLibrary();
        var layer = TorchSharp.torch.nn.Linear(4, 1);
        using var model = Interactive.Xai.Torch.TorchModel.FromModule(layer, [4]);
        var variables = Fixtures.Variables();
        variables["net"] = model;
        var dispatcher = new MagicCommandDispatcher();
        var first = Fixtures.Run("#!xai-explain --model net --data data --rows 0-3 --method saliency", variables, dispatcher);
        var again = Fixtures.Run("#!xai-explain --model net --data data --rows 0-3 --method saliency", variables, dispatcher);
        Assert.Same(first.Shown[0], again.Shown[0]);

        using (TorchSharp.torch.no_grad()) layer.weight!.add_(1f);
        var trained = Fixtures.Run("#!xai-explain --model net --data data --rows 0-3 --method saliency", variables, dispatcher);
        Assert.NotSame(first.Shown[0], trained.Shown[0]);
        var before = (AttributionExplanation)first.Shown[0];
        var after = (AttributionExplanation)trained.Shown[0];
        Assert.Equal(before.Value(0, 0) + 1, after.Value(0, 0), 5);   // saliency of a linear layer is its weight
    }

    [Fact]
    public void A_torch_network_whose_batch_norm_statistics_changed_is_explained_again()
    {
        // Only a buffer changes (no parameter): eval-mode outputs shift by the running mean, so a cached result is stale.
        Interactive.Xai.Notebook.TorchViews.LoadNativeLibrary();
        var norm = TorchSharp.torch.nn.BatchNorm1d(4);
        var network = TorchSharp.torch.nn.Sequential(("norm", norm), ("fc", TorchSharp.torch.nn.Linear(4, 1)));
        using var model = Interactive.Xai.Torch.TorchModel.FromModule(network, [4]);
        var variables = Fixtures.Variables();
        variables["net"] = model;
        var dispatcher = new MagicCommandDispatcher();
        var first = Fixtures.Run("#!xai-explain --model net --data data --rows 0-3 --method exact-shap", variables, dispatcher);
        Assert.Same(first.Shown[0], Fixtures.Run("#!xai-explain --model net --data data --rows 0-3 --method exact-shap", variables, dispatcher).Shown[0]);

        using (TorchSharp.torch.no_grad()) norm.running_mean!.add_(1f);
        var changed = Fixtures.Run("#!xai-explain --model net --data data --rows 0-3 --method exact-shap", variables, dispatcher);
        Assert.NotSame(first.Shown[0], changed.Shown[0]);
        var explanation = (AttributionExplanation)changed.Shown[0];
        var rows = ((FeatureTable)variables["data"]!).SelectRows([0]);
        Assert.Equal(model.Predict(rows)[0] - explanation.BaseValues[0], Enumerable.Range(0, 4).Sum(f => explanation.Value(0, f)), 4);
    }

    [Theory]
    [InlineData("#!xai-lime --model model --data data --samples 200 --rows {0}")]
    [InlineData("#!xai-counterfactual --model model --data data --desired-range 0,1 --immutable c --generations 5 --row {0}")]
    public void New_rows_on_the_same_model_and_data_reuse_the_explainer_built_from_them(string line)
    {
        var dispatcher = new MagicCommandDispatcher();
        var variables = Fixtures.Variables();
        var first = Fixtures.Run(string.Format(System.Globalization.CultureInfo.InvariantCulture, line, 1), variables, dispatcher);
        long misses = dispatcher.Cache.Misses, hits = dispatcher.Cache.Hits;
        var second = Fixtures.Run(string.Format(System.Globalization.CultureInfo.InvariantCulture, line, 2), variables, dispatcher);

        Assert.True(first.Result.Succeeded && second.Result.Succeeded, first.Result.Error ?? second.Result.Error);
        Assert.Equal(misses, dispatcher.Cache.Misses);
        Assert.Equal(hits + 1, dispatcher.Cache.Hits);
        Assert.Equal(0, dispatcher.Results.Hits);   // other rows: a new result, from the cached explainer
    }

    [Fact]
    public void Errors_are_not_cached()
    {
        var dispatcher = new MagicCommandDispatcher();
        var variables = Fixtures.Variables();
        Fixtures.Run("#!xai-pdp --model model --data data --feature zz", variables, dispatcher);
        Assert.Equal(0, dispatcher.Results.Count);
    }

    [Fact]
    public void The_cache_drops_the_least_recently_used_past_its_entry_or_byte_bound()
    {
        var cache = new ResultCache(capacity: 2, maxBytes: 1000);
        cache.Add("a", ["A"], 100);
        cache.Add("b", ["B"], 100);
        Assert.True(cache.TryGet("a", out _));          // a is now the most recent
        cache.Add("c", ["C"], 100);                      // past 2 entries: b goes
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("a", out var a));
        Assert.Equal("A", Assert.Single(a));

        cache.Add("big", ["X"], 850);                    // 100 + 100 + 850 > 1000: the older ones go until it fits
        Assert.True(cache.Bytes <= 1000);
        Assert.True(cache.TryGet("big", out _));
        cache.Add("huge", ["Y"], 5000);                  // larger than the bound: not kept
        Assert.False(cache.TryGet("huge", out _));
        Assert.True(cache.TryGet("big", out _));
    }

    [Fact]
    public void Byte_estimates_count_the_arrays_a_result_holds()
    {
        var small = Fixtures.Run("#!xai-explain --model model --data data --rows 0-1").Shown[0];
        var large = Fixtures.Run("#!xai-explain --model model --data data --rows 0-59").Shown[0];
        long smallBytes = ResultCache.EstimateBytes(small), largeBytes = ResultCache.EstimateBytes(large);
        Assert.True(largeBytes > smallBytes + 58 * 4 * 8, $"{smallBytes} vs {largeBytes}");   // 58 more rows of 4 doubles at least
        Assert.Equal(32 + 4 * 100, ResultCache.EstimateBytes(new float[100]));
    }

    [Fact]
    public void Content_keys_differ_for_different_values_names_or_shapes_and_agree_for_equal_ones()
    {
        float[] v = [1, 2, 3, 4];
        Assert.Equal(ResultCache.ContentKey(v, ["a"], 2, 2), ResultCache.ContentKey([1, 2, 3, 4], ["a"], 2, 2));
        Assert.NotEqual(ResultCache.ContentKey(v, ["a"], 2, 2), ResultCache.ContentKey(v, ["b"], 2, 2));
        Assert.NotEqual(ResultCache.ContentKey(v, null, 2, 2), ResultCache.ContentKey(v, null, 1, 4));
        Assert.NotEqual(ResultCache.ContentKey(v, null, 2, 2), ResultCache.ContentKey([1, 2, 3, 5], null, 2, 2));
    }
}
