using Microsoft.Data.Sqlite;
using Vigil.Core.Storage.Sql;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Storage.Sqlite;

/// <summary>
/// A BEGIN IMMEDIATE transaction on the store's single writer connection; the store's write
/// gate is held from BeginWriteAsync until commit or dispose. Rows are written as they are
/// appended with prepared statements (no round trips in-process), so reads see them at once.
/// </summary>
internal sealed class SqliteWriteTransaction : IStoreWriteTransaction
{
    private const string InsertHistorySql =
        "INSERT INTO history (" + StoredRows.HistoryColumns + ") VALUES (@revision, @sub, @key, @type, "
        + "@create, @version, @value, @lease, @hasPrev, @prevCreate, @prevMod, @prevVersion, @prevValue, @prevLease)";

    private const string UpsertKvSql =
        "INSERT INTO kv (key, create_revision, mod_revision, version, value, lease) "
        + "VALUES (@key, @create, @mod, @version, @value, @lease) "
        + "ON CONFLICT (key) DO UPDATE SET create_revision = excluded.create_revision, mod_revision = excluded.mod_revision, "
        + "version = excluded.version, value = excluded.value, lease = excluded.lease";

    private const string DeleteKvSql = "DELETE FROM kv WHERE key = @key";

    private static readonly string[] InsertHistoryParameters =
    [
        "@revision", "@sub", "@key", "@type", "@create", "@version", "@value", "@lease",
        "@hasPrev", "@prevCreate", "@prevMod", "@prevVersion", "@prevValue", "@prevLease",
    ];

    private static readonly string[] UpsertKvParameters = ["@key", "@create", "@mod", "@version", "@value", "@lease"];

    private static readonly string[] DeleteKvParameters = ["@key"];

    private static readonly object Zero = 0L;
    private static readonly object NoBytes = Array.Empty<byte>();

    private readonly SqliteRevisionStore _store;
    private readonly SqliteSession _session;
    private WriteTransactionState _state = WriteTransactionState.Open;

    public SqliteWriteTransaction(SqliteRevisionStore store, SqliteSession session, StoreState state)
    {
        _store = store;
        _session = session;
        Revision = state.Revision;
        CompactRevision = state.CompactRevision;
    }

    /// <summary>The newest revision in this transaction: the committed one at first, then each appended one.</summary>
    public long Revision { get; private set; }

    public long CompactRevision { get; private set; }

    public async ValueTask<RangeReadResult> ReadRangeAsync(RangeRead read, CancellationToken cancellationToken)
    {
        _state.EnsureOpen();
        try
        {
            return await RangeQuery.ReadAsync(_session, read, Revision, cancellationToken);
        }
        catch (SqliteException e) when (SqliteFailure.IsUnavailable(e))
        {
            _state = WriteTransactionState.Failed;
            throw _store.Unavailable("read a range", e);
        }
    }

    public ValueTask<StoredLease?> ReadLeaseAsync(long id, CancellationToken cancellationToken) =>
        RunAsync("read a lease", () => LeaseQuery.ReadAsync(_session, id, cancellationToken));

    public ValueTask<IReadOnlyList<StoredLease>> ReadLeasesAsync(CancellationToken cancellationToken) =>
        RunAsync("read leases", () => LeaseQuery.ReadAllAsync(_session, cancellationToken));

    public ValueTask<IReadOnlyList<KeyValue>> ReadLeaseKeysAsync(long id, CancellationToken cancellationToken) =>
        RunAsync("read a lease's keys", () => LeaseQuery.ReadKeysAsync(_session, id, cancellationToken));

    public ValueTask<bool> InsertLeaseAsync(StoredLease lease, CancellationToken cancellationToken) =>
        RunAsync("insert a lease", () => LeaseQuery.InsertAsync(_session, lease, cancellationToken));

    public ValueTask<bool> DeleteLeaseAsync(long id, CancellationToken cancellationToken) =>
        RunAsync("delete a lease", () => LeaseQuery.DeleteAsync(_session, id, cancellationToken));

