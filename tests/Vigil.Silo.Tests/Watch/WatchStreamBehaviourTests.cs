using Google.Protobuf;
using Grpc.Core;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Silo.Tests.Grpc;

namespace Vigil.Silo.Tests.Watch;

/// <summary>Watch streams over the wire: slow consumers, bad input, compaction, scale.</summary>
public sealed class WatchStreamBehaviourTests
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static WatchCreateRequest Prefix(string prefix, long id, long start = 0) =>
        new() { Key = B(prefix), RangeEnd = KeyRange.PrefixEnd(B(prefix)), WatchId = id, StartRevision = start };

    [Fact]
    public async Task AStreamThatStopsReadingHoldsUpNeitherWritersNorOtherStreamsAndLaterGetsEverything()
    {
        await using var server = await TestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Vigil:Engine:Watch:MaxStreamQueueBytes"] = "65536",
        });
        await using var connection = server.Connect();
        await using var slow = new WatchStreamClient(connection);
        await using var healthy = new WatchStreamClient(connection);
        await slow.CreateAsync(Prefix("s/", 1));
        await healthy.CreateAsync(Prefix("s/", 1));
        await slow.WaitForAsync(r => r.Created);
        await healthy.WaitForAsync(r => r.Created);
        slow.Pause();

        // 2,000 puts of 2 KB: far more than the HTTP/2 windows and the stream's queue hold.
        var value = ByteString.CopyFrom(new byte[2048]);
        long last = 0;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 500; i++)
            {
                var response = await connection.UnaryAsync("/etcdserverpb.KV/Put", new PutRequest { Key = B($"s/{w}/{i % 20}"), Value = value }, PutResponse.Parser);
                InterlockedMax(ref last, response.Header.Revision);
            }
        }));
        await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2001, last);

        // The healthy stream got everything live while the slow one was stalled.
        await healthy.DrainThroughAsync(last);
        Assert.Equal(Enumerable.Range(2, 2000).Select(i => (long)i), healthy.All.SelectMany(r => r.Events).Select(e => e.Kv.ModRevision));
        var counts = server.Server.Node.Watches.Counts;
        Assert.True(counts.Victims + counts.Unsynced == 1, $"the stalled watcher should be parked: {counts}");

        slow.Resume();
        await slow.DrainThroughAsync(last);
        Assert.Equal(Enumerable.Range(2, 2000).Select(i => (long)i), slow.All.SelectMany(r => r.Events).Select(e => e.Kv.ModRevision));
    }

    [Fact]
    public async Task GarbageOnAStreamEndsThatCallOnlyWithACleanStatus()
    {
        await using var server = await TestServer.StartAsync();
        await using var connection = server.Connect();
        await using var other = new WatchStreamClient(connection);
        await other.CreateAsync(Prefix("g/", 1));
        await other.WaitForAsync(r => r.Created);

        using var raw = new RawGrpcClient(server.Address.ToString().TrimEnd('/'));
        var create = RawGrpcClient.Frame(new WatchRequest { CreateRequest = Prefix("g/", 9) });
        byte[] notAMessage = [0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF];
        var response = await raw.SendAsync("/etcdserverpb.Watch/Watch", [.. create, .. notAMessage]);
        Assert.Equal(StatusCode.Internal, response.GrpcStatus);
        Assert.Contains("unmarshal", response.GrpcMessage, StringComparison.OrdinalIgnoreCase);

        byte[] truncated = [0, 0, 0, 1, 0, 1, 2];
        Assert.Equal(StatusCode.Internal, (await raw.SendAsync("/etcdserverpb.Watch/Watch", [.. create, .. truncated])).GrpcStatus);

        // The other stream, on its own connection, keeps working.
        var revision = (await connection.UnaryAsync("/etcdserverpb.KV/Put", new PutRequest { Key = B("g/x"), Value = B("1") }, PutResponse.Parser)).Header.Revision;
        var live = await other.WaitForAsync(r => r.Events.Count > 0);
        Assert.Equal(revision, live.Events.Single().Kv.ModRevision);
    }

    [Fact]
    public async Task AWatchBelowTheCompactRevisionIsCanceledWithTheCompactRevision()
    {
        await using var server = await TestServer.StartAsync();
        await using var connection = server.Connect();
        for (var i = 0; i < 5; i++)
        {
            await connection.UnaryAsync("/etcdserverpb.KV/Put", new PutRequest { Key = B("c/k"), Value = B("v" + i) }, PutResponse.Parser);
        }

        await connection.UnaryAsync("/etcdserverpb.KV/Compact", new CompactionRequest { Revision = 5 }, CompactionResponse.Parser);
        await using var stream = new WatchStreamClient(connection);
        await stream.CreateAsync(Prefix("c/", 400, start: 2));
        var canceled = await stream.WaitForAsync(r => r.Canceled);
        Assert.Equal((400L, 5L, 0L), (canceled.WatchId, canceled.CompactRevision, canceled.Header.Revision));
        Assert.NotEqual(0UL, canceled.Header.ClusterId);
        Assert.True(stream.All.First().Created);

        // From the compact revision itself it works.
        await stream.CreateAsync(Prefix("c/", 401, start: 5));
        var events = await stream.WaitForAsync(r => r.WatchId == 401 && r.Events.Count > 0);
        Assert.Equal([5L, 6L], events.Events.Select(e => e.Kv.ModRevision));
    }

    [Fact]
    public async Task TenThousandWatchersOnOneStreamEachGetTheirEvent()
    {
        const int count = 10_000;
        await using var server = await TestServer.StartAsync();
        await using var connection = server.Connect();
        await using var stream = new WatchStreamClient(connection);
        for (var i = 1; i <= count; i++)
        {
            // Half single keys (the key map), half prefixes (the interval tree).
            await stream.CreateAsync(i % 2 == 0
                ? new WatchCreateRequest { Key = B($"w/{i}"), WatchId = i }
                : Prefix($"w/{i}/", i));
        }

        await stream.WaitForAsync(r => r.Created && r.WatchId == count, TimeSpan.FromSeconds(60));
        await PutEveryWatchedKeyAsync(connection, count);
        await stream.DrainThroughAsync(1 + (count / 100), TimeSpan.FromSeconds(120));

        var events = stream.All.Where(r => r.Events.Count > 0).ToList();
        Assert.Equal(count, events.Count);
        Assert.All(events, r => Assert.Equal(Value(r.WatchId), r.Events.Single().Value()));
        Assert.Equal(count, events.Select(r => r.WatchId).Distinct().Count());
    }

    [Fact]
    public async Task TenThousandStreamsEachGetTheirEvent()
    {
        const int count = 10_000;
        await using var server = await TestServer.StartAsync();
        await using var connection = server.Connect();
        var streams = new List<WatchStreamClient>(count);
        try
        {
            for (var i = 1; i <= count; i++)
            {
                var stream = new WatchStreamClient(connection);
                streams.Add(stream);
                await stream.CreateAsync(i % 2 == 0 ? new WatchCreateRequest { Key = B($"w/{i}"), WatchId = i } : Prefix($"w/{i}/", i));
            }

            await Task.WhenAll(streams.Select(s => s.WaitForAsync(r => r.Created, TimeSpan.FromSeconds(120))));
            Assert.Equal(count, server.Server.Node.Watches.Counts.Streams);
            await PutEveryWatchedKeyAsync(connection, count);

            var received = await Task.WhenAll(streams.Select(s => s.WaitForAsync(r => r.Events.Count > 0, TimeSpan.FromSeconds(120))));
            for (var i = 0; i < count; i++)
            {
                Assert.Equal(i + 1, received[i].WatchId);
                Assert.Equal(Value(i + 1), received[i].Events.Single().Value());
            }
        }
        finally
        {
            await Task.WhenAll(streams.Select(s => s.DisposeAsync().AsTask()));
        }
    }

    private static string Value(long watchId) => "value-" + watchId;

    /// <summary>100 txns of 100 puts: watcher i's key (or a key under its prefix) gets "value-i".</summary>
    private static async Task PutEveryWatchedKeyAsync(RawConnection connection, int count)
    {
        for (var start = 1; start <= count; start += 100)
        {
            var txn = new TxnRequest();
            for (var i = start; i < start + 100 && i <= count; i++)
            {
                var key = i % 2 == 0 ? $"w/{i}" : $"w/{i}/x";
                txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = B(key), Value = B(Value(i)) } });
            }

            await connection.UnaryAsync("/etcdserverpb.KV/Txn", txn, TxnResponse.Parser);
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while ((seen = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}

internal static class EventValues
{
    public static string Value(this Vigil.Protocol.Mvccpb.Event change) => change.Kv.Value.ToStringUtf8();
}
