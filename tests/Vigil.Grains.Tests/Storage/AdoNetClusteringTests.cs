using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Runtime;
using Vigil.Grains.Storage;
using Vigil.Testing;
using Xunit.Abstractions;

namespace Vigil.Grains.Tests.Storage;

/// <summary>
/// Orleans' ADO.NET clustering on the tables and statements Vigil creates: a real cluster of
/// two silos (one in this process, one in its own process so it can be killed) and a client
/// that finds the gateways through the same tables.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class AdoNetClusteringTests(PostgresFixture postgres, ITestOutputHelper output)
{
    private const int Active = 3;
    private const int Dead = 6;

    /// <param name="ending">"kill": SIGKILL, the process is gone and its port refuses probes at
    /// once. "freeze": SIGSTOP, the process hangs with its connections open and probes time out.</param>
    [Theory]
    [InlineData("kill")]
    [InlineData("freeze")]
    public async Task Two_silos_join_serve_a_client_and_a_lost_one_is_declared_dead(string ending)
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var ct = cancellation.Token;
        var database = await postgres.CreateDatabaseAsync("clustering");
        await OrleansTables.EnsureClusteringAsync(database, ct);
        var clusterId = "vigil-" + Guid.NewGuid().ToString("N")[..8];

        var localPort = FreePort.Next();
        using var local = ClusterSilo.BuildSilo(database, clusterId, localPort, FreePort.Next());
        await local.StartAsync(ct);
        var remotePort = FreePort.Next();
        await using var remote = await SiloProcess.StartAsync(database, clusterId, remotePort, FreePort.Next(), ct);

        // Both silos wrote themselves into the table and marked themselves Active.
        await EventuallyAsync(
            async () => (await StatusesAsync(database, clusterId)).Count(row => row.Status == Active) == 2,
            TimeSpan.FromSeconds(60),
            () => $"two Active silos in the table; remote silo output:\n{remote.Output}",
            ct);

        // The client finds the gateways in the table; grains land on both silos, and each silo
        // sees the other as Active.
        using var client = ClusterSilo.BuildClient(database, clusterId);
        await client.StartAsync(ct);
        var grains = client.Services.GetRequiredService<IClusterClient>();
        var views = new Dictionary<string, SiloView>();
        await EventuallyAsync(
            async () =>
            {
                for (var key = 0; key < 40 && views.Count < 2; key++)
                {
                    var view = await grains.GetGrain<ISiloViewGrain>(Random.Shared.NextInt64()).GetAsync();
                    if (view.ActiveSilos.Count == 2)
                    {
                        views[view.Silo] = view;
                    }
                }

                return views.Count == 2;
            },
            TimeSpan.FromSeconds(30),
            () => $"both silos answering with two active silos; views: {string.Join("; ", views.Values)}",
            ct);
        foreach (var view in views.Values)
        {
            Assert.Equal(views.Keys.Order(StringComparer.Ordinal), view.ActiveSilos);
        }

        // Nothing tells the table; the local silo must find out by probing.
        var killed = Stopwatch.StartNew();
        if (ending == "kill")
        {
            remote.Kill();
        }
        else
        {
            remote.Freeze();
        }

        await EventuallyAsync(
            async () => (await StatusesAsync(database, clusterId)).Single(row => row.Port == remotePort).Status == Dead,
            TimeSpan.FromSeconds(45),
            () => $"the lost silo ({ending}) declared Dead in the table",
            ct,
            poll: TimeSpan.FromMilliseconds(20));
        var declaredDead = killed.Elapsed;
        var membership = local.Services.GetRequiredService<IClusterMembershipService>();
        await EventuallyAsync(
            () => Task.FromResult(membership.CurrentSnapshot.Members.Values.Any(m => m.SiloAddress.Endpoint.Port == remotePort && m.Status == SiloStatus.Dead)),
            TimeSpan.FromSeconds(10),
            () => $"the local silo's own view to show the lost silo ({ending}) Dead",
            ct,
            poll: TimeSpan.FromMilliseconds(20));
        var seenDead = killed.Elapsed;
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{ending}: silo declared Dead in the table after {declaredDead.TotalMilliseconds:F0} ms, in the survivor's view after {seenDead.TotalMilliseconds:F0} ms"));
        // A liveness bound, not a speed figure (those are in bench/): a frozen silo's probes
        // time out, and a starved test machine makes Orleans discard its own probe results
        // as inconclusive, which has stretched a ~2 s detection to 15 s under a loaded suite.
        var bound = TimeSpan.FromSeconds(ending == "kill" ? 10 : 40);
        Assert.True(declaredDead < bound, $"declaring the lost silo ({ending}) dead took {declaredDead}");
        Assert.Equal(Active, (await StatusesAsync(database, clusterId)).Single(row => row.Port == localPort).Status);

        // The client carries on through the surviving gateway.
        await EventuallyAsync(
            async () =>
            {
                try
                {
                    var view = await grains.GetGrain<ISiloViewGrain>(Random.Shared.NextInt64()).GetAsync();
                    return view.ActiveSilos.Count == 1;
                }
                catch (Exception e) when (e is OrleansException or TimeoutException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(30),
            () => "a grain call answered by the surviving silo alone",
            ct);

        // Defunct-silo cleanup removes the dead row and only that one.
        var table = local.Services.GetRequiredService<IMembershipTable>();
        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddMinutes(1), ct);
        var left = await StatusesAsync(database, clusterId);
        Assert.Equal([(localPort, Active)], left.Select(row => (row.Port, row.Status)));

        // The single-row read the provider offers answers the survivor's own row.
        var self = local.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var own = await table.ReadRowAsync(self, ct);
        Assert.Equal(self, Assert.Single(own.Members).Item1.SiloAddress);
        Assert.Equal(SiloStatus.Active, own.Members[0].Item1.Status);

        await client.StopAsync(ct);
        await local.StopAsync(ct);

        // Removing a cluster's entries takes its version row and every silo row with it.
        await table.DeleteMembershipTableEntriesAsync(clusterId, ct);
        Assert.Empty(await StatusesAsync(database, clusterId));
        Assert.Equal(0L, await VersionRowsAsync(database, clusterId));
    }

    private static async Task<long> VersionRowsAsync(string database, string clusterId)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM orleans_membership_version WHERE deployment_id = @cluster", connection);
        command.Parameters.AddWithValue("cluster", clusterId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<(int Port, int Status)>> StatusesAsync(string database, string clusterId)
    {
        var rows = new List<(int Port, int Status)>();
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT port, status FROM orleans_membership WHERE deployment_id = @cluster ORDER BY port", connection);
        command.Parameters.AddWithValue("cluster", clusterId);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.GetInt32(1)));
        }

        return rows;
    }

    private static async Task EventuallyAsync(
        Func<Task<bool>> condition,
        TimeSpan within,
        Func<string> waitingFor,
        CancellationToken cancellationToken,
        TimeSpan? poll = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > within)
            {
                Assert.Fail($"Waited {within} for {waitingFor()}.");
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }
}