    private async ValueTask<T> RunAsync<T>(string operation, Func<ValueTask<T>> statement)
    {
        _state.EnsureOpen();
        try
        {
            return await statement();
        }
        catch (SqliteException e)
        {
            // A failed statement may leave the transaction unusable: only a rollback is safe now.
            _state = WriteTransactionState.Failed;
            if (SqliteFailure.IsUnavailable(e))
            {
                throw _store.Unavailable(operation, e);
            }

            throw;
        }
    }

    public ValueTask AppendAsync(long revision, IReadOnlyList<Event> events, CancellationToken cancellationToken)
    {
        _state.EnsureOpen();
        RevisionAppend.Validate(Revision, revision, events);
        try
        {
            var history = _session.Statement(InsertHistorySql, InsertHistoryParameters);
            var upsert = _session.Statement(UpsertKvSql, UpsertKvParameters);
            var delete = _session.Statement(DeleteKvSql, DeleteKvParameters);
            for (var sub = 0; sub < events.Count; sub++)
            {
                var evt = events[sub];
                var kv = evt.Kv;
                var key = CommandParameters.Blob(kv.Key);
                var isPut = evt.Type == Event.Types.EventType.Put;
                var value = isPut ? CommandParameters.Blob(kv.Value) : NoBytes;

                var h = history.Parameters;
                h[0].Value = revision;
                h[1].Value = sub;
                h[2].Value = key;
                h[3].Value = (int)evt.Type;
                h[4].Value = isPut ? kv.CreateRevision : Zero;
                h[5].Value = isPut ? kv.Version : Zero;
                h[6].Value = value;
                h[7].Value = isPut ? kv.Lease : Zero;
                var prev = evt.PrevKv;
                h[8].Value = prev is not null;
                h[9].Value = prev?.CreateRevision ?? Zero;
                h[10].Value = prev?.ModRevision ?? Zero;
                h[11].Value = prev?.Version ?? Zero;
                h[12].Value = prev is null ? NoBytes : CommandParameters.Blob(prev.Value);
                h[13].Value = prev?.Lease ?? Zero;
                history.ExecuteNonQuery();

                if (isPut)
                {
                    var u = upsert.Parameters;
                    u[0].Value = key;
                    u[1].Value = kv.CreateRevision;
                    u[2].Value = revision;
                    u[3].Value = kv.Version;
                    u[4].Value = value;
                    u[5].Value = kv.Lease;
                    upsert.ExecuteNonQuery();
                }
                else
                {
                    delete.Parameters[0].Value = key;
                    delete.ExecuteNonQuery();
                }
            }
        }
        catch (SqliteException e)
        {
            // Part of the revision may be written: only a rollback is safe now.
            _state = WriteTransactionState.Failed;
            if (SqliteFailure.IsUnavailable(e))
            {
                throw _store.Unavailable("append a revision", e);
            }

            throw;
        }

        Revision = revision;
        return ValueTask.CompletedTask;
    }

    public ValueTask SetCompactRevisionAsync(long compactRevision, CancellationToken cancellationToken)
    {
        _state.EnsureOpen();
        CompactRevision = compactRevision;
        return ValueTask.CompletedTask;
    }

    public ValueTask CommitAsync(long revision, CancellationToken cancellationToken)
    {
        _state.EnsureOpen();
        if (revision != Revision)
        {
            throw new InvalidOperationException($"Commit of revision {revision}, but the transaction is at revision {Revision}.");
        }

        try
        {
            var update = _session.Statement(StoreMeta.UpdateStateSql);
            update.Bind("@revision", revision);
            update.Bind("@compact", CompactRevision);
            update.ExecuteNonQuery();
            _session.Execute("COMMIT");
        }
        catch (SqliteException e)
        {
            _state = WriteTransactionState.Failed;
            if (SqliteFailure.IsUnavailable(e))
            {
                throw _store.Unavailable("commit", e);
            }

            throw;
        }

        _state = WriteTransactionState.Done;
        _store.EndWrite(_session, healthy: true);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        if (_state != WriteTransactionState.Done)
        {
            _state = WriteTransactionState.Done;
            _store.EndWrite(_session, healthy: _session.TryRollback());
        }

        return ValueTask.CompletedTask;
    }
}
