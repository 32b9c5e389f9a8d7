using System.Data;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using Vigil.Core.Storage.Sql;

namespace Vigil.Core.Storage.Postgres;

/// <summary>
/// The cluster store: every silo of a cluster shares one PostgreSQL database. Writers take
/// the meta row lock (<c>SELECT ... FOR UPDATE</c> in READ COMMITTED) first, so commits of
/// every writer (even two sequencer activations during a membership change) are serialized
/// in revision order. Snapshots and history pages read in
/// REPEATABLE READ transactions. Lost connections surface as
/// <see cref="StoreUnavailableException"/>; the pool is cleared then, so the next call
/// connects afresh once the server is back.
/// </summary>
public sealed partial class PostgresRevisionStore : IRevisionStore
{
    private const string LockStateSql = StoreMeta.SelectStateSql + " FOR UPDATE";

    private const string SizeSql =
        "SELECT pg_database_size(current_database()), "
        + "pg_total_relation_size('meta') + pg_total_relation_size('kv') + pg_total_relation_size('history')";

    private readonly PostgresStoreOptions _options;
    private readonly ILogger _logger;
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _target;
    private volatile bool _initialized;
    private volatile bool _disposed;

    public PostgresRevisionStore(PostgresStoreOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PurgeChunkRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.AppendBufferEvents, 1);
        _options = options;
        _logger = logger;
        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        var settings = builder.ConnectionStringBuilder;
        if (settings.MaxAutoPrepare == 0)
        {
            // The same few statements run over and over: let Npgsql prepare them per connection.
            settings.MaxAutoPrepare = 64;
            settings.AutoPrepareMinUsages = 2;
        }

        if (string.IsNullOrEmpty(settings.ApplicationName))
        {
            settings.ApplicationName = "vigil";
        }

