using Vigil.Core.Storage.Sql;

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

    public async ValueTask DisposeAsync()
    {
        if (_session is { } session)
        {
            _session = null;
            await session.DisposeAsync();
        }
    }
}
