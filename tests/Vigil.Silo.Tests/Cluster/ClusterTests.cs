using Grpc.Core;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Silo.Tests.Watch;
using Vigil.Testing;

namespace Vigil.Silo.Tests.Cluster;

/// <summary>Several Vigil nodes over one real PostgreSQL database.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ClusterTests(PostgresFixture fixture)
{
    private static WatchCreateRequest Prefix(string prefix, long id, long start) =>
        new() { Key = ClusterWorkload.B(prefix), RangeEnd = KeyRange.PrefixEnd(ClusterWorkload.B(prefix)), WatchId = id, StartRevision = start, PrevKv = true };

    private async Task<TestServer[]> StartNodesAsync(int count, IDictionary<string, string?>? settings = null)
    {
        var store = await fixture.CreateDatabaseAsync("cluster");
        var nodes = new TestServer[count];
        for (var i = 0; i < count; i++)
        {
            nodes[i] = await TestServer.StartAsync(settings, "--store", store, "--name", "node" + (i + 1));
        }

        return nodes;
    }

    private static async Task DisposeAllAsync(IEnumerable<IAsyncDisposable> things)
    {
        foreach (var thing in things)
        {
            await thing.DisposeAsync();
        }
    }

    [Fact]
    public async Task WritersOnEveryNodeAndWatchersOnEveryNodeSeeOneIdenticalGapFreeHistory()
    {
        var nodes = await StartNodesAsync(3);
        var connections = nodes.Select(n => n.Connect()).ToArray();
        var streams = connections.Select(c => new WatchStreamClient(c)).ToArray();
        try
        {
            foreach (var stream in streams)
            {
                await stream.CreateAsync(Prefix("c/", 1, start: 1));
                await stream.CreateAsync(Prefix("c/", 2, start: 0));
                await stream.WaitForAsync(r => r.Created && r.WatchId == 2);
            }

            var workload = new ClusterWorkload();
            await Task.WhenAll(connections.Select((c, i) => Task.Run(() => workload.WriteAsync(c, "c/", 250, new Random(i)))));
            var model = await workload.ModelAsync(connections[0], "c/");
            var final = model.Revision;
            Assert.True(final >= 700, $"only {final} revisions");

            foreach (var stream in streams)
            {
                await stream.DrainThroughAsync(final);
            }

            var expected = model.Expected(Prefix("c/", 1, 1), 1, final).ToList();
            for (var node = 0; node < streams.Length; node++)
            {
                var fromStart = streams[node].All.Where(r => r.WatchId == 1).SelectMany(r => r.Events).ToList();
                Assert.True(expected.SequenceEqual(fromStart), $"node {node + 1}: {fromStart.Count} events, expected {expected.Count}");

                var created = streams[node].All.First(r => r.WatchId == 2 && r.Created);
                var fromNow = streams[node].All.Where(r => r.WatchId == 2).SelectMany(r => r.Events).ToList();
                Assert.True(model.Expected(Prefix("c/", 2, 0), created.Header.Revision + 1, final).SequenceEqual(fromNow), $"node {node + 1} (from now)");
            }

            // Every node lists all three as members. The retries are from when the member registry
            // kept registrations in memory only and a re-activation (grain directory partitions
            // move under load) waited for silos to register again; it now reads them from grain
            // storage (Vigil.Grains.Tests: ClusterTests.MemberListIsCompleteRightAfterTheRegistryReactivates).
            foreach (var connection in connections)
            {
                MemberListResponse members = new();
                for (var attempt = 0; attempt < 20 && members.Members.Count != 3; attempt++)
                {
                    if (attempt > 0)
                    {
                        await Task.Delay(500);
                    }

                    members = await connection.UnaryAsync("/etcdserverpb.Cluster/MemberList", new MemberListRequest(), MemberListResponse.Parser);
                }

                Assert.Equal(["node1", "node2", "node3"], members.Members.Select(m => m.Name).Order());
                Assert.Equal(3, members.Members.Select(m => m.ID).Distinct().Count());
            }
        }
        finally
        {
            await DisposeAllAsync(streams);
            await DisposeAllAsync(connections);
            await DisposeAllAsync(nodes);
        }
    }

    [Fact]
    public async Task WhilePostgresIsDownWritesFailUnavailableAndAfterwardsEveryNodeCatchesUp()
    {
        var nodes = await StartNodesAsync(2);
        var connections = nodes.Select(n => n.Connect()).ToArray();
        var streams = connections.Select(c => new WatchStreamClient(c)).ToArray();
        try
        {
            foreach (var stream in streams)
            {
                await stream.CreateAsync(Prefix("p/", 1, start: 1));
                await stream.WaitForAsync(r => r.Created);
            }

            var workload = new ClusterWorkload();
            await Task.WhenAll(connections.Select((c, i) => workload.WriteAsync(c, "p/", 50, new Random(i))));

            await fixture.Server.StopAsync();
            try
            {
                foreach (var connection in connections)
                {
                    var error = await Assert.ThrowsAsync<RpcException>(() => connection.UnaryAsync(
                        "/etcdserverpb.KV/Put", new PutRequest { Key = ClusterWorkload.B("p/outage"), Value = ClusterWorkload.B("x") }, PutResponse.Parser,
                        TimeSpan.FromSeconds(30)));
                    Assert.Equal(StatusCode.Unavailable, error.StatusCode);
                    Assert.Contains("store unavailable", error.Status.Detail);
                }

                // The watch streams are still open.
                Assert.All(streams, s => Assert.Null(s.ReadError));
            }
            finally
            {
                await fixture.Server.StartAsync();
            }

            await Task.WhenAll(connections.Select((c, i) => workload.WriteAsync(c, "p/", 50, new Random(10 + i), tolerateUnavailable: true)));
            var model = await workload.ModelAsync(connections[0], "p/");
            foreach (var stream in streams)
            {
                await stream.DrainThroughAsync(model.Revision);
                Assert.Null(stream.ReadError);
                var received = stream.All.Where(r => r.WatchId == 1).SelectMany(r => r.Events).ToList();
                Assert.True(model.Expected(Prefix("p/", 1, 1), 1, model.Revision).SequenceEqual(received), $"{received.Count} events");
            }
        }
        finally
        {
            await DisposeAllAsync(streams);
            await DisposeAllAsync(connections);
            await DisposeAllAsync(nodes);
        }
    }

    [Fact]
    public async Task EtcdctlWorksAgainstEveryNodeAtOnce()
    {
        var nodes = await StartNodesAsync(3);
        try
        {
            var all = new Etcdctl(string.Join(",", nodes.Select(n => $"127.0.0.1:{n.Port}")));
            var put = await all.RunAsync("put", "/multi", "v1");
            Assert.Equal((0, "OK"), (put.ExitCode, put.StandardOutput.Trim()));
            foreach (var node in nodes)
            {
                var get = await new Etcdctl($"127.0.0.1:{node.Port}").RunAsync("get", "/multi", "--print-value-only");
                Assert.Equal("v1", get.StandardOutput.Trim());
            }

            // A silo joining moves grain directory partitions, which can re-activate the member
            // registry. The retries are from when a re-activation waited for silos to register
            // again; it now reads the registrations from grain storage.
            string[] lines = [];
            for (var attempt = 0; attempt < 20 && lines.Length != 3; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(500);
                }

                var members = await all.RunAsync("member", "list");
                Assert.Equal(0, members.ExitCode);
                lines = members.StandardOutput.Trim().Split('\n');
            }

            Assert.Equal(3, lines.Length);
            foreach (var node in nodes)
            {
                Assert.Contains(lines, line => line.Contains($"http://127.0.0.1:{node.Port}", StringComparison.Ordinal));
            }

            // --cluster dials every member's client URL as MemberList reports it.
            var health = await all.RunAsync("endpoint", "health", "--cluster");
            Assert.Equal(0, health.ExitCode);
            Assert.Equal(3, health.StandardError.Split('\n').Count(l => l.Contains("is healthy", StringComparison.Ordinal)));
            var status = await all.RunAsync("endpoint", "status", "--cluster");
            Assert.Equal(0, status.ExitCode);
            Assert.Equal(3, status.StandardOutput.Trim().Split('\n').Length);
        }
        finally
        {
            await DisposeAllAsync(nodes);
        }
    }

    /// <summary>
    /// etcd#15271: a client that saw revision R on one silo and (re)creates a watch on another
    /// must not be told of anything older than R there. The feed pushes to both silos are held
    /// back a second each, so the second silo's hub is behind what the writer acknowledged.
    /// </summary>
    [Fact]
    public async Task ASiloWhoseFeedLagsCatchesUpBeforeServingAWatch()
    {
        var store = await fixture.CreateDatabaseAsync("lagging");
        static void Slow(ISiloBuilder silo) => silo.AddOutgoingGrainCallFilter<SlowFeedFilter>();
        await using var writer = await TestServer.StartAsync(null, Slow, "--store", store, "--name", "writer");
        await using var lagging = await TestServer.StartAsync(null, Slow, "--store", store, "--name", "lagging");
        await using var writes = writer.Connect();
        await using var reads = lagging.Connect();

        long seen = 0;
        for (var i = 0; i < 20; i++)
        {
            seen = (await writes.UnaryAsync("/etcdserverpb.KV/Put", new PutRequest { Key = ClusterWorkload.B("l/" + i), Value = ClusterWorkload.B("v") }, PutResponse.Parser)).Header.Revision;
        }

        Assert.True(lagging.Server.Node.AppliedRevision < seen, "the silo's feed was not behind; the test proves nothing");

        // A client that saw revision `seen` on the writer and resumes on the lagging silo.
        await using var stream = new WatchStreamClient(reads);
        await stream.CreateAsync(Prefix("l/", 1, start: seen + 1));
        var created = await stream.WaitForAsync(r => r.Created);
        Assert.True(created.Header.Revision >= seen, $"created at {created.Header.Revision} after the client saw {seen}");
        await stream.CreateAsync(Prefix("l/", 2, start: 0));
        Assert.True((await stream.WaitForAsync(r => r.Created && r.WatchId == 2)).Header.Revision >= seen);
        var progress = await stream.DrainThroughAsync(seen);
        Assert.True(progress.Header.Revision >= seen);

        // A range on the lagging silo is read from the shared store, never stale.
        var range = await reads.UnaryAsync("/etcdserverpb.KV/Range", new RangeRequest { Key = ClusterWorkload.B("l/"), RangeEnd = ClusterWorkload.B("l0") }, RangeResponse.Parser);
        Assert.Equal(seen, range.Header.Revision);
        Assert.Equal(20, range.Count);
    }

    /// <summary>Holds every push of a key-range grain to a silo back for a second.</summary>
    private sealed class SlowFeedFilter : IOutgoingGrainCallFilter
    {
        public async Task Invoke(IOutgoingGrainCallContext context)
        {
            if (context.InterfaceMethod?.Name == nameof(Vigil.GrainInterfaces.Feed.IFeedSubscriber.OnBatchAsync))
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }

            await context.Invoke();
        }
    }
}
