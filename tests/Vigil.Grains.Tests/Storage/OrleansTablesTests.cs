using System.Text;
using Npgsql;
using Vigil.Grains.Storage;
using Vigil.Testing;

namespace Vigil.Grains.Tests.Storage;

/// <summary>
/// Creating Orleans' tables and statements is idempotent and safe when several silos start
/// at once on a fresh database: the result is the same whichever way it was reached.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OrleansTablesTests(PostgresFixture postgres)
{
    /// <summary>Every key the 10.4.2 providers look up: clustering (silos and clients), grain storage and reminders.</summary>
    public static readonly string[] ClusteringKeys =
    [
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey", "DeleteMembershipTableEntriesKey",
        "GatewaysQueryKey", "InsertMembershipKey", "InsertMembershipVersionKey", "MembershipReadAllKey",
        "MembershipReadRowKey", "UpdateIAmAlivetimeKey", "UpdateMembershipKey",
    ];

    public static readonly string[] GrainStorageKeys =
        ["ClearStorageKey", "DeleteStorageKey", "ReadFromStorageKey", "WriteToStorageKey"];

    public static readonly string[] ReminderKeys =
    [
        "DeleteReminderRowKey", "DeleteReminderRowsKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
        "ReadReminderRowKey", "ReadReminderRowsKey", "UpsertReminderRowKey",
    ];

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token;

    [Fact]
    public async Task Postgres_twice_and_four_at_once_on_fresh_databases_end_alike()
    {
        var sequential = await postgres.CreateDatabaseAsync("tables_seq");
        for (var run = 0; run < 2; run++)
        {
            await EnsureAllPostgresAsync(sequential);
        }

        var concurrent = await postgres.CreateDatabaseAsync("tables_par");
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => EnsureAllPostgresAsync(concurrent))));

        var expected = await DescribePostgresAsync(sequential);
        Assert.Equal(expected, await DescribePostgresAsync(concurrent));
        Assert.Equal(
            ["orleans_grain_state", "orleans_membership", "orleans_membership_version", "orleans_reminders", "orleansquery"],
            await PostgresTablesAsync(concurrent));
        Assert.Equal(
            ClusteringKeys.Concat(GrainStorageKeys).Concat(ReminderKeys).Order(StringComparer.Ordinal),
            await PostgresQueryKeysAsync(concurrent));
    }

    [Fact]
    public async Task Statements_of_an_older_revision_are_replaced_and_of_a_newer_one_kept()
    {
        var database = await postgres.CreateDatabaseAsync("tables_rev");
        await EnsureAllPostgresAsync(database);
        await PostgresExecuteAsync(database, """
            UPDATE OrleansQuery SET QueryText = 'older', vigil_revision = vigil_revision - 1 WHERE QueryKey = 'GatewaysQueryKey';
            UPDATE OrleansQuery SET QueryText = 'newer', vigil_revision = vigil_revision + 1 WHERE QueryKey = 'ReadFromStorageKey';
            """);

        await EnsureAllPostgresAsync(database);

        var gateways = await PostgresQueryTextAsync(database, "GatewaysQueryKey");
        Assert.Contains("proxy_port", gateways, StringComparison.Ordinal);
        Assert.Equal("newer", await PostgresQueryTextAsync(database, "ReadFromStorageKey"));
    }

    [Fact]
    public void The_single_node_grain_state_file_sits_beside_the_revision_store()
    {
        Assert.Equal(Path.Combine("data", "vigil.orleans.db"), OrleansTables.GrainStateFileBeside(Path.Combine("data", "vigil.db")));
        Assert.Equal(Path.Combine("data", "vigil.orleans.db"), OrleansTables.GrainStateFileBeside(Path.Combine("data", "vigil")));
    }

    private static async Task EnsureAllPostgresAsync(string connectionString)
    {
        await OrleansTables.EnsureClusteringAsync(connectionString, Timeout);
        await OrleansTables.EnsureGrainStorageAsync(connectionString, Timeout);
        await OrleansTables.EnsureRemindersAsync(connectionString, Timeout);
    }

    // Tables, columns with their types and nullability, constraints, and the stored queries.
    private static async Task<string> DescribePostgresAsync(string connectionString)
    {
        var description = new StringBuilder();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var columns = new NpgsqlCommand("""
            SELECT table_name, column_name, data_type, is_nullable
            FROM information_schema.columns WHERE table_schema = 'public'
            ORDER BY table_name, ordinal_position
            """, connection))
        await using (var reader = await columns.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                description.AppendLine($"column {reader.GetString(0)}.{reader.GetString(1)} {reader.GetString(2)} {reader.GetString(3)}");
            }
        }

        await using (var constraints = new NpgsqlCommand("""
            SELECT conrelid::regclass::text, pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = 'public'::regnamespace
            ORDER BY 1, 2
            """, connection))
        await using (var reader = await constraints.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                description.AppendLine($"constraint {reader.GetString(0)} {reader.GetString(1)}");
            }
        }

        await using (var queries = new NpgsqlCommand("SELECT QueryKey, vigil_revision, md5(QueryText) FROM OrleansQuery ORDER BY QueryKey", connection))
        await using (var reader = await queries.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                description.AppendLine($"query {reader.GetString(0)} {reader.GetInt32(1)} {reader.GetString(2)}");
            }
        }

        return description.ToString();
    }

    private static async Task<List<string>> PostgresTablesAsync(string connectionString) =>
        await PostgresStringsAsync(connectionString, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");

    private static async Task<List<string>> PostgresQueryKeysAsync(string connectionString) =>
        await PostgresStringsAsync(connectionString, "SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey COLLATE \"C\"");

    private static async Task<string> PostgresQueryTextAsync(string connectionString, string key)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT QueryText FROM OrleansQuery WHERE QueryKey = @key", connection);
        command.Parameters.AddWithValue("key", key);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<List<string>> PostgresStringsAsync(string connectionString, string sql)
    {
        var values = new List<string>();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    private static async Task PostgresExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
