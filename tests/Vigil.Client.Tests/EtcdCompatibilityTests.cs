using Grpc.Core;
using Vigil.Client.Tests.Harness;

namespace Vigil.Client.Tests;

/// <summary>The client against a real etcd 3.4 (/usr/bin/etcd): it is a genuine etcd client, not only Vigil's.</summary>
public sealed class EtcdCompatibilityTests(EtcdFixture etcd) : IClassFixture<EtcdFixture>
{
    private readonly VigilClient _client = etcd.Client;
    private readonly string _p = VigilServerFixture.UniquePrefix();

    [Fact]
    public async Task Status_and_member_list_come_from_etcd_3_4()
    {
        var status = await _client.StatusAsync();
        var members = await _client.MemberListAsync();

        Assert.StartsWith("3.4.", status.Version);
        Assert.True(status.IsLeader);
        Assert.Equal(status.MemberId, Assert.Single(members).Id);
        Assert.Contains(etcd.Url, members[0].ClientUrls);
    }

    [Fact]
    public async Task Reads_writes_and_transactions_work_as_on_vigil()
    {
        var put = await _client.PutAsync(_p + "a", "1");
        await _client.PutAsync(_p + "b", "2");
        var prev = await _client.PutAsync(_p + "a", "3", new PutOptions { PrevKv = true });
        var prefix = await _client.GetPrefixAsync(_p, new GetOptions { Limit = 1 });
        var txn = await _client.TxnAsync(new Txn()
            .If(Compare.Value(_p + "a") == "3", Compare.CreateRevision(_p + "a") == put.Revision)
            .Then(TxnOp.DeletePrefix(_p, new DeleteOptions { PrevKv = true }))
            .Else(TxnOp.Get(_p + "a")));

        Assert.Equal("1", prev.PreviousKeyValue!.ValueString);
        Assert.Equal("3", prefix.First!.ValueString);
        Assert.True(prefix.HasMore);
        Assert.Equal(2, prefix.Count);
        Assert.True(txn.Succeeded);
        Assert.Equal(2, txn.Results[0].Delete!.Deleted);
        Assert.Empty((await _client.GetPrefixAsync(_p)).KeyValues);
    }

    [Fact]
    public async Task Etcd_errors_map_to_the_same_exceptions()
    {
        var now = await _client.GetAsync(_p);

        await Assert.ThrowsAsync<FutureRevisionException>(() => _client.GetAsync(_p, new GetOptions { Revision = now.Revision + 100 }));
        var lease = await Assert.ThrowsAsync<LeaseNotFoundException>(() => _client.PutAsync(_p + "k", "v", new PutOptions { Lease = 42 }));
        var empty = await Assert.ThrowsAsync<InvalidRequestException>(() => _client.PutAsync(string.Empty, "v"));
        var tooMany = await Assert.ThrowsAsync<InvalidRequestException>(
            () => _client.TxnAsync(new Txn().Then([.. Enumerable.Range(0, 129).Select(i => TxnOp.Get(_p + i))])));
        var tooLarge = await Assert.ThrowsAsync<RequestTooLargeException>(
            () => _client.PutAsync(System.Text.Encoding.UTF8.GetBytes(_p + "big"), new byte[1_600_000]));

        Assert.Equal(StatusCode.NotFound, lease.StatusCode);
        Assert.Equal("etcdserver: key is not provided", empty.Message);
        Assert.Equal("etcdserver: too many operations in txn request", tooMany.Message);
        Assert.Equal("etcdserver: request is too large", tooLarge.Message);
    }

