using Microsoft.Data.Sqlite;
using Vigil.Grains.Storage;

namespace Vigil.Grains.Tests.Storage;

/// <summary><see cref="ReminderTableContract"/> on SQLite (the single-node silo's file beside its grain state), a fresh file per test.</summary>
public sealed class SqliteReminderTableTests : ReminderTableContract
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("vigil-reminders-");

    protected override async Task<(string Invariant, string ConnectionString)> PrepareDatabaseAsync()
    {
        var connectionString = SqliteOrleansTablesTests.SqliteConnectionString(
            OrleansTables.GrainStateFileBeside(Path.Combine(_folder.FullName, "vigil.db")));
        await OrleansTables.EnsureSqliteRemindersAsync(connectionString, Timeout);
        return (OrleansTables.SqliteInvariant, connectionString);
    }

    protected override Task DisposeDatabaseAsync()
    {
        SqliteConnection.ClearAllPools();
        _folder.Delete(recursive: true);
        return Task.CompletedTask;
    }
}
