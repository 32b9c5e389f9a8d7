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

    protected override async Task<List<string>> StoredStateNamesAsync()
    {
        var names = new List<string>();
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT grain_type FROM orleans_grain_state", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
