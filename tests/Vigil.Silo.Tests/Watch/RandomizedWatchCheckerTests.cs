using System.Collections.Concurrent;
using Google.Protobuf;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;
using CompareResult = Vigil.Protocol.Etcdserverpb.Compare.Types.CompareResult;
using CompareTarget = Vigil.Protocol.Etcdserverpb.Compare.Types.CompareTarget;
using FilterType = Vigil.Protocol.Etcdserverpb.WatchCreateRequest.Types.FilterType;

namespace Vigil.Silo.Tests.Watch;

/// <summary>
/// Random puts, deletes and txns from several writers while many watchers of every shape
/// (keys, prefixes, ranges, from-key, all keys; past, current and future start revisions;
/// filters; prev_kv) come and read over several streams. Each watcher's stream must equal
/// the one an independent model derives from the writers' acknowledged results: ordered,
/// each event once, all events of a revision in one response, nothing missing, right prev_kv.
/// </summary>
[Collection(Vigil.Testing.PostgresCollection.Name)]
public sealed class RandomizedWatchCheckerTests(Vigil.Testing.PostgresFixture fixture)
{
    private static readonly string[] Prefixes = ["a/", "b/", "c/"];

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private sealed record Acknowledged(long Revision, List<RequestOp> Ops, TxnRequest? Txn, bool Succeeded);

    private sealed record WatcherSpec(int Stream, long Id, WatchCreateRequest Create);

