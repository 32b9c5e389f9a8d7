using Npgsql;
using Vigil.Grains.Storage;
using Vigil.Testing;

namespace Vigil.Grains.Tests.Storage;

/// <summary><see cref="GrainStorageContract"/> on PostgreSQL (the cluster's grain storage), a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresGrainStorageTests(PostgresFixture postgres) : GrainStorageContract
{
    private string? _connectionString;

    protected override async Task<(string Invariant, string ConnectionString)> PrepareDatabaseAsync()
    {
        _connectionString = await postgres.CreateDatabaseAsync("grain_state");
        await OrleansTables.EnsureGrainStorageAsync(_connectionString, Timeout);
        return (OrleansTables.PostgresInvariant, _connectionString);
    }

    protected override Task DisposeDatabaseAsync() => Task.CompletedTask;

    protected override async Task<long> CountRowsAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orleans_grain_state", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
