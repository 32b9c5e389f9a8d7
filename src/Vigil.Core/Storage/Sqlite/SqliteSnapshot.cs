using Microsoft.Data.Sqlite;
using Vigil.Core.Storage.Sql;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Storage.Sqlite;

/// <summary>
/// A read transaction on a connection of its own. In WAL mode its first read fixes the
/// snapshot, and the meta row is that first read, so every later read sees the same state.
/// </summary>
internal sealed class SqliteSnapshot : IStoreSnapshot
{
    private readonly SqliteRevisionStore _store;
    private SqliteSession? _session;

    public SqliteSnapshot(SqliteRevisionStore store, SqliteSession session, StoreState state)
    {
        _store = store;
        _session = session;
        Revision = state.Revision;
        CompactRevision = state.CompactRevision;
    }

    public long Revision { get; }

    public long CompactRevision { get; }

    public async ValueTask<RangeReadResult> ReadRangeAsync(RangeRead read, CancellationToken cancellationToken)
    {
        var session = _session ?? throw new ObjectDisposedException(nameof(SqliteSnapshot));
        try
        {
            return await RangeQuery.ReadAsync(session, read, Revision, cancellationToken);
        }
        catch (SqliteException e) when (SqliteFailure.IsUnavailable(e))
        {
            throw _store.Unavailable("read a range", e);
        }
    }

    public ValueTask<StoredLease?> ReadLeaseAsync(long id, CancellationToken cancellationToken) =>
        ReadAsync("read a lease", session => LeaseQuery.ReadAsync(session, id, cancellationToken));

    public ValueTask<IReadOnlyList<StoredLease>> ReadLeasesAsync(CancellationToken cancellationToken) =>
        ReadAsync("read leases", session => LeaseQuery.ReadAllAsync(session, cancellationToken));

    public ValueTask<IReadOnlyList<KeyValue>> ReadLeaseKeysAsync(long id, CancellationToken cancellationToken) =>
        ReadAsync("read a lease's keys", session => LeaseQuery.ReadKeysAsync(session, id, cancellationToken));

    private async ValueTask<T> ReadAsync<T>(string operation, Func<ICommandSource, ValueTask<T>> read)
    {
        var session = _session ?? throw new ObjectDisposedException(nameof(SqliteSnapshot));
        try
        {
            return await read(session);
        }
        catch (SqliteException e) when (SqliteFailure.IsUnavailable(e))
        {
            throw _store.Unavailable(operation, e);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (_session is { } session)
        {
            _session = null;
            _store.ReturnReader(session, healthy: session.TryRollback());
        }

        return ValueTask.CompletedTask;
    }
}
