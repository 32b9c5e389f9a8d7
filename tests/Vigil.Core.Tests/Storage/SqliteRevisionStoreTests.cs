using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Vigil.Core.Storage;
using Vigil.Core.Storage.Sqlite;

namespace Vigil.Core.Tests.Storage;

/// <summary>The store contract on a real SQLite file in a temp directory, plus SQLite specifics.</summary>
public class SqliteRevisionStoreTests : RevisionStoreContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vigil-sqlite-" + Guid.NewGuid().ToString("N")[..12]);

    // A directory that does not exist yet: the store must create it.
    private string DatabasePath => Path.Combine(_directory, "data", "vigil.db");

    /// <summary>The default step here: no test history reaches it, so every past read scans history by revision.</summary>
    protected virtual int KeyIndexRevisions => new SqliteStoreOptions().KeyIndexRevisions;

    protected override IRevisionStore CreateStore() =>
        new SqliteRevisionStore(new SqliteStoreOptions { Path = DatabasePath, KeyIndexRevisions = KeyIndexRevisions }, NullLogger.Instance);

    /// <summary>Also checks that the key index holds exactly the history rows up to its indexed revision.</summary>
    protected override Task<long> CountHistoryRowsAsync()
    {
        Assert.Equal(0L, QueryFile(
            "SELECT count(*) FROM history_key k WHERE NOT EXISTS "
            + "(SELECT 1 FROM history h WHERE h.revision = k.revision AND h.sub = k.sub AND h.key = k.key)"));
        Assert.Equal(0L, QueryFile(
            "SELECT count(*) FROM history h WHERE h.revision <= (SELECT indexed_revision FROM meta) AND NOT EXISTS "
            + "(SELECT 1 FROM history_key k WHERE k.key = h.key AND k.revision = h.revision)"));
        return Task.FromResult(Convert.ToInt64(QueryFile("SELECT count(*) FROM history"), System.Globalization.CultureInfo.InvariantCulture));
    }

    protected override Task CleanupAsync()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public void TheFileIsCreatedInWalMode()
    {
        Assert.True(File.Exists(DatabasePath));
        Assert.Equal("wal", QueryFile("PRAGMA journal_mode"));
        Assert.Equal(2L, QueryFile("SELECT schema_version FROM meta"));
        Assert.Equal("sqlite", Store.Kind);
    }

    [Fact]
    public async Task TwoStoresOnOneFileSerializeTheirWriters()
    {
        var other = await OpenStoreAsync();
        await using var first = await Store.BeginWriteAsync(Ct);
        await first.AppendAsync(2, [Put(2, "a", "1")], Ct);

        // The other store blocks inside SQLite's busy wait, so it runs on its own thread.
        var secondOpened = Task.Run(async () => await other.BeginWriteAsync(Ct));
        await Task.Delay(200);
        Assert.False(secondOpened.IsCompleted, "the other process got the write lock while it was held");

        await first.CommitAsync(2, Ct);
        await using var second = await secondOpened;
        Assert.Equal(2, second.Revision);
        await second.AppendAsync(3, [Put(3, "b", "1")], Ct);
        await second.CommitAsync(3, Ct);
        Assert.Equal(3, (await ReadAsync(new RangeRead(All))).Kvs.Max(kv => kv.ModRevision));
    }

    [Fact]
    public async Task AWriteLockHeldTooLongMakesTheStoreUnavailable()
    {
        await using var impatient = new SqliteRevisionStore(
            new SqliteStoreOptions { Path = DatabasePath, BusyTimeout = TimeSpan.FromSeconds(1) }, NullLogger.Instance);
        await impatient.InitializeAsync(Ct);
        await using var held = await Store.BeginWriteAsync(Ct);

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => Task.Run(async () => await impatient.BeginWriteAsync(Ct)));
        Assert.Contains(DatabasePath, error.Message);
        Assert.IsType<SqliteException>(error.InnerException);

        // The held transaction is unharmed, and the impatient store works once the lock is free.
        await held.AppendAsync(2, [Put(2, "a", "1")], Ct);
        await held.CommitAsync(2, Ct);
        await using var later = await impatient.BeginWriteAsync(Ct);
        Assert.Equal(2, later.Revision);
    }

    [Fact]
    public async Task TheKeyIndexCatchesUpOnceHistoryIsKeyIndexRevisionsAhead()
    {
        long indexed = 0;
        for (var revision = 2L; revision <= 12; revision++)
        {
            await WriteAsync([Put(revision, "k" + (revision % 4), "v" + revision, create: revision)]);
            indexed = revision - indexed >= KeyIndexRevisions ? revision : indexed;
            Assert.Equal(indexed, QueryFile("SELECT indexed_revision FROM meta"));
            Assert.Equal(Math.Max(indexed - 1, 0), QueryFile("SELECT count(*) FROM history_key"));
        }

        // Every index of history starts with the revision: a put writes no page there picked by its key.
        Assert.Equal(0L, QueryFile(
            "SELECT count(*) FROM pragma_index_list('history') l, pragma_index_info(l.name) i WHERE i.seqno = 0 AND i.name <> 'revision'"));
        Assert.NotNull(QueryFile("SELECT name FROM pragma_index_list('history') WHERE name = 'history_revision_key'"));
    }

    [Fact]
    public async Task AVersion1FileMovesToTheKeyIndexTableAndReadsAsBefore()
    {
        var model = new RevisionModel();
        for (var i = 0; i < 9; i++)
        {
            var key = "k" + (i % 3);
            await WriteAsync(i % 4 == 3 ? model.Next((key, null)) : model.Next((key, "v" + i)));
        }

        var before = await ReadEverythingFromAsync(1);
        await Store.DisposeAsync();

        // What version 1 wrote: history indexed by an SQL index, no key index table, no indexed_revision.
        ExecuteFile("""
            DROP TABLE history_key;
            ALTER TABLE meta DROP COLUMN indexed_revision;
            CREATE INDEX history_key_revision ON history (key, revision);
            UPDATE meta SET schema_version = 1;
            """);

        var migrated = await OpenStoreAsync();
        Assert.Equal(2L, QueryFile("SELECT schema_version FROM meta"));
        Assert.Equal(model.Revision, QueryFile("SELECT indexed_revision FROM meta"));
        Assert.Equal(QueryFile("SELECT count(*) FROM history"), QueryFile("SELECT count(*) FROM history_key"));
        Assert.Null(QueryFile("SELECT name FROM sqlite_master WHERE name = 'history_key_revision'"));
        Assert.Equal(before, await ReadEverythingFromAsync(1, migrated));
    }

    [Fact]
    public async Task TheWriterCopiesItsLogIntoTheFileEveryCheckpointPages()
    {
        // The same 150 commits of an 8 KiB value (several log pages each) on two files: with
        // a checkpoint every 20 pages the log is reused from its start again and again; with
        // the default it keeps growing, every commit's pages still in it.
        var often = await WriteLogAsync("often.db", checkpointPages: 20);
        var rarely = await WriteLogAsync("rarely.db", checkpointPages: new SqliteStoreOptions().CheckpointPages);

        Assert.True(often < 512 * 1024, $"log of {often} bytes with a checkpoint every 20 pages");
        Assert.True(rarely > 150 * 8 * 1024, $"log of {rarely} bytes with the default checkpoint, smaller than the values written");
    }

    private async Task<long> WriteLogAsync(string file, int checkpointPages)
    {
        var path = Path.Combine(_directory, file);
        await using (var store = new SqliteRevisionStore(new SqliteStoreOptions { Path = path, CheckpointPages = checkpointPages }, NullLogger.Instance))
        {
            await store.InitializeAsync(Ct);
            var value = new string('v', 8 * 1024);
            for (var i = 0; i < 150; i++)
            {
                await using var write = await store.BeginWriteAsync(Ct);
                var revision = write.Revision + 1;
                await write.AppendAsync(revision, [Put(revision, "key" + i, value, create: revision)], Ct);
                await write.CommitAsync(revision, Ct);
            }

            return new FileInfo(path + "-wal").Length;
        }
    }

    private void ExecuteFile(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private object? QueryFile(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}

/// <summary>
/// The same tests with the key index catching up every third revision, so past reads and
/// purges meet history split between the index and the rows after it at every point.
/// </summary>
public sealed class SqliteSteppedKeyIndexTests : SqliteRevisionStoreTests
{
    protected override int KeyIndexRevisions => 3;
}
