using Microsoft.Extensions.Logging.Abstractions;
using Vigil.Core.Cluster;
using Vigil.Core.Storage;
using Vigil.Core.Storage.Postgres;
using Vigil.Core.Storage.Sqlite;

namespace Vigil.Core.Tests;

/// <summary>A real node (sequencer, feed, watch hub) over a real store, for engine-level tests.</summary>
public sealed class TestNode : IAsyncDisposable
{
    private readonly string? _directory;

    private TestNode(VigilNode node, string? directory)
    {
        Node = node;
        _directory = directory;
    }

    public VigilNode Node { get; }

    /// <summary>The SQLite file, for tests that reach into it; null for PostgreSQL.</summary>
    public string? DatabasePath => _directory is null ? null : Path.Combine(_directory, "vigil.db");

    public static async Task<TestNode> StartSqliteAsync(VigilNodeOptions? options = null, string? directory = null)
    {
        directory ??= Path.Combine(Path.GetTempPath(), "vigil-node-" + Guid.NewGuid().ToString("N")[..12]);
        var store = new SqliteRevisionStore(new SqliteStoreOptions { Path = Path.Combine(directory, "vigil.db") }, NullLogger.Instance);
        return new TestNode(await StartAsync(store, new LocalClusterStore(), "sqlite:" + directory, options), directory);
    }

    public static async Task<TestNode> StartPostgresAsync(string connectionString, VigilNodeOptions? options = null)
    {
        var postgres = new PostgresStoreOptions { ConnectionString = connectionString };
        var store = new PostgresRevisionStore(postgres, NullLogger.Instance);
        var cluster = new PostgresClusterStore(postgres, NullLogger.Instance);
        return new TestNode(await StartAsync(store, cluster, "postgres:" + connectionString, options), null);
    }

    public static Task<VigilNode> StartAsync(IRevisionStore store, IClusterStore cluster, string storeIdentity, VigilNodeOptions? options = null) =>
        VigilNode.StartAsync(
            store,
            cluster,
            new MemberIdentity("test", storeIdentity, [new Uri("http://127.0.0.1:2379")]),
            options ?? new VigilNodeOptions(),
            NullLoggerFactory.Instance,
            CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
