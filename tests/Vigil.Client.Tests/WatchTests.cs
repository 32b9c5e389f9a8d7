using Vigil.Client.Tests.Harness;

namespace Vigil.Client.Tests;

public sealed class WatchTests(VigilServerFixture fixture) : IClassFixture<VigilServerFixture>
{
    private readonly VigilClient _client = fixture.Client;
    private readonly string _p = VigilServerFixture.UniquePrefix();

    [Fact]
    public async Task A_key_watch_delivers_puts_and_deletes_in_revision_order()
    {
        var start = (await _client.GetAsync(_p + "k")).Revision + 1;
        await using var watch = new WatchProbe(_client.WatchAsync(_p + "k", new WatchOptions { StartRevision = start }));

        var first = await _client.PutAsync(_p + "k", "1");
        await _client.PutAsync(_p + "other", "x");
        var second = await _client.PutAsync(_p + "k", "2");
        var deleted = await _client.DeleteAsync(_p + "k");
        var events = await watch.EventsAsync(3);

        Assert.Equal([WatchEventType.Put, WatchEventType.Put, WatchEventType.Delete], events.Select(e => e.Type));
        Assert.Equal([first.Revision, second.Revision, deleted.Revision], events.Select(e => e.Revision));
        Assert.Equal(["1", "2", string.Empty], events.Select(e => e.KeyValue.ValueString));
        Assert.All(events, e => Assert.Equal(_p + "k", e.KeyValue.KeyString));
        Assert.Equal(2, events[1].KeyValue.Version);
        Assert.All(events, e => Assert.Null(e.PreviousKeyValue));
    }

    [Fact]
    public async Task A_prefix_watch_sees_only_keys_under_the_prefix()
    {
        var start = (await _client.GetAsync(_p)).Revision + 1;
        await using var watch = new WatchProbe(_client.WatchPrefixAsync(_p + "dir/", new WatchOptions { StartRevision = start }));

        await _client.PutAsync(_p + "dir/a", "1");
        await _client.PutAsync(_p + "dir", "not under dir/");
        await _client.PutAsync(_p + "dir0", "not under dir/");
        await _client.PutAsync(_p + "dir/b/c", "2");
        var events = await watch.EventsAsync(2);

        Assert.Equal([_p + "dir/a", _p + "dir/b/c"], events.Select(e => e.KeyValue.KeyString));
    }

    [Fact]
    public async Task A_range_watch_is_half_open()
    {
        var start = (await _client.GetAsync(_p)).Revision + 1;
        await using var watch = new WatchProbe(_client.WatchRangeAsync(_p + "b", _p + "d", new WatchOptions { StartRevision = start }));

        foreach (var name in new[] { "a", "b", "c", "d", "bb" })
        {
            await _client.PutAsync(_p + name, name);
        }

        var events = await watch.EventsAsync(3);

        Assert.Equal(["b", "c", "bb"], events.Select(e => e.KeyValue.ValueString));
    }

    [Fact]
    public async Task A_watch_from_a_past_revision_replays_history_then_continues_live()
    {
        var first = await _client.PutAsync(_p + "k", "1");
        await _client.PutAsync(_p + "k", "2");
        await _client.DeleteAsync(_p + "k");
        await using var watch = new WatchProbe(_client.WatchAsync(_p + "k", new WatchOptions { StartRevision = first.Revision }));

        var history = await watch.EventsAsync(3);
        var live = await _client.PutAsync(_p + "k", "4");
        var next = await watch.EventsAsync(1);

        Assert.Equal(["1", "2", string.Empty], history.Select(e => e.KeyValue.ValueString));
        Assert.Equal(first.Revision, history[0].Revision);
        Assert.Equal(live.Revision, next[0].Revision);
        Assert.Equal(1, next[0].KeyValue.Version);
    }

    [Fact]
    public async Task Prev_kv_carries_the_previous_version_except_for_creates()
    {
        var start = (await _client.GetAsync(_p)).Revision + 1;
        await using var watch = new WatchProbe(_client.WatchAsync(_p + "k", new WatchOptions { StartRevision = start, PrevKv = true }));

        var created = await _client.PutAsync(_p + "k", "1");
        await _client.PutAsync(_p + "k", "2");
        await _client.DeleteAsync(_p + "k");
        var events = await watch.EventsAsync(3);

        Assert.Null(events[0].PreviousKeyValue);
        Assert.Equal("1", events[1].PreviousKeyValue!.ValueString);
        Assert.Equal(created.Revision, events[1].PreviousKeyValue!.ModRevision);
        Assert.Equal("2", events[2].PreviousKeyValue!.ValueString);
    }

