using Interactive.Xai.Notebook;

namespace Interactive.Xai.Tests;

public sealed class LiveViewTests : IDisposable
{
    private readonly Func<object, Action<object>>? _previousHost = LiveViews.Host;

    public void Dispose() => LiveViews.Host = _previousHost;

    private sealed class Changes : IDisposable
    {
        public Action? Notify { get; private set; }
        public bool Disposed { get; private set; }
        public IDisposable Subscribe(Action notify) { Notify = notify; return this; }
        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void A_live_view_is_shown_once_and_then_updated_in_place_throttled_with_the_last_change_kept()
    {
        var shown = new List<object>();
        var updates = new List<object>();
        LiveViews.Host = value => { shown.Add(value); return updates.Add; };
        var changes = new Changes();
        var value = new object();

        var view = LiveViews.Show(value, changes.Subscribe, TimeSpan.FromSeconds(10));
        for (int i = 0; i < 100; i++) changes.Notify!();
        Assert.Single(shown);
        Assert.Single(updates);            // the first change shows at once, the other 99 wait for the interval
        view.Dispose();                    // stopping shows the pending last change

        Assert.Equal(2, updates.Count);
        Assert.All(updates, u => Assert.Same(value, u));
        Assert.True(changes.Disposed);
        changes.Notify!();
        Assert.Equal(2, updates.Count);    // nothing after disposal
    }

    [Fact]
    public void Showing_a_live_view_without_a_notebook_says_how_to_load_one()
    {
        LiveViews.Host = null;
        var error = Assert.Throws<InvalidOperationException>(() => LiveViews.Show(new object(), _ => new Changes()));
        Assert.Contains("#r \"nuget: Interactive.Xai\"", error.Message);
    }
}

public sealed class KernelLiveViewTests(KernelFixture fixture) : IClassFixture<KernelFixture>
{
    [Fact]
    public async Task In_the_kernel_a_live_view_updates_its_displayed_output_in_place()
    {
        var result = await fixture.Session.SubmitAsync("""
            using Interactive.Xai.Notebook;
            Action notify = null;
            var values = new List<string> { "step 0" };
            var view = LiveViews.Show(values, n => { notify = n; return System.Reactive.Disposables.Disposable.Empty; }, TimeSpan.FromMilliseconds(1));
            for (int i = 1; i <= 3; i++) { values.Add("step " + i); System.Threading.Thread.Sleep(20); notify(); }
            view.Dispose();
            """);

        Assert.True(result.Succeeded, result.Describe());
        var produced = Assert.Single(result.Events.OfType<Microsoft.DotNet.Interactive.Events.DisplayedValueProduced>());
        var updated = result.Events.OfType<Microsoft.DotNet.Interactive.Events.DisplayedValueUpdated>().ToList();
        Assert.Equal(3, updated.Count);
        Assert.All(updated, u => Assert.Equal(produced.ValueId, u.ValueId));
    }
}
