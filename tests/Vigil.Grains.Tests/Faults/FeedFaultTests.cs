using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Vigil.Core.Mvcc;
using Vigil.Core.Watch;
using Vigil.Grains.Tests.Harness;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Grains.Tests.Faults;

/// <summary>
/// Feed messages dropped and delivered twice on purpose, in real silos: every watcher still
/// gets every change of its range exactly once, in order, because receivers check
/// (after, upTo] and repair gaps from history.
/// </summary>
[Collection(FeedFaultCollection.Name)]
public sealed class FeedFaultTests
{
    [Fact]
    public async Task DroppedAndDuplicatedFeedMessagesLeaveNoHoleAndNoDuplicateInAnyWatcher()
    {
        await using var cluster = await VigilTestCluster.StartAsync(keyRangeSplits: "/c,/k", configure: b => b.AddSiloBuilderConfigurator<Faulty>());
        var node = cluster.Node();
        var start = (await node.KeySpace.GetStateAsync(CancellationToken.None)).Revision;
        using var stream = node.Watches.OpenStream();
        var ranges = new[] { KeyRange.Prefix(Bytes("/")), KeyRange.Prefix(Bytes("/a")), KeyRange.FromRequest(Bytes("/b"), Bytes("/m")), KeyRange.Single(Bytes("/k/1")) };
        foreach (var (range, id) in ranges.Select((r, i) => (r, (long)i + 1)))
        {
            stream.Create(new WatchCreateRequest { Key = range.Key, RangeEnd = range.End, WatchId = id, StartRevision = start + 1 });
        }

        FeedFaultFilter.Set(dropPercent: 30, duplicatePercent: 20);
        var keys = new[] { "/a/1", "/a/2", "/b/1", "/c/1", "/d", "/k/1", "/k/2", "/z" };
        await Task.WhenAll(Enumerable.Range(0, 3).Select(writer => Task.Run(async () =>
        {
            var random = new Random(writer);
            for (var i = 0; i < 150; i++)
            {
                var key = Bytes(keys[random.Next(keys.Length)]);
                if (random.Next(5) == 0)
                {
                    await node.KeySpace.DeleteRangeAsync(new DeleteRangeRequest { Key = key }, CancellationToken.None);
                }
                else if (random.Next(4) == 0)
                {
                    var txn = new TxnRequest();
                    txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = Bytes($"t{writer}-{i}") } });
                    txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Bytes(keys[random.Next(keys.Length)] + "/x"), Value = Bytes("x") } });
                    await node.KeySpace.TxnAsync(txn, CancellationToken.None);
                }
                else
                {
                    await node.KeySpace.PutAsync(new PutRequest { Key = key, Value = Bytes($"{writer}-{i}") }, CancellationToken.None);
                }

                // Spread the writes out, so that the feed carries many small batches.
                await Task.Delay(random.Next(3));
            }
        })));

        var end = (await node.KeySpace.GetStateAsync(CancellationToken.None)).Revision;
        var history = await node.Store.ReadHistoryAsync(start + 1, end, 100_000, CancellationToken.None);
        var received = await ReceiveUntilAsync(stream, ranges.Length, end);
        FeedFaultFilter.Set(0, 0);

        foreach (var method in new[] { "AppendAsync", "OnBatchAsync" })
        {
            Assert.True(FeedFaultFilter.Count(method, "dropped") > 0, method + " calls were dropped");
            Assert.True(FeedFaultFilter.Count(method, "duplicated") > 0, method + " calls were duplicated");
        }

        for (var i = 0; i < ranges.Length; i++)
        {
            var expected = history.Events.Where(e => ranges[i].Contains(e.Kv.Key.Span)).Select(Describe).ToList();
            Assert.NotEmpty(expected);
            Assert.Equal(expected, received[i + 1].Select(Describe).ToList());
        }
    }

    private static async Task<Dictionary<long, List<Event>>> ReceiveUntilAsync(WatchStream stream, int watchers, long revision)
    {
        var received = Enumerable.Range(1, watchers).ToDictionary(i => (long)i, _ => new List<Event>());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        stream.RequestProgress();
        while (true)
        {
            Assert.True(await stream.WaitToReadAsync(timeout.Token));
            while (stream.TryRead(out var response))
            {
                if (response.WatchId == -1 && response.Header.Revision >= revision)
                {
                    return received;
                }

                if (response.WatchId == -1)
                {
                    await Task.Delay(50, timeout.Token);
                    stream.RequestProgress();
                }
                else if (received.TryGetValue(response.WatchId, out var list))
                {
                    list.AddRange(response.Events);
                }
            }
        }
    }

    private static string Describe(Event change) => $"{change.Kv.ModRevision}:{change.Type}:{change.Kv.Key.ToStringUtf8()}:{change.Kv.Value.ToStringUtf8()}";

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);

    private sealed class Faulty : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) => siloBuilder.AddOutgoingGrainCallFilter<FeedFaultFilter>();
    }
}

/// <summary>The fault filter's switches are process-wide: its tests run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FeedFaultCollection
{
    public const string Name = "feed faults";
}
