using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Vigil.Core.Storage;
using Vigil.Core.Storage.Sqlite;

namespace Vigil.Core.Tests.Storage;

/// <summary>The store contract on a real SQLite file in a temp directory, plus SQLite specifics.</summary>
public sealed class SqliteRevisionStoreTests : RevisionStoreContract
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vigil-sqlite-" + Guid.NewGuid().ToString("N")[..12]);

    // A directory that does not exist yet: the store must create it.
    private string DatabasePath => Path.Combine(_directory, "data", "vigil.db");

    protected override IRevisionStore CreateStore() =>
        new SqliteRevisionStore(new SqliteStoreOptions { Path = DatabasePath }, NullLogger.Instance);

    protected override Task<long> CountHistoryRowsAsync() =>
        Task.FromResult(Convert.ToInt64(QueryFile("SELECT count(*) FROM history"), System.Globalization.CultureInfo.InvariantCulture));

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
        Assert.Equal(1L, QueryFile("SELECT schema_version FROM meta"));
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

    private object? QueryFile(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
