using Google.Protobuf;
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
        "INSERT INTO history (" + StoredRows.HistoryColumns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

    private const string UpsertKvSql =
        "INSERT INTO kv (key, create_revision, mod_revision, version, value, lease) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
        + "ON CONFLICT (key) DO UPDATE SET create_revision = excluded.create_revision, mod_revision = excluded.mod_revision, "
        + "version = excluded.version, value = excluded.value, lease = excluded.lease";

    private const string DeleteKvSql = "DELETE FROM kv WHERE key = ?1";

    private const string ReadKeySql = "SELECT create_revision, mod_revision, version, value, lease FROM kv WHERE key = ?1";

    private static readonly RangeReadResult NoKey = new([], 0);

    private readonly SqliteRevisionStore _store;
    private readonly SqliteSession _session;
    private readonly int _keyIndexRevisions;
    private WriteTransactionState _state = WriteTransactionState.Open;

    public SqliteWriteTransaction(SqliteRevisionStore store, SqliteSession session, StoreState state, int keyIndexRevisions)
    {
        _store = store;
        _session = session;
        _keyIndexRevisions = keyIndexRevisions;
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
            // Every put and delete of one key reads that key's current version first.
            if (read.Range.IsSingleKey && !read.CountOnly && (read.Revision <= 0 || read.Revision >= Revision))
            {
                return ReadKey(read.Range.Key, read.KeysOnly);
            }

            return await RangeQuery.ReadAsync(_session, read, Revision, cancellationToken);
        }
        catch (SqliteException e) when (SqliteFailure.IsUnavailable(e))
        {
            _state = WriteTransactionState.Failed;
            throw _store.Unavailable("read a range", e);
        }
    }

    private RangeReadResult ReadKey(ByteString key, bool keysOnly)
    {
        var select = _session.Prepared(ReadKeySql);
        select.Bind(1, key.Span);
        if (!select.Read())
        {
            return NoKey;
        }

        try
        {
            var kv = new KeyValue
            {
                Key = key,
                CreateRevision = select.Int64(0),
                ModRevision = select.Int64(1),
                Version = select.Int64(2),
                Value = keysOnly ? ByteString.Empty : ByteString.CopyFrom(select.Blob(3)),
                Lease = select.Int64(4),
            };
            return new RangeReadResult([kv], 1);
        }
        finally
        {
            select.Reset();
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
            var history = _session.Prepared(InsertHistorySql);
            var upsert = _session.Prepared(UpsertKvSql);
            var delete = _session.Prepared(DeleteKvSql);
            for (var sub = 0; sub < events.Count; sub++)
            {
                var evt = events[sub];
                var kv = evt.Kv;
                var isPut = evt.Type == Event.Types.EventType.Put;
                var prev = evt.PrevKv;
                history.Bind(1, revision);
                history.Bind(2, sub);
                history.Bind(3, kv.Key.Span);
                history.Bind(4, (int)evt.Type);
                history.Bind(5, isPut ? kv.CreateRevision : 0);
                history.Bind(6, isPut ? kv.Version : 0);
                history.Bind(7, isPut ? kv.Value.Span : default);
                history.Bind(8, isPut ? kv.Lease : 0);
                history.Bind(9, prev is null ? 0 : 1);
                history.Bind(10, prev?.CreateRevision ?? 0);
                history.Bind(11, prev?.ModRevision ?? 0);
                history.Bind(12, prev?.Version ?? 0);
                history.Bind(13, prev is null ? default : prev.Value.Span);
                history.Bind(14, prev?.Lease ?? 0);
                history.Execute();

                if (isPut)
                {
                    upsert.Bind(1, kv.Key.Span);
                    upsert.Bind(2, kv.CreateRevision);
                    upsert.Bind(3, revision);
                    upsert.Bind(4, kv.Version);
                    upsert.Bind(5, kv.Value.Span);
                    upsert.Bind(6, kv.Lease);
                    upsert.Execute();
                }
                else
                {
                    delete.Bind(1, kv.Key.Span);
                    delete.Execute();
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
            SqliteKeyIndex.Advance(_session, revision, _keyIndexRevisions);
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
