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
}
