using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Vigil.Core.Storage.Sql;

namespace Vigil.Core.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with synchronous=FULL, so readers never
/// block the writer and an acknowledged commit survives a crash. One writer connection,
/// guarded by a gate so writers of this process queue in order, takes <c>BEGIN IMMEDIATE</c>
/// (the revision lock, also against other processes on the same file); snapshots and history
/// reads use pooled read connections, each read in its own WAL snapshot.
/// </summary>
/// <remarks>
/// Microsoft.Data.Sqlite runs its "async" methods synchronously: calls here do their disk I/O
/// on the calling thread. That is acceptable because the writer runs on its own loop and
/// reads are short; the gate wait is the only truly asynchronous wait.
/// </remarks>
public sealed partial class SqliteRevisionStore : IRevisionStore
{
    private readonly SqliteStoreOptions _options;
    private readonly ILogger _logger;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentBag<SqliteSession> _idleReaders = [];
    private int _idleReaderCount;
    private SqliteSession? _writer; // guarded by _writeGate
    private volatile bool _initialized;
    private volatile bool _disposed;

    static SqliteRevisionStore() => SQLitePCL.Batteries_V2.Init();

    public SqliteRevisionStore(SqliteStoreOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Path);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PurgeChunkRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.WriterCacheSize, 1024);
        ArgumentOutOfRangeException.ThrowIfNegative(options.CheckpointPages);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.KeyIndexRevisions, 1);
        _options = options;
        _logger = logger;
        Path = System.IO.Path.GetFullPath(options.Path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            // The store keeps its connections open itself; no pool, so dispose really closes the file.
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();
    }

    public string Kind => "sqlite";

    /// <summary>Full path of the database file.</summary>
    public string Path { get; }

    public ValueTask<StoreState> InitializeAsync(CancellationToken cancellationToken) =>
        WithWriterAsync("initialize the schema", async (writer, ct) =>
        {
            // WAL is a property of the file and cannot change inside a transaction.
            var mode = writer.ExecuteOnce("PRAGMA journal_mode = WAL") as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new StoreUnavailableException($"SQLite store {Path}: could not switch to WAL journal mode (got '{mode}').");
            }

            writer.Execute("BEGIN IMMEDIATE");
            try
            {
                writer.ExecuteOnce(SqliteSchema.CreateSql);
                var version = Convert.ToInt32(writer.ExecuteOnce(StoreMeta.SelectSchemaVersionSql), CultureInfo.InvariantCulture);
                if (version > SqliteSchema.Version)
                {
                    throw new InvalidOperationException(
                        $"SQLite store {Path} has schema version {version}; this Vigil understands up to {SqliteSchema.Version}.");
                }

                if (version == 1)
                {
                    writer.ExecuteOnce(SqliteSchema.MigrateFromVersion1Sql);
                    LogMigrated(_logger, Path, version, SqliteSchema.Version);
                }

                var state = await StoreMeta.ReadAsync(writer, ct);
                writer.Execute("COMMIT");
                _initialized = true;
                LogReady(_logger, Path, state.Revision, state.CompactRevision);
                return state;
            }
            catch
            {
                writer.TryRollback();
                throw;
            }
        }, cancellationToken, requireInitialized: false);

    public async ValueTask<IStoreSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken)
    {
        EnsureUsable();
        var session = RentReader();
        try
        {
            session.Execute("BEGIN");
            var state = await StoreMeta.ReadAsync(session, cancellationToken);
            return new SqliteSnapshot(this, session, state);
        }
        catch (Exception e)
        {
            ReturnReader(session, healthy: session.TryRollback() && e is not SqliteException);
            if (e is SqliteException sqlite && SqliteFailure.IsUnavailable(sqlite))
            {
                throw Unavailable("open a snapshot", sqlite);
            }

            throw;
        }
    }

    public async ValueTask<IStoreWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken)
    {
        EnsureUsable();
        await _writeGate.WaitAsync(cancellationToken);
        SqliteSession? writer = null;
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            writer = Writer();
            writer.Execute("BEGIN IMMEDIATE");
            var state = await StoreMeta.ReadAsync(writer, cancellationToken);
            return new SqliteWriteTransaction(this, writer, state, _options.KeyIndexRevisions);
        }
        catch (Exception e)
        {
            EndWrite(writer, healthy: writer?.TryRollback() == true && e is not SqliteException);
            if (e is SqliteException sqlite && SqliteFailure.IsUnavailable(sqlite))
            {
                throw Unavailable("begin a write transaction", sqlite);
            }

            throw;
        }
    }

    public async ValueTask<HistoryPage> ReadHistoryAsync(long fromRevision, long toRevision, int maxEvents, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEvents, 1);
        EnsureUsable();
        var session = RentReader();
        var healthy = false;
        try
        {
            session.Execute("BEGIN");
            var page = await HistoryQuery.ReadAsync(session, fromRevision, toRevision, maxEvents, cancellationToken);
            healthy = session.TryRollback();
            return page;
        }
        catch (SqliteException e) when (SqliteFailure.IsUnavailable(e))
        {
            throw Unavailable("read history", e);
        }
        finally
        {
            ReturnReader(session, healthy);
        }
    }

    public async ValueTask PurgeCompactedAsync(long compactRevision, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        long deleted = 0;
        var chunks = 0;
        PurgeCursor? cursor = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = await WithWriterAsync("purge compacted history", async (writer, ct) =>
            {
                writer.Execute("BEGIN IMMEDIATE");
                try
                {
                    if (cursor is null)
                    {
                        var (purged, recorded) = await StoreMeta.ReadAsync(writer, StoreMeta.SelectPurgedSql, ct);
                        if (compactRevision > recorded)
                        {
                            throw new InvalidOperationException(
                                $"Cannot purge below revision {compactRevision}: the recorded compact revision is {recorded}.");
                        }

                        if (compactRevision <= purged)
                        {
                            writer.Execute("COMMIT");
                            return (PurgeChunk?)null;
                        }

                        // Purging finds a key's superseded rows through the key index.
                        SqliteKeyIndex.Advance(writer, compactRevision, stepRevisions: 1);
                        cursor = PurgeQuery.Start(purged);
                    }

                    var result = await PurgeQuery.DeleteChunkAsync(writer, cursor.Value, compactRevision, _options.PurgeChunkRows, ct);
                    if (result.Done)
                    {
                        var update = writer.Statement(StoreMeta.UpdatePurgedSql);
                        update.Bind("@purged", compactRevision);
                        update.ExecuteNonQuery();
                    }

                    writer.Execute("COMMIT");
                    return result;
                }
                catch
                {
                    writer.TryRollback();
                    throw;
                }
            }, cancellationToken);

            if (chunk is not { } done)
            {
                return;
            }

            deleted += done.Deleted;
            chunks++;
            cursor = done.Next;
            if (done.Done)
            {
                LogPurged(_logger, compactRevision, deleted, chunks, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                return;
            }
        }
    }

    public ValueTask<StoreSize> GetSizeAsync(CancellationToken cancellationToken)
    {
        EnsureUsable();
        var session = RentReader();
        var healthy = false;
        try
        {
            using var reader = session.Statement(
                "SELECT p.page_count * s.page_size, (p.page_count - f.freelist_count) * s.page_size "
                + "FROM pragma_page_count() p, pragma_page_size() s, pragma_freelist_count() f").ExecuteReader();
            reader.Read();
            var size = new StoreSize(reader.GetInt64(0), reader.GetInt64(1));
            healthy = true;
            return ValueTask.FromResult(size);
        }
        catch (SqliteException e) when (SqliteFailure.IsUnavailable(e))
        {
            throw Unavailable("read its size", e);
        }
        finally
        {
            ReturnReader(session, healthy);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // Waits for a write transaction in progress to end (callers dispose theirs first).
        await _writeGate.WaitAsync();
        try
        {
            _writer?.Dispose();
            _writer = null;
        }
        finally
        {
            _writeGate.Release();
        }

        DrainIdleReaders();
    }

    internal StoreUnavailableException Unavailable(string operation, Exception exception)
    {
        LogUnavailable(_logger, Path, operation, exception);
        return SqliteFailure.Unavailable(Path, operation, exception);
    }

    /// <summary>Ends a write: keeps the writer connection only if it is known to be clean, opens the gate.</summary>
    internal void EndWrite(SqliteSession? writer, bool healthy)
    {
        if (!healthy && writer is not null && ReferenceEquals(writer, _writer))
        {
            _writer = null;
            writer.Dispose();
        }

        _writeGate.Release();
    }

    internal void ReturnReader(SqliteSession session, bool healthy)
    {
        if (healthy && !_disposed)
        {
            if (Interlocked.Increment(ref _idleReaderCount) <= _options.MaxIdleReaders)
            {
                _idleReaders.Add(session);
                if (_disposed)
                {
                    DrainIdleReaders();
                }

                return;
            }

            Interlocked.Decrement(ref _idleReaderCount);
        }

        session.Dispose();
    }

    private SqliteSession RentReader()
    {
        if (_idleReaders.TryTake(out var session))
        {
            Interlocked.Decrement(ref _idleReaderCount);
            return session;
        }

        try
        {
            return SqliteSession.Open(_connectionString, _options.BusyTimeout);
        }
        catch (SqliteException e) when (SqliteFailure.IsUnavailable(e))
        {
            throw Unavailable("open a read connection", e);
        }
    }

    private void DrainIdleReaders()
    {
        while (_idleReaders.TryTake(out var session))
        {
            Interlocked.Decrement(ref _idleReaderCount);
            session.Dispose();
        }
    }

    /// <summary>Runs <paramref name="work"/> on the writer connection while holding the write gate.</summary>
    private async ValueTask<T> WithWriterAsync<T>(
        string operation,
        Func<SqliteSession, CancellationToken, ValueTask<T>> work,
        CancellationToken cancellationToken,
        bool requireInitialized = true)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (requireInitialized)
        {
            EnsureUsable();
        }

        await _writeGate.WaitAsync(cancellationToken);
        SqliteSession? writer = null;
        var healthy = false;
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            writer = Writer();
            var result = await work(writer, cancellationToken);
            healthy = true;
            return result;
        }
        catch (SqliteException e) when (SqliteFailure.IsUnavailable(e))
        {
            throw Unavailable(operation, e);
        }
        catch (IOException e)
        {
            throw Unavailable(operation, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw Unavailable(operation, e);
        }
        finally
        {
            EndWrite(writer, healthy);
        }
    }

    /// <summary>The writer connection, opened (with its directory) when missing; call with the gate held.</summary>
    private SqliteSession Writer()
    {
        if (_writer is null)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            var writer = SqliteSession.Open(_connectionString, _options.BusyTimeout);
            try
            {
                // A negative cache_size counts KiB, not pages.
                writer.ExecuteOnce(string.Create(
                    CultureInfo.InvariantCulture,
                    $"PRAGMA cache_size = {-Math.Max(1, _options.WriterCacheSize / 1024)}; PRAGMA wal_autocheckpoint = {_options.CheckpointPages};"));
            }
            catch
            {
                writer.Dispose();
                throw;
            }

            _writer = writer;
        }

        return _writer;
    }

    private void EnsureUsable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_initialized)
        {
            throw new InvalidOperationException("Call InitializeAsync before using the store.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite store {Path} ready at revision {Revision}, compact revision {CompactRevision}")]
    private static partial void LogReady(ILogger logger, string path, long revision, long compactRevision);

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite store {Path} moved from schema version {From} to {To}")]
    private static partial void LogMigrated(ILogger logger, string path, int from, int to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged history below revision {CompactRevision}: {Rows} rows in {Chunks} chunks, {ElapsedMs:F0} ms")]
    private static partial void LogPurged(ILogger logger, long compactRevision, long rows, int chunks, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SQLite store {Path} unavailable: could not {Operation}")]
    private static partial void LogUnavailable(ILogger logger, string path, string operation, Exception exception);
}