    [Fact]
    public async Task A_watch_replays_history_with_prev_kv_and_filters()
    {
        var first = await _client.PutAsync(_p + "k", "1");
        await _client.PutAsync(_p + "k", "2");
        var deleted = await _client.DeleteAsync(_p + "k");
        await using var all = new WatchProbe(_client.WatchAsync(_p + "k", new WatchOptions { StartRevision = first.Revision, PrevKv = true }));
        await using var deletes = new WatchProbe(_client.WatchAsync(_p + "k", new WatchOptions { StartRevision = first.Revision, NoPut = true }));

        var events = await all.EventsAsync(3);
        var onlyDelete = await deletes.EventsAsync(1);

        Assert.Equal(["1", "2", string.Empty], events.Select(e => e.KeyValue.ValueString));
        Assert.Null(events[0].PreviousKeyValue);
        Assert.Equal("1", events[1].PreviousKeyValue!.ValueString);
        Assert.Equal(WatchEventType.Delete, events[2].Type);
        Assert.Equal(deleted.Revision, onlyDelete[0].Revision);
    }

    [Fact]
    public async Task Watches_multiplexed_on_one_stream_match_their_created_replies_by_id()
    {
        var start = (await _client.GetAsync(_p)).Revision + 1;
        await using var a = new WatchProbe(_client.WatchAsync(_p + "a", new WatchOptions { StartRevision = start }));
        await using var bad = new WatchProbe(_client.WatchRangeAsync(_p + "z", _p + "a"));
        await using var b = new WatchProbe(_client.WatchAsync(_p + "b", new WatchOptions { StartRevision = start }));
        var nextA = a.NextAsync();
        var failed = bad.NextAsync();
        var nextB = b.NextAsync();

        var error = await Assert.ThrowsAsync<WatchCanceledException>(() => failed);
        var putB = await _client.PutAsync(_p + "b", "b");
        var putA = await _client.PutAsync(_p + "a", "a");

        Assert.Equal("mvcc: watcher range is empty", error.Message);
        Assert.Equal(putA.Revision, (await nextA).Events.Single().Revision);
        Assert.Equal(putB.Revision, (await nextB).Events.Single().Revision);
    }

    [Fact]
    public async Task Request_progress_is_delivered_as_a_progress_notification()
    {
        await using var watch = new WatchProbe(_client.WatchAsync(_p + "k", new WatchOptions { CreatedNotify = true }));
        var created = await watch.NextAsync();

        await _client.RequestProgressAsync();
        var progress = await watch.NextAsync();

        Assert.True(created.IsCreated);
        Assert.True(progress.IsProgressNotify);
        Assert.True(progress.Revision >= created.Revision);
    }

    [Fact]
    public async Task Compaction_ends_a_lagging_watch_with_the_compact_revision()
    {
        var first = await _client.PutAsync(_p + "k", "1");
        var second = await _client.PutAsync(_p + "k", "2");
        await _client.CompactAsync(second.Revision, physical: true);
        await using var watch = new WatchProbe(_client.WatchAsync(_p + "k", new WatchOptions { StartRevision = first.Revision }));

        var error = await Assert.ThrowsAsync<CompactedException>(() => watch.NextAsync());
        var read = await Assert.ThrowsAsync<CompactedException>(() => _client.GetAsync(_p + "k", new GetOptions { Revision = first.Revision }));

        Assert.Equal(second.Revision, error.CompactRevision);
        Assert.Null(read.CompactRevision);
    }

    [Fact]
    public async Task Fragments_from_etcd_are_joined_into_one_update()
    {
        var value = new byte[500_000];
        var ops = new[] { "a", "b", "c" }.Select(name => TxnOp.Put(System.Text.Encoding.UTF8.GetBytes(_p + "big/" + name), value)).ToArray();
        await _client.TxnAsync(new Txn().Then(ops));
        var txn = await _client.TxnAsync(new Txn().Then(ops));
        await using var watch = new WatchProbe(_client.WatchPrefixAsync(_p + "big/", new WatchOptions { StartRevision = txn.Revision, PrevKv = true, Fragment = true }));

        var update = await watch.NextAsync();

        Assert.Equal(3, update.Events.Count);
        Assert.All(update.Events, e => Assert.Equal(value.Length, e.PreviousKeyValue!.Value.Length));
    }
}
