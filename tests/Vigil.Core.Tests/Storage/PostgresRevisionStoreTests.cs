using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Vigil.Core.Storage;
using Vigil.Core.Storage.Postgres;
using Vigil.Testing;

namespace Vigil.Core.Tests.Storage;

/// <summary>
/// The store contract on a real PostgreSQL 15 database (one per test, in the shared cluster),
/// plus what only a server brings: outages, NOTIFY, several nodes starting at once.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRevisionStoreTests(PostgresFixture fixture) : RevisionStoreContract
{
    private string _connectionString = "";

    protected override async Task PrepareAsync() => _connectionString = await fixture.CreateDatabaseAsync("store");

    protected override IRevisionStore CreateStore() => Create(_connectionString);

    protected override async Task<long> CountHistoryRowsAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM history", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task AStoppedServerMakesCallsUnavailableAndTheStoreRecoversAfterRestart()
    {
        Assert.Equal("postgres", Store.Kind);
        await WriteAsync([Put(2, "a", "1")]);
        // Leave an idle pooled connection behind: it dies with the server.
        Assert.Single((await ReadAsync(new RangeRead(All))).Kvs);

        await fixture.Server.StopAsync();
        try
        {
            var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.OpenSnapshotAsync(Ct).AsTask());
            Assert.Contains("PostgreSQL", error.Message);
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.BeginWriteAsync(Ct).AsTask());
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.ReadHistoryAsync(2, 2, 10, Ct).AsTask());
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.GetSizeAsync(Ct).AsTask());
            await Assert.ThrowsAsync<StoreUnavailableException>(() => Store.InitializeAsync(Ct).AsTask());
        }
        finally
        {
            await fixture.Server.StartAsync();
        }

        // The same store object works again, with the committed data intact.
        Assert.Equal(new StoreState(2, 0), await Store.InitializeAsync(Ct));
        Assert.Equal(3, await WriteAsync([Put(3, "b", "1")]));
        Assert.Equal(2, (await ReadAsync(new RangeRead(All))).Count);
    }

    [Fact]
    public async Task AWriteCutOffByAServerStopFailsUnavailableAndLeavesNothing()
    {
        await WriteAsync([Put(2, "a", "1")]);
        var tx = await Store.BeginWriteAsync(Ct);
        await tx.AppendAsync(3, [Put(3, "b", "1")], Ct);

        await fixture.Server.StopAsync();
        try
        {
            await Assert.ThrowsAsync<StoreUnavailableException>(() => tx.CommitAsync(3, Ct).AsTask());
            await Assert.ThrowsAsync<InvalidOperationException>(() => tx.CommitAsync(3, Ct).AsTask());
            await tx.DisposeAsync();
        }
        finally
        {
            await fixture.Server.StartAsync();
        }

        await using var snapshot = await Store.OpenSnapshotAsync(Ct);
        Assert.Equal(2, snapshot.Revision);
        Assert.Single((await snapshot.ReadRangeAsync(new RangeRead(All), Ct)).Kvs);
    }

    [Fact]
    public async Task NodesStartingTogetherCreateTheSchemaOnce()
    {
        var connectionString = await fixture.CreateDatabaseAsync("race");
        var stores = Enumerable.Range(0, 4).Select(_ => Create(connectionString)).ToList();
        try
        {
            var states = await Task.WhenAll(stores.Select(s => Task.Run(async () => await s.InitializeAsync(Ct))));
            Assert.All(states, state => Assert.Equal(new StoreState(1, 0), state));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    private static PostgresRevisionStore Create(string connectionString) =>
        new(new PostgresStoreOptions { ConnectionString = connectionString }, NullLogger.Instance);
}
