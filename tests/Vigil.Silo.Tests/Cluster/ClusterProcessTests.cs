using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Grpc.Core;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Silo.Tests.Watch;
using Vigil.Testing;

namespace Vigil.Silo.Tests.Cluster;

/// <summary>Vigil nodes as real processes over one PostgreSQL, killed with SIGKILL.</summary>
[Collection(PostgresCollection.Name)]
public sealed partial class ClusterProcessTests(PostgresFixture fixture)
{
    private static WatchCreateRequest Prefix(string prefix, long start) =>
        new() { Key = ClusterWorkload.B(prefix), RangeEnd = KeyRange.PrefixEnd(ClusterWorkload.B(prefix)), WatchId = 1, StartRevision = start };

    [Fact]
    public async Task AWatcherResumesOnAnotherNodeAfterItsNodeIsKilledAndMissesNothing()
    {
        var store = await fixture.CreateDatabaseAsync("failover");
        await using var a = await VigilSiloProcess.StartAsync("a", ["--store", store]);
        await using var b = await VigilSiloProcess.StartAsync("b", ["--store", store]);
        await using var toA = new RawConnection(a.ClientUrl);
        await using var toB = new RawConnection(b.ClientUrl);

        // Writers on both nodes; the one on A dies with it.
        var workload = new ClusterWorkload();
        var received = new List<Vigil.Protocol.Mvccpb.Event>();
        var watch = new WatchStreamClient(toA);
        await watch.CreateAsync(Prefix("f/", start: 1));
        await watch.WaitForAsync(r => r.Created);

        using var stopWriting = new CancellationTokenSource();
        var writerOnB = Task.Run(async () =>
        {
            var random = new Random(2);
            while (!stopWriting.IsCancellationRequested)
            {
                // While the sequencer moves off the killed silo, writes fail UNAVAILABLE.
                await workload.WriteAsync(toB, "f/", 10, random, tolerateUnavailable: true);
            }
        });
        var writerOnA = Task.Run(async () =>
        {
            try
            {
                await workload.WriteAsync(toA, "f/", 100_000, new Random(1));
            }
            catch (RpcException)
            {
                // A was killed: its in-flight write was not acknowledged.
            }
        });

        await watch.WaitForAsync(r => r.Events.Count > 0 && r.Events[^1].Kv.ModRevision > 150, TimeSpan.FromSeconds(60));
        a.Kill();
        await writerOnA;

        // Take what arrived from A, then resume on B right after the last revision seen.
        foreach (var response in watch.All.Where(r => r.WatchId == 1))
        {
            received.AddRange(response.Events);
        }

        await watch.DisposeAsync();
        var last = received[^1].Kv.ModRevision;
        await using var resumed = new WatchStreamClient(toB);
        await resumed.CreateAsync(Prefix("f/", start: last + 1));
        await resumed.WaitForAsync(r => r.Created);
        await Task.Delay(500);
        await stopWriting.CancelAsync();
        await writerOnB;

        var model = await workload.ModelAsync(toB, "f/");
        var progress = await resumed.DrainThroughAsync(model.Revision);
        var fromA = received.Count;
        received.AddRange(resumed.All.Where(r => r.WatchId == 1).SelectMany(r => r.Events));

        // The merged stream is the whole history: nothing lost or doubled across the kill,
        // and every write A acknowledged before dying is there.
        var expected = model.Expected(Prefix("f/", 1), 1, model.Revision).ToList();
        if (!expected.SequenceEqual(received))
        {
            await Task.Delay(2000);
            var late = resumed.All.Where(r => r.WatchId == 1).SelectMany(r => r.Events).Count() - (received.Count - fromA);
            var got = received.Select(e => e.Kv.ModRevision).ToHashSet();
            var want = expected.Select(e => e.Kv.ModRevision).ToHashSet();
            Assert.Fail($"received {received.Count} events ({fromA} from A, last {last}), expected {expected.Count} through {model.Revision}; " +
                $"progress at {progress.Header.Revision}; {late} arrived after it; missing revisions [{string.Join(",", want.Except(got).Order())}], " +
                $"unexpected [{string.Join(",", got.Except(want).Order())}]; rejected writes {workload.Rejected}");
        }
    }

