using Vigil.Core.Storage.Sql;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Storage.Postgres;

/// <summary>A REPEATABLE READ, READ ONLY transaction: every read sees the snapshot its first statement took.</summary>
internal sealed class PostgresSnapshot : IStoreSnapshot
{
    private readonly PostgresRevisionStore _store;
    private PostgresSession? _session;

    public PostgresSnapshot(PostgresRevisionStore store, PostgresSession session, StoreState state)
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
        var session = _session ?? throw new ObjectDisposedException(nameof(PostgresSnapshot));
        try
        {
            return await RangeQuery.ReadAsync(session, read, Revision, cancellationToken);
        }
        catch (Exception e) when (PostgresFailure.IsUnavailable(e))
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
        var session = _session ?? throw new ObjectDisposedException(nameof(PostgresSnapshot));
        try
        {
            return await read(session);
        }
        catch (Exception e) when (PostgresFailure.IsUnavailable(e))
        {
            throw _store.Unavailable(operation, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_session is { } session)
        {
            _session = null;
            await session.DisposeAsync();
        }
    }
}
