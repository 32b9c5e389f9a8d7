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
            var model = workload.Model();
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

            // Every node lists all three as members.
            foreach (var connection in connections)
            {
                var members = await connection.UnaryAsync("/etcdserverpb.Cluster/MemberList", new MemberListRequest(), MemberListResponse.Parser);
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
            var model = workload.Model();
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

            var members = await all.RunAsync("member", "list");
            Assert.Equal(0, members.ExitCode);
            var lines = members.StandardOutput.Trim().Split('\n');
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
}