    [Fact]
    public async Task TheDotNetClientFailsOverMidWatchWhenItsNodeIsKilled()
    {
        var store = await fixture.CreateDatabaseAsync("clientfailover");
        await using var a = await VigilSiloProcess.StartAsync("a", ["--store", store]);
        await using var b = await VigilSiloProcess.StartAsync("b", ["--store", store]);
        await using var writes = new RawConnection(b.ClientUrl);
        await using var client = new Vigil.Client.VigilClient(a.ClientUrl, b.ClientUrl);

        var workload = new ClusterWorkload();
        var received = new List<Vigil.Client.WatchEvent>();
        var lastSeen = 0L;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var watching = Task.Run(async () =>
        {
            await foreach (var update in client.WatchPrefixAsync("g/", new Vigil.Client.WatchOptions { StartRevision = 1 }, stop.Token))
            {
                lock (received)
                {
                    received.AddRange(update.Events);
                    if (update.Events.Count > 0)
                    {
                        Volatile.Write(ref lastSeen, update.Events[^1].Revision);
                    }
                }
            }
        });

        using var stopWriting = new CancellationTokenSource();
        var writing = Task.Run(async () =>
        {
            var random = new Random(7);
            while (!stopWriting.IsCancellationRequested)
            {
                await workload.WriteAsync(writes, "g/", 10, random, tolerateUnavailable: true);
            }
        });

        await WaitUntilAsync(() => Volatile.Read(ref lastSeen) > 100);
        Assert.Equal(a.ClientUrl, client.CurrentEndpoint.ToString().TrimEnd('/'));
        a.Kill();
        var seenAtKill = Volatile.Read(ref lastSeen);
        await WaitUntilAsync(() => Volatile.Read(ref lastSeen) > seenAtKill + 100);
        await stopWriting.CancelAsync();
        await writing;

        var model = await workload.ModelAsync(writes, "g/");
        await WaitUntilAsync(() => Volatile.Read(ref lastSeen) >= model.Revision);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => watching);

        var expected = model.Expected(Prefix("g/", 1), 1, model.Revision)
            .Select(e => (e.Type.ToString(), e.Kv.Key.ToStringUtf8(), e.Kv.Value.ToStringUtf8(), e.Kv.ModRevision, e.Kv.Version))
            .ToList();
        var actual = received
            .Select(e => (e.Type.ToString(), e.KeyValue.KeyString, e.KeyValue.ValueString, e.Revision, e.KeyValue.Version))
            .ToList();
        Assert.Equal(expected, actual);
        Assert.Equal(b.ClientUrl, client.CurrentEndpoint.ToString().TrimEnd('/'));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; !condition(); i++)
        {
            Assert.True(i < 600, "timed out waiting");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task TheCompactionDutyMovesToAnotherNodeWhenItsHolderDies()
    {
        var store = await fixture.CreateDatabaseAsync("duty");
        var environment = new Dictionary<string, string?>
        {
            ["Vigil__Engine__AutoCompaction__RevisionCheckInterval"] = "00:00:00.200",
            ["Vigil__Engine__DutyInterval"] = "00:00:00.200",
        };
        string[] args = ["--store", store, "--auto-compaction-mode", "revision", "--auto-compaction-retention", "10"];
        var nodes = new[]
        {
            await VigilSiloProcess.StartAsync("n1", args, environment: environment),
            await VigilSiloProcess.StartAsync("n2", args, environment: environment),
            await VigilSiloProcess.StartAsync("n3", args, environment: environment),
        };
        try
        {
            var holder = await HolderAsync(nodes);
            await using (var writes = new RawConnection(nodes.First(n => n != holder).ClientUrl))
            {
                var compacted = await WriteUntilCompactedPastAsync(writes, 40);
                holder.Kill();

                // Another node takes the duty and compaction goes on past what it was.
                var survivors = nodes.Where(n => n != holder).ToArray();
                var next = await HolderAsync(survivors);
                Assert.NotEqual(holder, next);
                await WriteUntilCompactedPastAsync(writes, compacted + 30);
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    /// <summary>Writes until a read at some old revision reports compaction past <paramref name="target"/>.</summary>
    private static async Task<long> WriteUntilCompactedPastAsync(RawConnection writes, long target)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        for (var i = 0; DateTime.UtcNow < deadline; i++)
        {
            var revision = (await writes.UnaryAsync("/etcdserverpb.KV/Put", new PutRequest { Key = ClusterWorkload.B("d/" + (i % 5)), Value = ClusterWorkload.B("v") }, PutResponse.Parser)).Header.Revision;
            if (revision > target + 10)
            {
                try
                {
                    await writes.UnaryAsync("/etcdserverpb.KV/Range", new RangeRequest { Key = ClusterWorkload.B("d/"), Revision = target }, RangeResponse.Parser);
                }
                catch (RpcException error) when (error.StatusCode == StatusCode.OutOfRange)
                {
                    return target;
                }

                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"history was not compacted past {target}");
    }

    /// <summary>The node whose /metrics says it runs auto-compaction (waits until one does).</summary>
    private static async Task<VigilSiloProcess> HolderAsync(IReadOnlyList<VigilSiloProcess> nodes)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var holders = new List<VigilSiloProcess>();
            foreach (var node in nodes)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, node.ClientUrl + "/metrics")
                {
                    Version = HttpVersion.Version20,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                };
                using var response = await http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                var held = DutyHeld().Match(text);
                Assert.True(held.Success, "no duty gauge in /metrics:\n" + text);
                if (int.Parse(held.Groups[1].Value, CultureInfo.InvariantCulture) == 1)
                {
                    holders.Add(node);
                }
            }

            Assert.True(holders.Count <= 1, "two nodes run the duty at once");
            if (holders.Count == 1)
            {
                return holders[0];
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("no node took the auto-compaction duty");
    }

    [GeneratedRegex("vigil_duty_held\\{duty=\"auto-compaction\"\\} ([01])")]
    private static partial Regex DutyHeld();
}
