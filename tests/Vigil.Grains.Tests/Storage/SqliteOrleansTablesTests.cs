using System.Text;
using Microsoft.Data.Sqlite;
using Vigil.Grains.Storage;

namespace Vigil.Grains.Tests.Storage;

/// <summary>The SQLite side of <see cref="OrleansTablesTests"/>: the single-node silo's grain state and reminder file.</summary>
public sealed class SqliteOrleansTablesTests
{
    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token;

    [Fact]
    public async Task Sqlite_twice_and_four_at_once_on_fresh_files_end_alike()
    {
        var folder = Directory.CreateTempSubdirectory("vigil-orleans-sqlite-");
        try
        {
            var sequential = SqliteConnectionString(Path.Combine(folder.FullName, "sequential.orleans.db"));
            for (var run = 0; run < 2; run++)
            {
                await EnsureAllSqliteAsync(sequential);
            }

            var concurrent = SqliteConnectionString(Path.Combine(folder.FullName, "concurrent.orleans.db"));
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => EnsureAllSqliteAsync(concurrent))));

            var expected = await DescribeSqliteAsync(sequential);
            Assert.Equal(expected, await DescribeSqliteAsync(concurrent));
            Assert.Contains("table orleans_grain_state", expected);
            Assert.Contains("table orleans_reminders", expected);
            Assert.Contains("table OrleansQuery", expected);
            foreach (var key in OrleansTablesTests.GrainStorageKeys.Concat(OrleansTablesTests.ReminderKeys))
            {
                Assert.Contains($"query {key} ", expected);
            }

            Assert.Equal("wal", await SqliteScalarAsync(concurrent, "PRAGMA journal_mode"));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    private static async Task EnsureAllSqliteAsync(string connectionString)
    {
        await OrleansTables.EnsureSqliteGrainStorageAsync(connectionString, Timeout);
        await OrleansTables.EnsureSqliteRemindersAsync(connectionString, Timeout);
    }

    internal static string SqliteConnectionString(string path) =>
        new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 30 }.ToString();

    private static async Task<string> DescribeSqliteAsync(string connectionString)
    {
        var description = new StringBuilder();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using (var schema = connection.CreateCommand())
        {
            schema.CommandText = "SELECT type, name, sql FROM sqlite_master ORDER BY type, name";
            await using var reader = await schema.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                description.AppendLine($"{reader.GetString(0)} {reader.GetString(1)} {(reader.IsDBNull(2) ? "" : reader.GetString(2))}");
            }
        }

        await using (var queries = connection.CreateCommand())
        {
            queries.CommandText = "SELECT QueryKey, vigil_revision, QueryText FROM OrleansQuery ORDER BY QueryKey";
            await using var reader = await queries.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                description.AppendLine($"query {reader.GetString(0)} {reader.GetInt32(1)} {reader.GetString(2)}");
            }
        }

        return description.ToString();
    }

    private static async Task<string?> SqliteScalarAsync(string connectionString, string sql)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (string?)await command.ExecuteScalarAsync();
    }
}
