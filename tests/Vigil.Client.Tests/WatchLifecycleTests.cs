using Grpc.Core;
using Grpc.Net.Client;
using Vigil.Client.Tests.Harness;
using Vigil.Core.Watch;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client.Tests;

/// <summary>Tests that look at the server's watch streams or compact, each on a server of its own.</summary>
public sealed class WatchLifecycleTests
{
    [Fact]
    public async Task All_watches_of_a_client_share_one_stream_and_disposing_them_cancels_them_on_the_server()
    {
        await using var server = await VigilTestServer.StartAsync();
        await using var client = new VigilClient(server.Url);
        var hub = server.Server.Node.Watches;

        var probes = new List<WatchProbe>();
        for (var i = 0; i < 5; i++)
        {
            var probe = new WatchProbe(client.WatchPrefixAsync($"/w{i}/", new WatchOptions { CreatedNotify = true }));
            Assert.True((await probe.NextAsync()).IsCreated);
            probes.Add(probe);
        }

        Assert.Equal(1, hub.Counts.Streams);
        Assert.Equal(5, Watchers(hub.Counts));

        await probes[0].DisposeAsync();
        await probes[1].DisposeAsync();
        await Eventually(() => Watchers(hub.Counts) == 3);
        Assert.Equal(1, hub.Counts.Streams);

        foreach (var probe in probes.Skip(2))
        {
            await probe.DisposeAsync();
        }

        // The last watch gone, the client closes the stream.
        await Eventually(() => hub.Counts.Streams == 0 && Watchers(hub.Counts) == 0);

        await using var again = new WatchProbe(client.WatchAsync("/again", new WatchOptions { CreatedNotify = true }));
        Assert.True((await again.NextAsync()).IsCreated);
        Assert.Equal(1, hub.Counts.Streams);
    }