        _target = $"{settings.Host}:{settings.Port}/{settings.Database}";
        _dataSource = builder.Build();
    }

    public string Kind => "postgres";

    public async ValueTask<StoreState> InitializeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        try
        {
            await using var session = await PostgresSession.BeginAsync(_dataSource, IsolationLevel.ReadCommitted, cancellationToken);
            var lockCommand = session.Command("SELECT pg_advisory_xact_lock(@key)");
            lockCommand.Bind("@key", PostgresSchema.LockKey);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
            await session.Command(PostgresSchema.CreateSql).ExecuteNonQueryAsync(cancellationToken);
            var version = Convert.ToInt32(
                await session.Command(StoreMeta.SelectSchemaVersionSql).ExecuteScalarAsync(cancellationToken),
                System.Globalization.CultureInfo.InvariantCulture);
            if (version > PostgresSchema.Version)
            {
                throw new InvalidOperationException(
                    $"PostgreSQL store {_target} has schema version {version}; this Vigil understands up to {PostgresSchema.Version}.");
            }

            var state = await StoreMeta.ReadAsync(session, cancellationToken);
            await session.CommitAsync(cancellationToken);
            _initialized = true;
            LogReady(_logger, _target, state.Revision, state.CompactRevision);
            return state;
        }
        catch (Exception e) when (PostgresFailure.IsUnavailable(e))
        {
            throw Unavailable("initialize the schema", e);
        }
    }

    public async ValueTask<IStoreSnapshot> OpenSnapshotAsync(CancellationToken cancellationToken)
    {
        EnsureUsable();
        PostgresSession? session = null;
        try
        {
            session = await PostgresSession.BeginAsync(_dataSource, IsolationLevel.RepeatableRead, cancellationToken);
            await using var batch = session.Batch();
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SET TRANSACTION READ ONLY"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand(StoreMeta.SelectStateSql));
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            var state = await ReadStateAsync(reader, cancellationToken);
            return new PostgresSnapshot(this, session, state);
        }
        catch (Exception e)
        {
            if (session is not null)
            {
                await session.DisposeAsync();
            }

            if (PostgresFailure.IsUnavailable(e))
            {
                throw Unavailable("open a snapshot", e);
            }

            throw;
        }
    }

    public async ValueTask<IStoreWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken)
    {
        EnsureUsable();
        PostgresSession? session = null;
        try
        {
            session = await PostgresSession.BeginAsync(_dataSource, IsolationLevel.ReadCommitted, cancellationToken);
            // The revision lock: waits here while another writer, on any node, holds it.
            var state = await StoreMeta.ReadAsync(session, LockStateSql, cancellationToken);
            return new PostgresWriteTransaction(this, session, state, _options.AppendBufferEvents);
        }
        catch (Exception e)
        {
            if (session is not null)
            {
                await session.DisposeAsync();
            }

            if (PostgresFailure.IsUnavailable(e))
            {
                throw Unavailable("begin a write transaction", e);
            }

            throw;
        }
    }

    public async ValueTask<HistoryPage> ReadHistoryAsync(long fromRevision, long toRevision, int maxEvents, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEvents, 1);
        EnsureUsable();
        try
        {
            await using var session = await PostgresSession.BeginAsync(_dataSource, IsolationLevel.RepeatableRead, cancellationToken);
            StoreState state;
            List<HistoryRow> rows;
            // State and first page in one round trip, both in the transaction's one snapshot.
            await using (var batch = session.Batch())
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("SET TRANSACTION READ ONLY"));
                batch.BatchCommands.Add(new NpgsqlBatchCommand(StoreMeta.SelectStateSql));
                var page = new NpgsqlBatchCommand(HistoryQuery.PageSql);
                HistoryQuery.BindPage(page, fromRevision, toRevision, maxEvents);
                batch.BatchCommands.Add(page);

                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                state = await ReadStateAsync(reader, cancellationToken);
                await reader.NextResultAsync(cancellationToken);
                rows = await HistoryQuery.ReadRowsAsync(reader, cancellationToken);
            }

            if (fromRevision < state.CompactRevision)
            {
                return HistoryQuery.Compacted(fromRevision, state);
            }

            return await HistoryQuery.CompleteAsync(session, state, rows, fromRevision, toRevision, maxEvents, cancellationToken);
        }
        catch (Exception e) when (PostgresFailure.IsUnavailable(e))
        {
            throw Unavailable("read history", e);
        }
    }

    public async ValueTask PurgeCompactedAsync(long compactRevision, CancellationToken cancellationToken)
    {
        EnsureUsable();
        var started = Stopwatch.GetTimestamp();
        long deleted = 0;
        var chunks = 0;
        try
        {
            PurgeCursor cursor;
            await using (var session = await PostgresSession.BeginAsync(_dataSource, IsolationLevel.ReadCommitted, cancellationToken))
            {
                var (purged, recorded) = await StoreMeta.ReadAsync(session, StoreMeta.SelectPurgedSql, cancellationToken);
                if (compactRevision > recorded)
                {
                    throw new InvalidOperationException(
                        $"Cannot purge below revision {compactRevision}: the recorded compact revision is {recorded}.");
                }

                if (compactRevision <= purged)
                {
                    return;
                }

                cursor = PurgeQuery.Start(purged);
            }

            // One short transaction per chunk. No revision lock: only rows below the compact
            // revision go, which no writer touches and no valid read needs.
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await using var session = await PostgresSession.BeginAsync(_dataSource, IsolationLevel.ReadCommitted, cancellationToken);
                var chunk = await PurgeQuery.DeleteChunkAsync(session, cursor, compactRevision, _options.PurgeChunkRows, cancellationToken);
                if (chunk.Done)
                {
                    var update = session.Command(StoreMeta.UpdatePurgedSql);
                    update.Bind("@purged", compactRevision);
                    await update.ExecuteNonQueryAsync(cancellationToken);
                }

                await session.CommitAsync(cancellationToken);
                deleted += chunk.Deleted;
                chunks++;
                cursor = chunk.Next;
                if (chunk.Done)
                {
                    LogPurged(_logger, compactRevision, deleted, chunks, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    return;
                }
            }
        }
        catch (Exception e) when (PostgresFailure.IsUnavailable(e))
        {
            throw Unavailable("purge compacted history", e);
        }
    }

    public async ValueTask<StoreSize> GetSizeAsync(CancellationToken cancellationToken)
    {
        EnsureUsable();
        try
        {
            await using var command = _dataSource.CreateCommand(SizeSql);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            return new StoreSize(reader.GetInt64(0), reader.GetInt64(1));
        }
        catch (Exception e) when (PostgresFailure.IsUnavailable(e))
        {
            throw Unavailable("read its size", e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _dataSource.DisposeAsync();
    }

    /// <summary>
    /// Wraps a connection-level failure. Pooled connections are suspect after one (the server
    /// may have restarted), so the pool is cleared and the next call connects afresh.
    /// </summary>
    internal StoreUnavailableException Unavailable(string operation, Exception exception)
    {
        _dataSource.Clear();
        LogUnavailable(_logger, _target, operation, exception);
        return new StoreUnavailableException($"PostgreSQL store {_target}: could not {operation}: {exception.Message}", exception);
    }

    // Skips the results of statements that return no rows (SET ...) up to the meta row.
    private static async ValueTask<StoreState> ReadStateAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        while (reader.FieldCount == 0 && await reader.NextResultAsync(cancellationToken))
        {
        }

        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("The meta table has no row; the store was not initialized.");
        }

        return new StoreState(reader.GetInt64(0), reader.GetInt64(1));
    }

    private void EnsureUsable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_initialized)
        {
            throw new InvalidOperationException("Call InitializeAsync before using the store.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL store {Target} ready at revision {Revision}, compact revision {CompactRevision}")]
    private static partial void LogReady(ILogger logger, string target, long revision, long compactRevision);

    [LoggerMessage(Level = LogLevel.Information, Message = "Purged history below revision {CompactRevision}: {Rows} rows in {Chunks} chunks, {ElapsedMs:F0} ms")]
    private static partial void LogPurged(ILogger logger, long compactRevision, long rows, int chunks, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL store {Target} unavailable: could not {Operation}")]
    private static partial void LogUnavailable(ILogger logger, string target, string operation, Exception exception);
}
