namespace Vigil.Core.Storage.Sqlite;

/// <summary>Settings of the embedded SQLite store.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>
    /// The database file; its directory is created when missing. SQLite keeps the write-ahead
    /// log beside it (<c>-wal</c>, <c>-shm</c>). Default <c>data/vigil.db</c>, relative to the
    /// working directory.
    /// </summary>
    public string Path { get; set; } = "data/vigil.db";

    /// <summary>
    /// How long a statement waits for a lock held by another connection (another process on
    /// the same file, or a checkpoint) before the store reports itself unavailable. Default 10 s.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>History rows examined per purge transaction, so writers wait at most one chunk. Default 5000.</summary>
    public int PurgeChunkRows { get; set; } = 5000;

    /// <summary>Read connections kept open between snapshots and history reads. Default 8.</summary>
    public int MaxIdleReaders { get; set; } = 8;

    /// <summary>
    /// The page cache of the writer connection, in bytes. Each write changes the key's row, a
    /// page picked by the key; once the rows no longer fit in the cache, writes read their
    /// pages back from the file first. Default 64 MiB (SQLite's own default is 2 MiB); the
    /// read connections keep SQLite's default.
    /// </summary>
    public long WriterCacheSize { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Pages of write-ahead log after which a commit copies the log into the database file
    /// (SQLite's <c>wal_autocheckpoint</c>). A page written many times between two
    /// checkpoints is copied once, so a longer log means fewer copies. Default 10,000 pages
    /// (about 40 MiB of log; SQLite's own default is 1,000).
    /// </summary>
    public int CheckpointPages { get; set; } = 10_000;

    /// <summary>
    /// Revisions of history after which the key index of history catches up, in one step
    /// inside a commit. Larger steps write fewer index pages per write; reads at a past
    /// revision scan up to this many revisions of history by revision in addition to the
    /// index (a single key: about 0.6 ms for 8192 revisions). Default 8192; 1 indexes every
    /// commit.
    /// </summary>
    public int KeyIndexRevisions { get; set; } = 8192;
}
