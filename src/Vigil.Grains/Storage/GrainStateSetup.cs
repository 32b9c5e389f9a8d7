using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Vigil.Grains.Hosting;

namespace Vigil.Grains.Storage;

/// <summary>
/// Vigil's grain storage ("vigil", for durable subscriptions) and Orleans' reminders (which
/// bring subscriber grains back after their silo died): on the cluster's PostgreSQL
/// database, or on a single node in a SQLite file beside the revision store's. The tables
/// and statements are created before the providers read them: this participant runs at the
/// storage stage, the reminder table starts at the grain services stage and the grain
/// storage provider at the application stage.
/// </summary>
internal sealed class GrainStateSetup(IOptions<VigilSiloOptions> options) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>The grain storage provider Vigil's grains persist their state with.</summary>
    public const string StorageName = "vigil";

    public static void Configure(AdoNetGrainStorageOptions storage, VigilSiloOptions vigil) =>
        (storage.Invariant, storage.ConnectionString) = Database(vigil);

    /// <summary>The reminder table on the same database as the grain state.</summary>
    public static void Configure(AdoNetReminderTableOptions reminders, VigilSiloOptions vigil) =>
        (reminders.Invariant, reminders.ConnectionString) = Database(vigil);

    /// <summary>The cluster's PostgreSQL database, or the single node's SQLite file.</summary>
    private static (string Invariant, string ConnectionString) Database(VigilSiloOptions vigil) =>
        string.IsNullOrWhiteSpace(vigil.Store)
            ? (OrleansTables.SqliteInvariant, SqliteConnectionString(vigil))
            : (OrleansTables.PostgresInvariant, vigil.Store);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(GrainStateSetup), ServiceLifecycleStage.RuntimeStorageServices, CreateTablesAsync);

    private async Task CreateTablesAsync(CancellationToken cancellationToken)
    {
        var vigil = options.Value;
        if (!string.IsNullOrWhiteSpace(vigil.Store))
        {
            await OrleansTables.EnsureGrainStorageAsync(vigil.Store, cancellationToken);
            await OrleansTables.EnsureRemindersAsync(vigil.Store, cancellationToken);
            return;
        }

        // This runs before the revision store opens, which is what creates the data directory.
        Directory.CreateDirectory(Path.GetDirectoryName(vigil.SqlitePath)!);
        await OrleansTables.EnsureSqliteGrainStorageAsync(SqliteConnectionString(vigil), cancellationToken);
        await OrleansTables.EnsureSqliteRemindersAsync(SqliteConnectionString(vigil), cancellationToken);
    }

    private static string SqliteConnectionString(VigilSiloOptions vigil) =>
        new SqliteConnectionStringBuilder
        {
            DataSource = OrleansTables.GrainStateFileBeside(vigil.SqlitePath),
            DefaultTimeout = 30,
        }.ToString();
}
