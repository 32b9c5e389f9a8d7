using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Runtime;
using Orleans.TestingHost;
using Vigil.Core.Watch;
using Vigil.GrainInterfaces.Cluster;
using Vigil.Grains.Tests.Harness;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;
using Vigil.Testing;

namespace Vigil.Grains.Tests;

/// <summary>Several silos over one PostgreSQL database, in this process.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterTests(PostgresFixture postgres)
{
    [Fact]
    public async Task EverySiloWatcherSeesTheWritesOfEverySiloInOneOrder()
    {
        await using var cluster = await VigilTestCluster.StartAsync(silos: 3, store: await postgres.CreateDatabaseAsync("grains"), keyRangeSplits: "/m");
        var nodes = Enumerable.Range(0, 3).Select(cluster.Node).ToArray();
        var streams = nodes.Select(n => n.Watches.OpenStream()).ToArray();
        foreach (var stream in streams)
        {
            stream.Create(new WatchCreateRequest { Key = Bytes("/"), RangeEnd = Bytes("0") });
        }

        await Task.WhenAll(nodes.Select((node, i) => Task.Run(async () =>
        {
            for (var n = 0; n < 30; n++)
            {
                var key = (n % 2 == 0 ? "/a/" : "/z/") + i;
                await node.KeySpace.PutAsync(new PutRequest { Key = Bytes(key), Value = Bytes(n.ToString()) }, CancellationToken.None);
            }
        })));

        var seen = await Task.WhenAll(streams.Select(s => ReadEventsAsync(s, 90)));
        var expected = seen[0].Select(Describe).ToList();
        Assert.Equal(90, expected.Distinct().Count());
        Assert.Equal(expected.OrderBy(e => long.Parse(e.Split(':')[0])), expected);
        Assert.All(seen, events => Assert.Equal(expected, events.Select(Describe)));
        foreach (var stream in streams)
        {
            stream.Dispose();
        }
    }

    [Fact]
    public async Task MemberListNamesTheActiveSilosAndDropsAStoppedOne()
    {
        await using var cluster = await VigilTestCluster.StartAsync(silos: 3, store: await postgres.CreateDatabaseAsync("grains"));
        var members = await cluster.Node(0).ListMembersAsync();
        await WaitUntilAsync(async () => (members = await cluster.Node(0).ListMembersAsync()).Count == 3);
        Assert.Equal(3, members.Select(m => m.Id).Distinct().Count());
        Assert.Equal(3, members.Select(m => m.ClientUrls[0]).Distinct().Count());

        var stopped = cluster.Node(2).Identity.MemberId;
        await cluster.Cluster.StopSiloAsync(cluster.Cluster.Silos[2]);
        await WaitUntilAsync(async () => (members = await cluster.Node(0).ListMembersAsync()).Count == 2);
        Assert.DoesNotContain(members, m => m.Id == stopped);
    }

    [Fact]
    public async Task MemberListIsCompleteRightAfterTheRegistryReactivates()
    {
        var (cluster, registry) = await StartSilosThatRegisterOnceAsync();
        await using var _ = cluster;
        var expected = Enumerable.Range(0, 3).Select(i => cluster.Node(i).Identity.MemberId).Order().ToArray();

        await registry.AsReference<IGrainManagementExtension>().DeactivateOnIdle();

        Assert.Equal(expected, (await registry.ListAsync()).Select(m => m.Id));
    }

    [Fact]
    public async Task AStoppedSiloStaysOffTheMemberListAfterTheRegistryReactivates()
    {
        var (cluster, registry) = await StartSilosThatRegisterOnceAsync();
        await using var _ = cluster;
        var expected = Enumerable.Range(0, 2).Select(i => cluster.Node(i).Identity.MemberId).Order().ToArray();

        // Stopped, and known dead to both remaining silos, with nobody asking the registry
        // meanwhile: its stored entry is still there when the registry re-activates.
        var stopped = cluster.Cluster.Silos[2].SiloAddress;
        var remaining = cluster.Cluster.Silos.Take(2).Cast<InProcessSiloHandle>().ToArray();
        await cluster.Cluster.StopSiloAsync(cluster.Cluster.Silos[2]);
        await WaitUntilAsync(() => Task.FromResult(remaining.All(silo =>
            silo.SiloHost.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.GetSiloStatus(stopped) == SiloStatus.Dead)));

        await registry.AsReference<IGrainManagementExtension>().DeactivateOnIdle();

        Assert.Equal(expected, (await registry.ListAsync()).Select(m => m.Id));
    }

    [Fact]
    public async Task AutomaticCompactionRunsInTheClusterAndGoesOnAfterASiloStops()
    {
        await using var cluster = await VigilTestCluster.StartAsync(
            silos: 2,
            store: await postgres.CreateDatabaseAsync("grains"),
            settings: new Dictionary<string, string>
            {
                ["Vigil:AutoCompaction:Mode"] = "Revision",
                ["Vigil:AutoCompaction:Revisions"] = "5",
                ["Vigil:AutoCompaction:RevisionCheckInterval"] = "00:00:00.300",
                ["Vigil:DutyInterval"] = "00:00:00.200",
            });
        var node = cluster.Node(0);
        for (var i = 0; i < 20; i++)
        {
            await node.KeySpace.PutAsync(new PutRequest { Key = Bytes("/k"), Value = Bytes(i.ToString()) }, CancellationToken.None);
        }

        var revision = (await node.KeySpace.GetStateAsync(CancellationToken.None)).Revision;
        await WaitUntilAsync(async () => (await node.KeySpace.GetStateAsync(CancellationToken.None)).CompactRevision == revision - 5);

        // Stop whichever silo is not the one we write through; the duty must go on.
        await cluster.Cluster.StopSiloAsync(cluster.Cluster.Silos[1]);
        for (var i = 0; i < 20; i++)
        {
            await node.KeySpace.PutAsync(new PutRequest { Key = Bytes("/k"), Value = Bytes(i.ToString()) }, CancellationToken.None);
        }

        revision = (await node.KeySpace.GetStateAsync(CancellationToken.None)).Revision;
        await WaitUntilAsync(async () => (await node.KeySpace.GetStateAsync(CancellationToken.None)).CompactRevision == revision - 5);
    }

    /// <summary>
    /// Three silos that register once at start and then not again for a minute, once the
    /// registry lists all three: whatever it lists after it re-activated, it did not learn
    /// from a refresh.
    /// </summary>
    private async Task<(VigilTestCluster Cluster, IMemberRegistryGrain Registry)> StartSilosThatRegisterOnceAsync()
    {
        var cluster = await VigilTestCluster.StartAsync(
            silos: 3,
            store: await postgres.CreateDatabaseAsync("grains"),
            settings: new Dictionary<string, string> { ["Vigil:DutyInterval"] = "00:01:00" });
        var registry = cluster.Grains.GetGrain<IMemberRegistryGrain>(0);
        try
        {
            await WaitUntilAsync(async () => (await registry.ListAsync()).Length == 3);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return (cluster, registry);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 30 s");
            await Task.Delay(100);
        }
    }

    private static string Describe(Event change) => $"{change.Kv.ModRevision}:{change.Kv.Key.ToStringUtf8()}:{change.Kv.Value.ToStringUtf8()}";

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);

    private static async Task<List<Event>> ReadEventsAsync(WatchStream stream, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
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
