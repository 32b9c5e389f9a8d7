using Google.Protobuf;
using Vigil.Core.Mvcc;
using Vigil.Core.Watch;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;
using FilterType = Vigil.Protocol.Etcdserverpb.WatchCreateRequest.Types.FilterType;

namespace Vigil.Core.Tests.Watch;

/// <summary>
/// The watch engine through a real node (SQLite store, sequencer, change feed), read the
/// way the gRPC send loop reads a stream. "No reply" is proven with a progress request as a
/// barrier: the stream's queue is ordered, so the next response must be the progress reply.
/// </summary>
public sealed class WatchHubTests : IAsyncLifetime
{
    private TestNode? _node;

    private static readonly TestNodeOptions Options = new()
    {
        Watch = new WatchOptions
        {
            // Small caps so a stream that is not read fills quickly.
            MaxStreamQueueBytes = 2048,
            MaxWatcherQueuedResponses = 2,
            FragmentBytes = 1000,
            ProgressNotifyInterval = TimeSpan.FromMilliseconds(150),
            SyncInterval = TimeSpan.FromMilliseconds(20),
        },
    };

    private WatchHub Hub => _node!.Node.Watches;

    private KeySpace Kv => _node!.Node.KeySpace;

    public async Task InitializeAsync() => _node = await TestNode.StartSqliteAsync(Options);

    public async Task DisposeAsync() => await _node!.DisposeAsync();

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private async Task<long> Put(string key, string value) =>
        (await Kv.PutAsync(new PutRequest { Key = B(key), Value = B(value) }, CancellationToken.None)).Header.Revision;

    private static WatchCreateRequest Watch(string key, string? end = null, long start = 0, long id = 0) =>
        new() { Key = B(key), RangeEnd = end is null ? ByteString.Empty : B(end), StartRevision = start, WatchId = id };

    /// <summary>Waits until the feed has handed the hub <paramref name="revision"/>.</summary>
    private async Task Settled(long revision)
    {
        for (var i = 0; Hub.CurrentRevision < revision; i++)
        {
            Assert.True(i < 1000, $"the feed never reached revision {revision}");
            await Task.Delay(10);
        }
    }

    private static async Task<WatchResponse> Barrier(WatchStream stream)
    {
        stream.RequestProgress();
        var response = await stream.NextAsync();
        Assert.Equal(-1, response.WatchId);
        Assert.Empty(response.Events);
        Assert.False(response.Created || response.Canceled);
        return response;
    }

    [Fact]
    public async Task CreatedRepliesCarryTheCurrentRevisionAndIdsAreAssignedFromZero()
    {
        await Put("a", "1");
        await Settled(2);
        using var stream = Hub.OpenStream();

        stream.Create(Watch("a"));
        var first = await stream.NextAsync();
        Assert.True(first.Created);
        Assert.Equal(0, first.WatchId);
        Assert.Equal(2, first.Header.Revision);
        Assert.NotEqual(0UL, first.Header.MemberId);

        stream.Create(Watch("a", id: 2));
        stream.Create(Watch("a"));
        stream.Create(Watch("a"));
        Assert.Equal([2L, 1L, 3L], new[] { await stream.NextAsync(), await stream.NextAsync(), await stream.NextAsync() }.Select(r => r.WatchId));
    }

    [Fact]
    public async Task BadCreatesFailAloneAndTheStreamGoesOn()
    {
        using var stream = Hub.OpenStream();
        stream.Create(Watch("a", id: 7));
        Assert.True((await stream.NextAsync()).Created);

        stream.Create(Watch("b", id: 7));
        stream.Create(Watch("b", "a"));
        stream.Create(Watch("b", start: -1));
        var duplicate = await stream.NextAsync();
        var empty = await stream.NextAsync();
        var negative = await stream.NextAsync();
        Assert.Equal((true, true, -1L, EtcdErrors.DuplicateWatchIdReason), (duplicate.Created, duplicate.Canceled, duplicate.WatchId, duplicate.CancelReason));
        Assert.Equal((true, true, -1L, EtcdErrors.EmptyWatcherRangeReason), (empty.Created, empty.Canceled, empty.WatchId, empty.CancelReason));
        Assert.Equal((true, true, -1L, EtcdErrors.CompactedMessage), (negative.Created, negative.Canceled, negative.WatchId, negative.CancelReason));

        // The first watcher is unharmed.
        var revision = await Put("a", "x");
        var live = await stream.NextAsync();
        Assert.Equal((7L, revision), (live.WatchId, live.Events.Single().Kv.ModRevision));
    }

