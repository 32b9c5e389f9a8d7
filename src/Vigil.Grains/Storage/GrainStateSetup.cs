using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Vigil.Grains.Hosting;

namespace Vigil.Grains.Storage;

/// <summary>
/// Vigil's grain storage ("vigil", for durable subscriptions): on the cluster's PostgreSQL
/// database, or on a single node in a SQLite file beside the revision store's. The tables
/// and statements are created before the provider reads them: this participant runs at the
/// storage stage, the provider initializes at the application stage.
/// </summary>
internal sealed class GrainStateSetup(IOptions<VigilSiloOptions> options) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>The grain storage provider Vigil's grains persist their state with.</summary>
    public const string StorageName = "vigil";

    public static void Configure(AdoNetGrainStorageOptions storage, VigilSiloOptions vigil)
    {
        if (string.IsNullOrWhiteSpace(vigil.Store))
        {
            storage.Invariant = OrleansTables.SqliteInvariant;
            storage.ConnectionString = SqliteConnectionString(vigil);
        }
        else
        {
            storage.Invariant = OrleansTables.PostgresInvariant;
            storage.ConnectionString = vigil.Store;
        }
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(GrainStateSetup), ServiceLifecycleStage.RuntimeStorageServices, CreateTablesAsync);

    private Task CreateTablesAsync(CancellationToken cancellationToken)
    {
        var vigil = options.Value;
        if (!string.IsNullOrWhiteSpace(vigil.Store))
        {
            return OrleansTables.EnsureGrainStorageAsync(vigil.Store, cancellationToken);
        }

        // This runs before the revision store opens, which is what creates the data directory.
        Directory.CreateDirectory(Path.GetDirectoryName(vigil.SqlitePath)!);
        return OrleansTables.EnsureSqliteGrainStorageAsync(SqliteConnectionString(vigil), cancellationToken);
    }

    private static string SqliteConnectionString(VigilSiloOptions vigil) =>
        new SqliteConnectionStringBuilder
        {
            DataSource = OrleansTables.GrainStateFileBeside(vigil.SqlitePath),
            DefaultTimeout = 30,
        }.ToString();
}