    [Fact]
    public async Task Canceling_the_token_ends_the_enumeration_and_the_server_side_watch()
    {
        await using var server = await VigilTestServer.StartAsync();
        await using var client = new VigilClient(server.Url);
        using var cts = new CancellationTokenSource();
        var seen = new List<WatchUpdate>();

        var consumer = Task.Run(async () =>
        {
            await foreach (var update in client.WatchAsync("k", new WatchOptions { CreatedNotify = true }, cts.Token))
            {
                seen.Add(update);
            }
        });
        await Eventually(() => Watchers(server.Server.Node.Watches.Counts) == 1);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consumer);
        await Eventually(() => Watchers(server.Server.Node.Watches.Counts) == 0);
    }

    [Fact]
    public async Task A_watch_from_a_compacted_revision_ends_with_compacted_and_the_compact_revision()
    {
        await using var server = await VigilTestServer.StartAsync();
        await using var client = new VigilClient(server.Url);
        var first = await client.PutAsync("k", "1");
        await client.PutAsync("k", "2");
        var third = await client.PutAsync("k", "3");
        await client.CompactAsync(third.Revision, physical: true);
        await using var watch = new WatchProbe(client.WatchAsync("k", new WatchOptions { StartRevision = first.Revision }));

        var error = await Assert.ThrowsAsync<CompactedException>(() => watch.NextAsync());

        Assert.Equal(third.Revision, error.CompactRevision);
        Assert.Equal(StatusCode.OutOfRange, error.StatusCode);

        // The client released the compacted watch's ID on the server.
        await Eventually(() => Watchers(server.Server.Node.Watches.Counts) == 0);
    }

    [Fact]
    public async Task List_then_watch_relists_after_compaction_and_misses_nothing()
    {
        await using var server = await VigilTestServer.StartAsync();
        await using var client = new VigilClient(server.Url);
        await client.PutAsync("/app/a", "1");
        var list = await client.GetPrefixAsync("/app/");
        await client.PutAsync("/app/b", "2");
        var last = await client.PutAsync("/app/a", "3");
        await client.CompactAsync(last.Revision, physical: true);

        // The consumer comes back too late: its resume point is gone, so it relists.
        await using var stale = new WatchProbe(client.WatchPrefixAsync("/app/", new WatchOptions { StartRevision = list.Revision + 1 }));
        await Assert.ThrowsAsync<CompactedException>(() => stale.NextAsync());
        var relist = await client.GetPrefixAsync("/app/");
        await using var fresh = new WatchProbe(client.WatchPrefixAsync("/app/", new WatchOptions { StartRevision = relist.Revision + 1 }));
        var next = await client.PutAsync("/app/c", "4");

        Assert.Equal(["1", "3"], list.KeyValues.Concat(relist.KeyValues).Where(kv => kv.KeyString == "/app/a").Select(kv => kv.ValueString));
        Assert.Equal(next.Revision, (await fresh.EventsAsync(1))[0].Revision);
    }

    [Fact]
    public async Task Fragments_of_an_oversized_revision_are_joined_into_one_update()
    {
        await using var server = await VigilTestServer.StartAsync();
        await using var client = new VigilClient(server.Url);
        var value = new byte[500_000];
        foreach (var name in new[] { "a", "b", "c" })
        {
            await client.PutAsync("/big/" + name, "small");
        }

        var start = (await client.GetAsync("/big/a")).Revision + 1;
        await client.TxnAsync(new Txn().Then(
            TxnOp.Put("/big/a"u8.ToArray(), value),
            TxnOp.Put("/big/b"u8.ToArray(), value),
            TxnOp.Put("/big/c"u8.ToArray(), value)));
        var txn = await client.TxnAsync(new Txn().Then(
            TxnOp.Put("/big/a"u8.ToArray(), value),
            TxnOp.Put("/big/b"u8.ToArray(), value),
            TxnOp.Put("/big/c"u8.ToArray(), value)));

        // The second revision's response, with previous values, is about 3 MB: above the
        // 2 MiB limit, so the server sends it in pieces.
        var pieces = await RawFragmentsAsync(server.Url, txn.Revision);
        Assert.True(pieces.Count >= 2, $"expected a fragmented response, got {pieces.Count} piece(s)");
        Assert.All(pieces.SkipLast(1), piece => Assert.True(piece.Fragment));

        await using var watch = new WatchProbe(client.WatchPrefixAsync("/big/", new WatchOptions { StartRevision = start, PrevKv = true, Fragment = true }));
        var events = new List<WatchEvent>();
        while (events.Count < 6)
        {
            var update = await watch.NextAsync();
            Assert.All(update.Events.Skip(1), e => Assert.True(e.Revision >= update.Events[0].Revision));
            if (update.Events.Any(e => e.Revision == txn.Revision))
            {
                // The whole revision in one update, not one per fragment.
                Assert.Equal(3, update.Events.Count(e => e.Revision == txn.Revision));
            }

            events.AddRange(update.Events);
        }

        Assert.Equal(6, events.Count);
        Assert.All(events.Skip(3), e => Assert.Equal(value.Length, e.PreviousKeyValue!.Value.Length));
    }

    private static int Watchers(WatchHubCounts counts) => counts.Synced + counts.Unsynced + counts.Victims;

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not come true within 10 s");
            await Task.Delay(20);
        }
    }

    /// <summary>Watches one revision on a bare gRPC stream and returns the responses that carry it.</summary>
    private static async Task<List<Etcd.WatchResponse>> RawFragmentsAsync(string url, long revision)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await RawFragmentsOnceAsync(url, revision);
            }
            catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable && attempt < 3)
            {
                // A bare call has no resume logic, and the server closes connections it finds
                // idle at its once-a-second check, sometimes just as this call starts on one.
            }
        }
    }

    private static async Task<List<Etcd.WatchResponse>> RawFragmentsOnceAsync(string url, long revision)
    {
        using var channel = GrpcChannel.ForAddress(url);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var call = new Etcd.Watch.WatchClient(channel).Watch(cancellationToken: limit.Token);
        await call.RequestStream.WriteAsync(new Etcd.WatchRequest
        {
            CreateRequest = new Etcd.WatchCreateRequest
            {
                Key = Google.Protobuf.ByteString.CopyFromUtf8("/big/"),
                RangeEnd = Google.Protobuf.ByteString.CopyFromUtf8("/big0"),
                StartRevision = revision,
                PrevKv = true,
                Fragment = true,
            },
        });
        var pieces = new List<Etcd.WatchResponse>();
        while (await call.ResponseStream.MoveNext(limit.Token))
        {
            var response = call.ResponseStream.Current;
            if (response.Events.Count > 0)
            {
                pieces.Add(response);
                if (!response.Fragment)
                {
                    break;
                }
            }
        }

        return pieces;
    }
}