    [Fact]
    public async Task CancelRepliesOnceAndAnUnknownIdGetsNoReply()
    {
        using var stream = Hub.OpenStream();
        stream.Create(Watch("a"));
        await stream.NextAsync();

        stream.Cancel(999);
        await Barrier(stream);

        stream.Cancel(0);
        var canceled = await stream.NextAsync();
        Assert.Equal((0L, true, false), (canceled.WatchId, canceled.Canceled, canceled.Created));
        Assert.Equal(Hub.CurrentRevision, canceled.Header.Revision);

        await Put("a", "after-cancel");
        await Settled(2);
        await Barrier(stream);
        Assert.Equal(0, Hub.Counts.Synced);
    }

    [Fact]
    public async Task AllEventsOfOneRevisionArriveInOneResponseAndFiltersApply()
    {
        using var stream = Hub.OpenStream();
        stream.Create(Watch("a", "b"));
        stream.Create(new WatchCreateRequest { Key = B("a"), RangeEnd = B("b"), Filters = { FilterType.Noput } });
        stream.Create(new WatchCreateRequest { Key = B("a"), RangeEnd = B("b"), Filters = { FilterType.Nodelete }, PrevKv = true });
        await stream.ReadUntilAsync(r => r.Count == 3);

        await Kv.TxnAsync(new TxnRequest
        {
            Success =
            {
                new RequestOp { RequestPut = new PutRequest { Key = B("a"), Value = B("1") } },
                new RequestOp { RequestPut = new PutRequest { Key = B("a1"), Value = B("2") } },
                new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = B("a2") } },
            },
        }, CancellationToken.None);
        await Settled(2);

        // Watcher 1 (NOPUT) gets nothing for a revision of puts only.
        var responses = await stream.ReadUntilAsync(r => r.Count == 2);
        Assert.Equal([0L, 2L], responses.Select(r => r.WatchId).Order());
        Assert.All(responses, r => Assert.Equal(["a", "a1"], r.Events.Select(e => e.Kv.Key.ToStringUtf8())));
        Assert.All(responses, r => Assert.Equal(2, r.Header.Revision));
        await Barrier(stream);

        await Kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("a"), RangeEnd = B("b") }, CancellationToken.None);
        var deletes = await stream.ReadUntilAsync(r => r.Count == 2);
        Assert.Equal([0L, 1L], deletes.Select(r => r.WatchId).Order());
        var delete = deletes.First(r => r.WatchId == 1).Events;
        Assert.Equal(2, delete.Count);
        Assert.All(delete, e => Assert.Equal(Event.Types.EventType.Delete, e.Type));
        Assert.All(delete, e => Assert.Equal((3L, 0L), (e.Kv.ModRevision, e.Kv.Version)));
        Assert.All(deletes.SelectMany(r => r.Events), e => Assert.Null(e.PrevKv));
        await Barrier(stream);
    }

    [Fact]
    public async Task RevisionsQueuedForAWatcherWhileItsStreamIsNotReadGoOutAsOneResponse()
    {
        using var stream = Hub.OpenStream();
        stream.Create(Watch("k"));
        stream.Create(Watch("j"));
        await stream.ReadUntilAsync(r => r.Count == 2);
        var first = await Put("k", "1");
        await Put("j", "1");
        await Put("k", "2");
        var last = await Put("k", "3");
        await Settled(last);

        var k = await stream.NextAsync();
        Assert.Equal((0L, last), (k.WatchId, k.Header.Revision));
        Assert.Equal([first, first + 2, last], k.Events.Select(e => e.Kv.ModRevision));
        var j = await stream.NextAsync();
        Assert.Equal((1L, first + 1), (j.WatchId, j.Events.Single().Kv.ModRevision));
        await Barrier(stream);
    }

    [Fact]
    public async Task NoEventIsAppendedToAResponseQueuedBeforeAControlReply()
    {
        using var stream = Hub.OpenStream();
        stream.Create(Watch("k"));
        await stream.NextAsync();
        var first = await Put("k", "1");
        await Settled(first);
        stream.RequestProgress();
        var second = await Put("k", "2");
        await Settled(second);

        // A progress reply says nothing at or below its revision is still to come.
        Assert.Equal(first, (await stream.NextAsync()).Events.Single().Kv.ModRevision);
        Assert.Equal(first, (await Barrier(stream)).Header.Revision);
        Assert.Equal(second, (await stream.NextAsync()).Events.Single().Kv.ModRevision);
    }

    [Fact]
    public async Task PrevKvIsSentOnlyToWatchersThatAskAndNeverForACreate()
    {
        using var stream = Hub.OpenStream();
        stream.Create(new WatchCreateRequest { Key = B("k"), PrevKv = true });
        stream.Create(Watch("k"));
        await stream.ReadUntilAsync(r => r.Count == 2);
        await Put("k", "1");
        await Put("k", "2");

        // Revisions of one watcher may share a response when the reader is behind.
        var responses = await stream.ReadUntilAsync(r => r.Sum(x => x.Events.Count) == 4);
        var withPrev = responses.Where(r => r.WatchId == 0).SelectMany(r => r.Events).ToList();
        Assert.Null(withPrev[0].PrevKv);
        Assert.Equal(("1", 2L), (withPrev[1].PrevKv.Value.ToStringUtf8(), withPrev[1].PrevKv.ModRevision));
        Assert.All(responses.Where(r => r.WatchId == 1).SelectMany(r => r.Events), e => Assert.Null(e.PrevKv));
    }

    [Fact]
    public async Task APastStartRevisionCatchesUpThenContinuesLive()
    {
        for (var i = 0; i < 30; i++)
        {
            await Put("k" + (i % 4), "v" + i);   // revisions 2..31
        }

        await Settled(31);
        using var stream = Hub.OpenStream();
        stream.Create(new WatchCreateRequest { Key = B("k"), RangeEnd = B("l"), StartRevision = 5, PrevKv = true });
        var created = await stream.NextAsync();
        Assert.Equal(31, created.Header.Revision);

        var caughtUp = await stream.ReadUntilAsync(r => r.EventRevisions().LastOrDefault() == 31);
        Assert.Equal(Enumerable.Range(5, 27).Select(i => (long)i), caughtUp.EventRevisions());
        Assert.All(caughtUp, r => Assert.True(r.Header.Revision >= r.Events.Last().Kv.ModRevision));
        Assert.All(caughtUp.SelectMany(r => r.Events), e => Assert.Equal(e.Kv.CreateRevision != e.Kv.ModRevision, e.PrevKv is not null));

        await Put("k9", "live");
        var live = await stream.NextAsync();
        Assert.Equal(32, live.Events.Single().Kv.ModRevision);
    }

    [Fact]
    public async Task AFutureStartRevisionDeliversNothingBeforeIt()
    {
        await Put("k", "1");
        await Settled(2);
        using var stream = Hub.OpenStream();
        stream.Create(Watch("k", start: 4));
        await stream.NextAsync();
        await Put("k", "2");   // 3: before the start revision
        await Put("k", "3");   // 4
        var response = await stream.NextAsync();
        Assert.Equal(4, response.Events.Single().Kv.ModRevision);
    }

    [Fact]
    public async Task ACompactedStartGetsCreatedThenACompactionCancelAndKeepsItsId()
    {
        for (var i = 0; i < 5; i++)
        {
            await Put("k", "v" + i);   // 2..6
        }

        await Kv.CompactAsync(new CompactionRequest { Revision = 5 }, CancellationToken.None);
        using var stream = Hub.OpenStream();
        stream.Create(Watch("k", start: 3, id: 400));
        var created = await stream.NextAsync();
        Assert.Equal((400L, true, false), (created.WatchId, created.Created, created.Canceled));
        var compacted = await stream.NextAsync();
        Assert.Equal((400L, true, 5L), (compacted.WatchId, compacted.Canceled, compacted.CompactRevision));
        Assert.Equal(0, compacted.Header.Revision);
        Assert.Empty(compacted.Events);

        // The ID stays taken until the client cancels it.
        stream.Create(Watch("k", id: 400));
        Assert.Equal(EtcdErrors.DuplicateWatchIdReason, (await stream.NextAsync()).CancelReason);
        stream.Cancel(400);
        Assert.True((await stream.NextAsync()).Canceled);
        stream.Create(Watch("k", start: 5, id: 400));
        Assert.True((await stream.NextAsync()).Created);
        var fromCompactRevision = await stream.ReadUntilAsync(r => r.EventRevisions().LastOrDefault() == 6);
        Assert.Equal([5L, 6L], fromCompactRevision.EventRevisions());
    }

    [Fact]
    public async Task SyncedToVictimToUnsyncedToSyncedLosesNothing()
    {
        using var stream = Hub.OpenStream();
        stream.Create(Watch("k", "l"));
        await stream.NextAsync();

        // Nobody reads the stream: after a couple of responses the watcher is parked.
        long last = 0;
        for (var i = 0; i < 120; i++)
        {
            last = await Put("k" + (i % 7), new string('x', 40));
        }

        await Settled(last);
        Assert.True(Hub.Counts.Victims + Hub.Counts.Unsynced == 1, $"expected a parked watcher, got {Hub.Counts}");
        Assert.Equal(0, Hub.Counts.Synced);

        // Reading drains the victim's pending response, then history, then it is live again.
        var responses = await stream.ReadUntilAsync(r => r.EventRevisions().LastOrDefault() == last);
        Assert.Equal(Enumerable.Range(2, 120).Select(i => (long)i), responses.EventRevisions());
        for (var i = 0; Hub.Counts.Synced != 1; i++)
        {
            Assert.True(i < 500, $"watcher never synced again: {Hub.Counts}");
            await Task.Delay(10);
        }

        Assert.Equal((0, 0), (Hub.Counts.Victims, Hub.Counts.Unsynced));
        var next = await Put("k1", "live");
        Assert.Equal(next, (await stream.NextAsync()).Events.Single().Kv.ModRevision);
    }

    [Fact]
    public async Task AProgressRequestWaitsUntilEveryWatcherOfTheStreamCaughtUp()
    {
        long last = 0;
        for (var i = 0; i < 50; i++)
        {
            last = await Put("k" + (i % 5), "v");
        }

        await Settled(last);
        using var stream = Hub.OpenStream();
        stream.Create(Watch("k", "l", start: 2));
        stream.RequestProgress();
        var responses = await stream.ReadUntilAsync(r => r.Count > 0 && r[^1].WatchId == -1);

        // Every event up to the progress revision came before it.
        var progress = responses[^1];
        Assert.Equal(last, progress.Header.Revision);
        Assert.Equal(Enumerable.Range(2, 50).Select(i => (long)i), responses.EventRevisions());
    }

    [Fact]
    public async Task ProgressNotifyTellsIdleWatchersTheCurrentRevision()
    {
        var revision = await Put("other", "1");
        await Settled(revision);
        using var stream = Hub.OpenStream();
        stream.Create(new WatchCreateRequest { Key = B("quiet"), ProgressNotify = true, WatchId = 5 });
        stream.Create(new WatchCreateRequest { Key = B("quiet2"), WatchId = 6 });
        await stream.ReadUntilAsync(r => r.Count == 2);

        var tick = await stream.NextAsync();
        Assert.Equal((5L, revision), (tick.WatchId, tick.Header.Revision));
        Assert.Empty(tick.Events);
        Assert.False(tick.Created || tick.Canceled || tick.Fragment);
    }

    [Fact]
    public async Task LargeResponsesAreSplitOnlyForWatchersThatAskForFragments()
    {
        using var stream = Hub.OpenStream();
        stream.Create(new WatchCreateRequest { Key = B("f"), RangeEnd = B("g"), Fragment = true, WatchId = 1 });
        stream.Create(new WatchCreateRequest { Key = B("f"), RangeEnd = B("g"), WatchId = 2 });
        await stream.ReadUntilAsync(r => r.Count == 2);

        var txn = new TxnRequest();
        for (var i = 0; i < 6; i++)
        {
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = B("f" + i), Value = ByteString.CopyFrom(new byte[300]) } });
        }

        await Kv.TxnAsync(txn, CancellationToken.None);
        var responses = await stream.ReadUntilAsync(r => r.Count(x => x.WatchId == 2) == 1 && r.Any(x => x.WatchId == 1 && !x.Fragment));
        var pieces = responses.Where(r => r.WatchId == 1).ToList();
        Assert.True(pieces.Count > 1);
        Assert.All(pieces[..^1], p => Assert.True(p.Fragment));
        Assert.False(pieces[^1].Fragment);
        Assert.All(pieces, p => Assert.True(p.CalculateSize() < 1000 || p.Events.Count == 1));
        Assert.Equal(6, pieces.Sum(p => p.Events.Count));
        Assert.Equal(6, responses.Single(r => r.WatchId == 2).Events.Count);
    }

    [Fact]
    public async Task ClosingAStreamRemovesItsWatchers()
    {
        var stream = Hub.OpenStream();
        stream.Create(Watch("a"));
        stream.Create(Watch("b", "c"));
        stream.Create(Watch("x", start: 1));
        await stream.ReadUntilAsync(r => r.Count == 3);
        stream.Dispose();
        for (var i = 0; Hub.Counts != new WatchHubCounts(0, 0, 0, 0); i++)
        {
            Assert.True(i < 500, $"watchers left behind: {Hub.Counts}");
            await Task.Delay(10);
        }
    }
}
