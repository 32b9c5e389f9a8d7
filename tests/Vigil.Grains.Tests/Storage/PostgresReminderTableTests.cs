using Vigil.Grains.Storage;
using Vigil.Testing;

namespace Vigil.Grains.Tests.Storage;

/// <summary><see cref="ReminderTableContract"/> on PostgreSQL (the cluster's reminders), a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresReminderTableTests(PostgresFixture postgres) : ReminderTableContract
{
    protected override async Task<(string Invariant, string ConnectionString)> PrepareDatabaseAsync()
    {
        var connectionString = await postgres.CreateDatabaseAsync("reminders");
        await OrleansTables.EnsureRemindersAsync(connectionString, Timeout);
        return (OrleansTables.PostgresInvariant, connectionString);
    }

    protected override Task DisposeDatabaseAsync() => Task.CompletedTask;
}