    // Small queues and catch-up pages so that parking, paging and catch-up all happen.
    private static readonly Dictionary<string, string?> SmallCaps = new()
    {
        ["Vigil:Engine:Watch:MaxWatcherQueuedResponses"] = "4",
        ["Vigil:Engine:Watch:SyncBatchEvents"] = "50",
        ["Vigil:Engine:Watch:MaxCatchUpResponseBytes"] = "2048",
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task EveryWatcherSeesExactlyTheHistoryOfItsRange(int seed)
    {
        await using var server = await TestServer.StartAsync(SmallCaps);
        await using var connection = server.Connect();
        await CheckAsync([connection], seed);
    }

    /// <summary>
    /// The same on three silos over one PostgreSQL database, with the key space cut into four
    /// key ranges (so a watcher of several prefixes merges several range feeds): writers and
    /// watchers on every silo.
    /// </summary>
    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public async Task EveryWatcherOnAThreeSiloClusterWithFourKeyRangesSeesExactlyTheHistoryOfItsRange(int seed)
    {
        var store = await fixture.CreateDatabaseAsync("checker");
        var silos = new List<TestServer>();
        var connections = new List<RawConnection>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                silos.Add(await TestServer.StartAsync(SmallCaps, "--store", store, "--name", "silo" + i, "--key-range-splits", "a/,b/,c/"));
                connections.Add(silos[i].Connect());
            }

            await CheckAsync([.. connections], seed);
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }

            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }

    /// <summary>Writers, watch streams and watch creates spread over <paramref name="connections"/> (one per silo).</summary>
    private async Task CheckAsync(RawConnection[] connections, int seed)
    {
        var random = new Random(seed);
        var acknowledged = new ConcurrentBag<Acknowledged>();

        var streams = Enumerable.Range(0, 5).Select(i => new WatchStreamClient(connections[i % connections.Length])).ToArray();
        var watchers = new ConcurrentBag<WatcherSpec>();
        try
        {
            var writers = Enumerable.Range(0, 4)
                .Select(w => Task.Run(() => WriteAsync(connections[w % connections.Length], new Random(seed * 100 + w), 250, acknowledged)))
                .ToArray();
            var watching = Task.Run(async () =>
            {
                for (var i = 0; i < 120; i++)
                {
                    var stream = random.Next(streams.Length);
                    var reader = connections[random.Next(connections.Length)];
                    var current = (await reader.UnaryAsync("/etcdserverpb.KV/Range", new RangeRequest { Key = B("x") }, RangeResponse.Parser)).Header.Revision;
                    var create = RandomWatch(random, current);
                    create.WatchId = i + 1;
                    watchers.Add(new WatcherSpec(stream, create.WatchId, create));
                    await streams[stream].CreateAsync(create);
                    await Task.Delay(random.Next(0, 15));
                }
            });
            await Task.WhenAll(writers);
            await watching;

            var model = new HistoryModel();
            foreach (var write in acknowledged.OrderBy(a => a.Revision))
            {
                if (write.Txn is not null)
                {
                    // The model agrees with the server on which branch the txn took.
                    Assert.Equal(write.Succeeded, write.Txn.Compare.All(c => Holds(model, c)));
                }

                model.Apply(write.Revision, write.Ops);
            }

            var final = model.Revision;
            Assert.True(final > 800, $"only {final} revisions were written");
            foreach (var stream in streams)
            {
                await stream.DrainThroughAsync(final);
            }

            var checkedEvents = 0;
            foreach (var watcher in watchers)
            {
                var responses = streams[watcher.Stream].All.Where(r => r.WatchId == watcher.Id).ToList();
                var created = responses.First();
                Assert.True(created.Created && !created.Canceled, $"watcher {watcher.Id}: {created}");
                var from = watcher.Create.StartRevision > 0 ? watcher.Create.StartRevision : created.Header.Revision + 1;
                var expected = model.Expected(watcher.Create, from, final).ToList();
                var received = responses.Skip(1).SelectMany(r => r.Events).ToList();
                Assert.True(
                    expected.SequenceEqual(received),
                    $"seed {seed}, watcher {watcher.Id} {watcher.Create}: expected {expected.Count} events, received {received.Count}; first difference at " +
                    Enumerable.Range(0, Math.Min(expected.Count, received.Count) + 1).FirstOrDefault(i => i >= expected.Count || i >= received.Count || !expected[i].Equals(received[i])));

                // All events of a revision in one response, responses in revision order,
                // and no response claims a revision below its events.
                var byRevision = responses.Skip(1).SelectMany((r, i) => r.Events.Select(e => (e.Kv.ModRevision, Response: i)));
                Assert.All(byRevision.GroupBy(x => x.ModRevision), g => Assert.Single(g.Select(x => x.Response).Distinct()));
                Assert.All(responses.Skip(1), r => Assert.True(r.Events.Count == 0 || r.Header.Revision >= r.Events[^1].Kv.ModRevision));
                checkedEvents += received.Count;
            }

            Assert.True(checkedEvents > 2000, $"only {checkedEvents} events were checked");
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    private static async Task WriteAsync(RawConnection connection, Random random, int count, ConcurrentBag<Acknowledged> acknowledged)
    {
        for (var i = 0; i < count; i++)
        {
            var choice = random.Next(10);
            if (choice < 5)
            {
                var put = new PutRequest { Key = B(RandomKey(random)), Value = B("v" + random.Next(1000)) };
                var response = await connection.UnaryAsync("/etcdserverpb.KV/Put", put, PutResponse.Parser);
                acknowledged.Add(new Acknowledged(response.Header.Revision, [new RequestOp { RequestPut = put }], null, true));
            }
            else if (choice < 7)
            {
                var delete = random.Next(3) == 0
                    ? new DeleteRangeRequest { Key = B(Prefixes[random.Next(3)]), RangeEnd = KeyRange.PrefixEnd(B(Prefixes[random.Next(3)])) }
                    : new DeleteRangeRequest { Key = B(RandomKey(random)) };
                if (KeyRange.FromRequest(delete.Key, delete.RangeEnd).IsEmpty)
                {
                    continue;
                }

                var response = await connection.UnaryAsync("/etcdserverpb.KV/DeleteRange", delete, DeleteRangeResponse.Parser);
                if (response.Deleted > 0)
                {
                    acknowledged.Add(new Acknowledged(response.Header.Revision, [new RequestOp { RequestDeleteRange = delete }], null, true));
                }
            }
            else
            {
                var txn = RandomTxn(random);
                var response = await connection.UnaryAsync("/etcdserverpb.KV/Txn", txn, TxnResponse.Parser);
                var branch = (response.Succeeded ? txn.Success : txn.Failure).ToList();
                var changed = branch.Any(op => op.RequestCase == RequestOp.RequestOneofCase.RequestPut)
                    || response.Responses.Any(r => r.ResponseCase == ResponseOp.ResponseOneofCase.ResponseDeleteRange && r.ResponseDeleteRange.Deleted > 0);
                if (changed)
                {
                    acknowledged.Add(new Acknowledged(response.Header.Revision, branch, txn, response.Succeeded));
                }
            }
        }
    }

    private static string RandomKey(Random random) => Prefixes[random.Next(3)] + random.Next(8);

    private static TxnRequest RandomTxn(Random random)
    {
        var txn = new TxnRequest();
        var key = RandomKey(random);
        txn.Compare.Add(random.Next(2) == 0
            ? new Compare { Key = B(key), Target = CompareTarget.Version, Result = (CompareResult)random.Next(4), Version = random.Next(3) }
            : new Compare { Key = B(key), Target = CompareTarget.Value, Result = CompareResult.Equal, Value = B("v" + random.Next(1000)) });

        // Distinct keys per branch, and deletes only of keys the branch does not put.
        foreach (var branch in new[] { txn.Success, txn.Failure })
        {
            var keys = Enumerable.Range(0, 4).Select(_ => RandomKey(random)).Distinct().ToList();
            foreach (var k in keys)
            {
                branch.Add(random.Next(3) == 0
                    ? new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = B(k) } }
                    : new RequestOp { RequestPut = new PutRequest { Key = B(k), Value = B("t" + random.Next(1000)) } });
            }
        }

        return txn;
    }

    private static WatchCreateRequest RandomWatch(Random random, long current)
    {
        var create = new WatchCreateRequest { PrevKv = random.Next(2) == 0, Fragment = random.Next(4) == 0 };
        switch (random.Next(5))
        {
            case 0:
                create.Key = B(RandomKey(random));
                break;
            case 1:
                var prefix = Prefixes[random.Next(3)];
                create.Key = B(prefix);
                create.RangeEnd = KeyRange.PrefixEnd(B(prefix));
                break;
            case 2:
                var (low, high) = (RandomKey(random), RandomKey(random));
                if (string.CompareOrdinal(low, high) > 0)
                {
                    (low, high) = (high, low);
                }

                create.Key = B(low);
                create.RangeEnd = B(high + "\u0001");
                break;
            case 3:
                create.Key = B(RandomKey(random));
                create.RangeEnd = KeyRange.ZeroKey;
                break;
            default:
                create.Key = KeyRange.ZeroKey;
                create.RangeEnd = KeyRange.ZeroKey;
                break;
        }

        create.StartRevision = random.Next(4) switch
        {
            0 => 0,
            1 => Math.Max(1, current - random.Next(200)),
            2 => random.Next(1, (int)current + 1),
            _ => current + random.Next(1, 6),
        };
        if (random.Next(5) == 0)
        {
            create.Filters.Add(FilterType.Noput);
        }
        else if (random.Next(5) == 0)
        {
            create.Filters.Add(FilterType.Nodelete);
        }

        return create;
    }

    private static bool Holds(HistoryModel model, Compare compare)
    {
        var kv = model.Get(compare.Key);
        if (compare.Target == CompareTarget.Value)
        {
            return kv is not null && kv.Value.Span.SequenceEqual(compare.Value.Span);
        }

        var order = (kv?.Version ?? 0).CompareTo(compare.Version);
        return compare.Result switch
        {
            CompareResult.Equal => order == 0,
            CompareResult.NotEqual => order != 0,
            CompareResult.Greater => order > 0,
            _ => order < 0,
        };
    }
}
