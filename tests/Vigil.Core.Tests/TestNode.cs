using Microsoft.Extensions.Logging.Abstractions;
using Vigil.Core.Cluster;
using Vigil.Core.Compaction;
using Vigil.Core.Mvcc;
using Vigil.Core.Sequencing;
using Vigil.Core.Storage;
using Vigil.Core.Storage.Postgres;
using Vigil.Core.Storage.Sqlite;
using Vigil.Core.Watch;

namespace Vigil.Core.Tests;

/// <summary>Settings of every engine part a <see cref="TestNode"/> wires.</summary>
public sealed class TestNodeOptions
{
    public KeySpaceOptions KeySpace { get; set; } = new();

    public SequencerOptions Sequencer { get; set; } = new();

    public WatchOptions Watch { get; set; } = new();

    public AutoCompactionOptions AutoCompaction { get; set; } = new();
}

/// <summary>
/// The engine without Orleans, for engine-level tests: a real store, the sequencer writing
/// into it, the key space over both, and a watch hub fed straight from the sequencer's
/// commits (one writer, so the feed is in order and has no gaps). In a silo the same parts
/// are wired through the sequencer and key-range grains.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    private readonly string? _directory;
    private readonly Compactor _compactor;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _autoCompaction = Task.CompletedTask;

    private TestNode(IRevisionStore store, TestNodeOptions options, string storeIdentity, string? directory, long revision)
    {
        _directory = directory;
        Store = store;
        Sequencer = new RevisionSequencer(store, options.Sequencer, NullLogger<RevisionSequencer>.Instance);
        _compactor = new Compactor(store, NullLogger<Compactor>.Instance);
        KeySpace = new KeySpace(store, new LocalRevisionWriter(Sequencer, _compactor), options.KeySpace);
        Identity = new MemberIdentity("test", storeIdentity, [new Uri("http://127.0.0.1:2379")]);
        Watches = new WatchHub(store, Identity, options.Watch, NullLogger<WatchHub>.Instance);
        Sequencer.Committed = batch => Watches.Notify(batch.Events, batch.ToRevision);
        Watches.Start(revision);
        Sequencer.Start();
        if (options.AutoCompaction.Enabled)
        {
            AutoCompactor = new AutoCompactor(KeySpace, options.AutoCompaction, NullLogger<AutoCompactor>.Instance);
            _autoCompaction = Task.Run(() => AutoCompactor.RunAsync(_stopping.Token));
        }
    }

    /// <summary>The node itself: engine tests were written against a node object.</summary>
    public TestNode Node => this;

    public IRevisionStore Store { get; }

    /// <summary>The member identity the hub writes into response headers.</summary>
    public MemberIdentity Identity { get; }

    public RevisionSequencer Sequencer { get; }

    public KeySpace KeySpace { get; }

    public WatchHub Watches { get; }

    /// <summary>Automatic compaction, when the options enable it.</summary>
    public AutoCompactor? AutoCompactor { get; }

    /// <summary>The SQLite file, for tests that reach into it; null for PostgreSQL.</summary>
    public string? DatabasePath => _directory is null ? null : Path.Combine(_directory, "vigil.db");

    public static async Task<TestNode> StartSqliteAsync(TestNodeOptions? options = null, string? directory = null)
    {
        directory ??= Path.Combine(Path.GetTempPath(), "vigil-node-" + Guid.NewGuid().ToString("N")[..12]);
        var store = new SqliteRevisionStore(new SqliteStoreOptions { Path = Path.Combine(directory, "vigil.db") }, NullLogger.Instance);
        return await StartAsync(store, "sqlite:" + directory, options, directory);
    }

    public static async Task<TestNode> StartPostgresAsync(string connectionString, TestNodeOptions? options = null)
    {
        var store = new PostgresRevisionStore(new PostgresStoreOptions { ConnectionString = connectionString }, NullLogger.Instance);
        return await StartAsync(store, "postgres:" + connectionString, options, null);
    }

    private static async Task<TestNode> StartAsync(IRevisionStore store, string storeIdentity, TestNodeOptions? options, string? directory)
    {
        var state = await store.InitializeAsync(CancellationToken.None);
        return new TestNode(store, options ?? new TestNodeOptions(), storeIdentity, directory, state.Revision);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _autoCompaction;
        }
        catch (OperationCanceledException)
        {
        }

        await Sequencer.DisposeAsync();
        await Watches.DisposeAsync();
        await _compactor.DisposeAsync();
        await Store.DisposeAsync();
        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
