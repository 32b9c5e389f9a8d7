using Google.Protobuf;
using Vigil.Core.Watch;
using Vigil.Grains.Tests.Harness;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Grains.Tests;

/// <summary>One silo, SQLite: writes go through the sequencer grain, events reach the silo's hub through the key-range grains.</summary>
public sealed class SingleSiloTests
{
    [Fact]
    public async Task APutThroughTheSequencerGrainReachesAWatcherOnTheSilo()
    {
        await using var cluster = await VigilTestCluster.StartAsync();
        var node = cluster.Node();
        using var stream = node.Watches.OpenStream();
        stream.Create(new WatchCreateRequest { Key = Bytes("/a"), RangeEnd = Bytes("/b") });

        var put = await node.KeySpace.PutAsync(new PutRequest { Key = Bytes("/a/1"), Value = Bytes("one") }, CancellationToken.None);
        await node.KeySpace.PutAsync(new PutRequest { Key = Bytes("/z"), Value = Bytes("outside") }, CancellationToken.None);
        var deleted = await node.KeySpace.DeleteRangeAsync(new DeleteRangeRequest { Key = Bytes("/a/1") }, CancellationToken.None);

        var events = await ReadEventsAsync(stream, 2);
        Assert.Equal(put.Header.Revision, events[0].Kv.ModRevision);
        Assert.Equal(Event.Types.EventType.Put, events[0].Type);
        Assert.Equal("one", events[0].Kv.Value.ToStringUtf8());
        Assert.Equal(deleted.Header.Revision, events[1].Kv.ModRevision);
        Assert.Equal(Event.Types.EventType.Delete, events[1].Type);
    }

    [Fact]
    public async Task AWatcherSpanningSeveralKeyRangesGetsOneStreamInTransactionOrder()
    {
        await using var cluster = await VigilTestCluster.StartAsync(keyRangeSplits: "/b,/m,/t");
        var node = cluster.Node();
        using var stream = node.Watches.OpenStream();
        stream.Create(new WatchCreateRequest { Key = Bytes("/"), RangeEnd = Bytes("0") });

        // One revision whose changes fall in three ranges, in an order the ranges would not give.
        var txn = new TxnRequest();
        foreach (var key in new[] { "/x", "/a", "/n", "/c" })
        {
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Bytes(key), Value = Bytes(key) } });
        }

        var expected = new List<(string Key, long Revision)>();
        var committed = await node.KeySpace.TxnAsync(txn, CancellationToken.None);
        expected.AddRange(new[] { "/x", "/a", "/n", "/c" }.Select(k => (k, committed.Header.Revision)));
        foreach (var key in new[] { "/u", "/a", "/m", "/b" })
        {
            var put = await node.KeySpace.PutAsync(new PutRequest { Key = Bytes(key), Value = Bytes("2") }, CancellationToken.None);
            expected.Add((key, put.Header.Revision));
        }

        var events = await ReadEventsAsync(stream, expected.Count);
        Assert.Equal(expected, events.Select(e => (e.Kv.Key.ToStringUtf8(), e.Kv.ModRevision)).ToList());
    }

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);

    private static async Task<List<Event>> ReadEventsAsync(WatchStream stream, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = new List<Event>();
        while (events.Count < count)
        {
            Assert.True(await stream.WaitToReadAsync(timeout.Token));
            while (stream.TryRead(out var response))
            {
                events.AddRange(response.Events);
            }
        }

        return events;
    }
}
