using System.Diagnostics;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;
using Vigil.Silo.Tests.Watch;
using Vigil.Testing;
using Xunit.Abstractions;

namespace Vigil.Silo.Tests.Cluster;

/// <summary>
/// Three silos as real processes over one PostgreSQL. Leases with keys are granted, then the
/// silo hosting the lessor is killed with SIGKILL just as they fall due: the lessor comes
/// back on another silo, renews every stored lease, and expires them all. A watcher on a
/// surviving silo must see every leased key deleted exactly once, both keys of a lease at one
/// revision, and nothing of the lease left afterwards. And a lease a client keeps alive
/// through that silo survives it: the client's keep-alives move to another silo and the
/// lessor that takes over honours them.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LeaseFaultTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const string Prefix = "lease/";
    private const int Leases = 300;
    private const long Ttl = 15;

    [Fact]
    public async Task KillingTheLessorsSiloWhileLeasesAreDueExpiresEachLeaseOnce()
    {
        var store = await fixture.CreateDatabaseAsync("lessorfault");
        string[] args = ["--store", store];
        await using var silos = await VigilSiloProcessGroup.StartAsync(3, args);
        var victim = await SiloFaultTests.HostOfAsync(silos, "lessor");
        var survivors = silos.Where(s => s != victim).ToArray();
        await using var client = new RawConnection(survivors[0].ClientUrl);
        await using var watching = new RawConnection(survivors[1].ClientUrl);
        await using var watcher = new WatchStreamClient(watching);
        await watcher.CreateAsync(new WatchCreateRequest { Key = B(Prefix), RangeEnd = KeyRange.PrefixEnd(B(Prefix)), WatchId = 1 });
        await watcher.WaitForAsync(r => r.Created);

        // Grants and leased puts go through the victim too: it is a silo like the others.
        await using var victimClient = new RawConnection(victim.ClientUrl);
        var granting = Stopwatch.StartNew();
        var ids = new long[Leases];
        using (var parallel = new SemaphoreSlim(16))
        {
            await Task.WhenAll(Enumerable.Range(0, Leases).Select(async i =>
            {
                await parallel.WaitAsync();
                try
                {
                    var connection = i % 2 == 0 ? client : victimClient;
                    var lease = await connection.UnaryAsync("/etcdserverpb.Lease/LeaseGrant", new LeaseGrantRequest { TTL = Ttl }, LeaseGrantResponse.Parser);
                    ids[i] = lease.ID;
                    await connection.UnaryAsync("/etcdserverpb.KV/Txn", new TxnRequest
                    {
                        Success =
                        {
                            new RequestOp { RequestPut = new PutRequest { Key = B($"{Prefix}{i}/a"), Value = B("v"), Lease = lease.ID } },
                            new RequestOp { RequestPut = new PutRequest { Key = B($"{Prefix}{i}/b"), Value = B("v"), Lease = lease.ID } },
                        },
                    }, TxnResponse.Parser);
                }
                finally
                {
                    parallel.Release();
                }
            }));
        }

        output.WriteLine($"{Leases} leases granted with two keys each in {granting.ElapsedMilliseconds} ms");
        Assert.Equal(Leases, ids.Distinct().Count());

        // Kill just before the first leases fall due, so their expiry is what the next lessor inherits.
        var untilDue = TimeSpan.FromSeconds(Ttl - 1) - granting.Elapsed;
        if (untilDue > TimeSpan.Zero)
        {
            await Task.Delay(untilDue);
        }

        victim.Kill();
        var killed = Stopwatch.StartNew();

        // Every key: one DELETE; both keys of a lease at one revision.
        var deletes = new Dictionary<string, long>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (deletes.Count < Leases * 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {deletes.Count} of {Leases * 2} leased keys were deleted");
            await Task.Delay(200);
            deletes.Clear();
            foreach (var change in watcher.All.Where(r => r.WatchId == 1).SelectMany(r => r.Events).Where(e => e.Type == Event.Types.EventType.Delete))
            {
                Assert.True(deletes.TryAdd(change.Kv.Key.ToStringUtf8(), change.Kv.ModRevision), $"{change.Kv.Key.ToStringUtf8()} was deleted twice");
            }
        }

        output.WriteLine($"all {Leases} leases expired {killed.ElapsedMilliseconds} ms after kill -9 of the lessor's silo");
        for (var i = 0; i < Leases; i++)
        {
            Assert.Equal(deletes[$"{Prefix}{i}/a"], deletes[$"{Prefix}{i}/b"]);
        }

        Assert.Equal(Leases, deletes.Values.Distinct().Count());
        var left = await client.UnaryAsync("/etcdserverpb.Lease/LeaseLeases", new LeaseLeasesRequest(), LeaseLeasesResponse.Parser);
        Assert.Empty(left.Leases);
        var keys = await client.UnaryAsync("/etcdserverpb.KV/Range", new RangeRequest { Key = B(Prefix), RangeEnd = KeyRange.PrefixEnd(B(Prefix)), CountOnly = true }, RangeResponse.Parser);
        Assert.Equal(0, keys.Count);

        // A moment later there is still no second delete of anything.
        var revision = keys.Header.Revision;
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(Leases * 2, watcher.All.Where(r => r.WatchId == 1).SelectMany(r => r.Events).Count(e => e.Type == Event.Types.EventType.Delete));
        Assert.Equal(revision, (await client.UnaryAsync("/etcdserverpb.KV/Range", new RangeRequest { Key = B("any") }, RangeResponse.Parser)).Header.Revision);
    }

    [Fact]
    public async Task AKeptLeaseSurvivesTheDeathOfTheSiloHoldingTheLessorAndItsClientsStream()
    {
        var store = await fixture.CreateDatabaseAsync("keepalivefault");
        string[] args = ["--store", store];
        await using var silos = await VigilSiloProcessGroup.StartAsync(3, args);
        // The client talks to the lessor's silo first: its keep-alive stream dies with it.
        var victim = await SiloFaultTests.HostOfAsync(silos, "lessor");
        var endpoints = new[] { victim }.Concat(silos.Where(s => s != victim)).Select(s => s.ClientUrl).ToArray();
        await using var client = new Vigil.Client.VigilClient(new Vigil.Client.VigilClientOptions
        {
            Endpoints = endpoints,
            DefaultTimeout = TimeSpan.FromSeconds(30),
        });
        await using var kept = await client.GrantKeptLeaseAsync(Ttl);
        await client.PutAsync("kept/key", "v", new Vigil.Client.PutOptions { Lease = kept.Id });
        await WaitForRenewalsAsync(kept, 1);

        victim.Kill();
        var killed = Stopwatch.StartNew();
        var before = kept.Renewals;

        // Keep-alives get through again (another silo, the lessor activated elsewhere)...
        await WaitForRenewalsAsync(kept, before + 1);
        output.WriteLine($"keep-alives answered again {killed.ElapsedMilliseconds} ms after kill -9");

        // ...and for two TTLs after the kill the lease and its key stay.
        while (killed.Elapsed < TimeSpan.FromSeconds(2 * Ttl))
        {
            Assert.False(kept.Lost.IsCompleted, "the kept lease was lost");
            await Task.Delay(1000);
        }

        var time = await client.LeaseTimeToLiveAsync(kept.Id, keys: true);
        Assert.True(time.Exists);
        Assert.Equal(["kept/key"], time.Keys);
        Assert.NotNull((await client.GetAsync("kept/key")).First);

        // Disposing revokes it on a surviving silo.
        await kept.DisposeAsync();
        Assert.Null((await client.GetAsync("kept/key")).First);
    }

    private static async Task WaitForRenewalsAsync(Vigil.Client.KeptLease kept, long renewals)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (kept.Renewals < renewals)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {kept.Renewals} keep-alives answered, waiting for {renewals}");
            Assert.False(kept.Lost.IsCompleted, "the kept lease was lost");
            await Task.Delay(100);
        }
    }

    private static Google.Protobuf.ByteString B(string text) => Google.Protobuf.ByteString.CopyFromUtf8(text);
}