    [Fact]
    public async Task No_put_and_no_delete_filter_events_on_the_server()
    {
        var start = (await _client.GetAsync(_p)).Revision + 1;
        await using var deletesOnly = new WatchProbe(_client.WatchAsync(_p + "k", new WatchOptions { StartRevision = start, NoPut = true }));
        await using var putsOnly = new WatchProbe(_client.WatchAsync(_p + "k", new WatchOptions { StartRevision = start, NoDelete = true }));

        await _client.PutAsync(_p + "k", "1");
        var deleted = await _client.DeleteAsync(_p + "k");
        var put = await _client.PutAsync(_p + "k", "2");

        Assert.Equal(deleted.Revision, Assert.Single(await deletesOnly.EventsAsync(1)).Revision);
        var puts = await putsOnly.EventsAsync(2);
        Assert.All(puts, e => Assert.Equal(WatchEventType.Put, e.Type));
        Assert.Equal(put.Revision, puts[1].Revision);
    }

    [Fact]
    public async Task A_watch_from_now_reports_created_and_then_sees_later_writes()
    {
        await using var watch = new WatchProbe(_client.WatchAsync(_p + "k", new WatchOptions { CreatedNotify = true }));

        var created = await watch.NextAsync();
        var put = await _client.PutAsync(_p + "k", "after");
        var events = await watch.EventsAsync(1);

        Assert.True(created.IsCreated);
        Assert.Empty(created.Events);
        Assert.True(created.Revision < put.Revision);
        Assert.Equal(put.Revision, events[0].Revision);
    }

    [Fact]
    public async Task A_transaction_arrives_as_one_update_with_all_its_events()
    {
        var start = (await _client.GetAsync(_p)).Revision + 1;
        await using var watch = new WatchProbe(_client.WatchPrefixAsync(_p, new WatchOptions { StartRevision = start }));

        var txn = await _client.TxnAsync(new Txn().Then(TxnOp.Put(_p + "a", "1"), TxnOp.Put(_p + "b", "2")));
        var update = await watch.NextAsync();

        Assert.Equal(2, update.Events.Count);
        Assert.All(update.Events, e => Assert.Equal(txn.Revision, e.Revision));
    }

    [Fact]
    public async Task Request_progress_reports_the_current_revision_to_every_watch()
    {
        await using var a = new WatchProbe(_client.WatchAsync(_p + "a", new WatchOptions { CreatedNotify = true }));
        await using var b = new WatchProbe(_client.WatchAsync(_p + "b", new WatchOptions { CreatedNotify = true }));
        Assert.True((await a.NextAsync()).IsCreated);
        Assert.True((await b.NextAsync()).IsCreated);
        var put = await _client.PutAsync(_p + "elsewhere", "x");

        await _client.RequestProgressAsync();
        var progressA = await a.NextAsync();
        var progressB = await b.NextAsync();

        Assert.True(progressA.IsProgressNotify);
        Assert.True(progressB.IsProgressNotify);
        Assert.Empty(progressA.Events);
        Assert.True(progressA.Revision >= put.Revision);
    }

    [Fact]
    public async Task An_empty_range_is_refused_with_watch_canceled_and_the_reason()
    {
        await using var watch = new WatchProbe(_client.WatchRangeAsync(_p + "z", _p + "a"));

        var error = await Assert.ThrowsAsync<WatchCanceledException>(() => watch.NextAsync());

        Assert.Equal("mvcc: watcher range is empty", error.Message);
    }

    [Fact]
    public async Task A_refused_watch_does_not_disturb_the_others_on_the_stream()
    {
        var start = (await _client.GetAsync(_p)).Revision + 1;
        await using var good = new WatchProbe(_client.WatchAsync(_p + "k", new WatchOptions { StartRevision = start }));
        await using var bad = new WatchProbe(_client.WatchRangeAsync(_p + "z", _p + "a"));
        await using var good2 = new WatchProbe(_client.WatchAsync(_p + "k", new WatchOptions { StartRevision = start }));

        // Starting all three at once sends the three creates before any reply comes back,
        // so the refusal (watch_id -1) must be matched to the middle one by order.
        var goodNext = good.NextAsync();
        var badNext = bad.NextAsync();
        var good2Next = good2.NextAsync();

        await Assert.ThrowsAsync<WatchCanceledException>(() => badNext);
        var put = await _client.PutAsync(_p + "k", "v");

        Assert.Equal(put.Revision, (await goodNext).Events[0].Revision);
        Assert.Equal(put.Revision, (await good2Next).Events[0].Revision);
    }

    [Fact]
    public async Task A_negative_start_revision_is_rejected()
    {
        await using var watch = new WatchProbe(_client.WatchAsync(_p + "k", new WatchOptions { StartRevision = -1 }));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => watch.NextAsync());
    }
}
