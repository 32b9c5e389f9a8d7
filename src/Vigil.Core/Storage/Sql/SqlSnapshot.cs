using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Storage.Sql;

/// <summary>
/// A read transaction of a SQL store: every read runs the shared queries on the session the
/// store opened for it, and a failure that means "the database is away" becomes the store's
/// UNAVAILABLE. The stores differ only in how they recognise that failure and how they end
/// the transaction.
/// </summary>
internal abstract class SqlSnapshot<TSession> : IStoreSnapshot
    where TSession : class, ICommandSource
{
    private TSession? _session;

    protected SqlSnapshot(TSession session, StoreState state)
    {
        _session = session;
        Revision = state.Revision;
        CompactRevision = state.CompactRevision;
    }

    public long Revision { get; }

    public long CompactRevision { get; }

    public async ValueTask<RangeReadResult> ReadRangeAsync(RangeRead read, CancellationToken cancellationToken)
    {
        var session = Session;
        try
        {
            return await RangeQuery.ReadAsync(session, read, Revision, cancellationToken);
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            throw Unavailable("read a range", e);
        }
    }

    public ValueTask<StoredLease?> ReadLeaseAsync(long id, CancellationToken cancellationToken) =>
        ReadAsync("read a lease", session => LeaseQuery.ReadAsync(session, id, cancellationToken));

    public ValueTask<IReadOnlyList<StoredLease>> ReadLeasesAsync(CancellationToken cancellationToken) =>
        ReadAsync("read leases", session => LeaseQuery.ReadAllAsync(session, cancellationToken));

    public ValueTask<IReadOnlyList<KeyValue>> ReadLeaseKeysAsync(long id, CancellationToken cancellationToken) =>
        ReadAsync("read a lease's keys", session => LeaseQuery.ReadKeysAsync(session, id, cancellationToken));

    public ValueTask DisposeAsync()
    {
        var session = _session;
        _session = null;
        return session is null ? ValueTask.CompletedTask : EndAsync(session);
    }

    /// <summary>Whether <paramref name="error"/> means the database is away rather than a bug.</summary>
    protected abstract bool IsUnavailable(Exception error);

    /// <summary>The store's UNAVAILABLE for a failed <paramref name="operation"/>.</summary>
    protected abstract Exception Unavailable(string operation, Exception error);

    /// <summary>Ends the read transaction and gives the session back (once).</summary>
    protected abstract ValueTask EndAsync(TSession session);

    private TSession Session => _session ?? throw new ObjectDisposedException(GetType().Name);

    private async ValueTask<T> ReadAsync<T>(string operation, Func<ICommandSource, ValueTask<T>> read)
    {
        var session = Session;
        try
        {
            return await read(session);
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            throw Unavailable(operation, e);
        }
    }
}
