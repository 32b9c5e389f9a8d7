using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vigil.Grains.Storage;
using Vigil.Testing;

namespace Vigil.Grains.Tests.Storage;

/// <summary><see cref="GrainStorageContract"/> on SQLite (the single-node silo's grain state file), a fresh file per test.</summary>
public sealed class SqliteGrainStorageTests : GrainStorageContract
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("vigil-grain-state-");
    private string? _connectionString;

    /// <summary>
    /// Orleans 10.4.2 knows SQLite as "System.Data.SQLite" (and loads Microsoft.Data.Sqlite for
    /// it); the name "Microsoft.Data.Sqlite" fails the silo's start.
    /// </summary>
    [Fact]
    public async Task The_provider_rejects_Microsoft_Data_Sqlite_as_an_invariant_name()
    {
        var connectionString = SqliteOrleansTablesTests.SqliteConnectionString(Path.Combine(_folder.FullName, "rejected.orleans.db"));
        await OrleansTables.EnsureSqliteGrainStorageAsync(connectionString, Timeout);
        using var silo = new HostBuilder()
            .UseOrleans(builder => builder
                .UseLocalhostClustering(FreePort.Next(), FreePort.Next())
                .AddAdoNetGrainStorage(CounterGrain.StorageName, options =>
                {
                    options.Invariant = "Microsoft.Data.Sqlite";
                    options.ConnectionString = connectionString;
                }))
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.None))
            .Build();

        // The provider looks the name up in its own table of invariants and does not find it.
        var failure = await Assert.ThrowsAsync<KeyNotFoundException>(() => silo.StartAsync(Timeout));
        Assert.Contains("'Microsoft.Data.Sqlite'", failure.Message, StringComparison.Ordinal);
    }

    protected override async Task<(string Invariant, string ConnectionString)> PrepareDatabaseAsync()
    {
        _connectionString = SqliteOrleansTablesTests.SqliteConnectionString(
            OrleansTables.GrainStateFileBeside(Path.Combine(_folder.FullName, "vigil.db")));
        await OrleansTables.EnsureSqliteGrainStorageAsync(_connectionString, Timeout);
        return (OrleansTables.SqliteInvariant, _connectionString);
    }

    protected override Task DisposeDatabaseAsync()
    {
        SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
        return Task.CompletedTask;
    }

    protected override async Task<List<string>> StoredStateNamesAsync()
    {
        var names = new List<string>();
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT grain_type FROM orleans_grain_state";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
