using System.Globalization;
using Npgsql;
using Vigil.Core.Storage.Sql;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Storage.Postgres;

/// <summary>
/// A READ COMMITTED transaction that holds the meta row lock (<c>SELECT ... FOR UPDATE</c>)
/// from BeginWriteAsync to commit or rollback, so writers of all nodes commit one after the
/// other in revision order. Appended revisions are buffered and sent in one batch before a
/// read, when the buffer fills, or together with the commit.
/// </summary>
internal sealed class PostgresWriteTransaction : IStoreWriteTransaction
{

    private readonly PostgresRevisionStore _store;
    private readonly PostgresSession _session;
    private readonly PostgresAppendBuffer _buffer = new();
    private readonly int _bufferLimit;
    private WriteTransactionState _state = WriteTransactionState.Open;

    public PostgresWriteTransaction(PostgresRevisionStore store, PostgresSession session, StoreState state, int bufferLimit)
    {
        _store = store;
        _session = session;
        _bufferLimit = bufferLimit;
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
            await FlushAsync(cancellationToken);
            return await RangeQuery.ReadAsync(_session, read, Revision, cancellationToken);
        }
        catch (Exception e) when (PostgresFailure.IsUnavailable(e))
        {
            throw Fail("read a range", e);
        }
    }

    public ValueTask<StoredLease?> ReadLeaseAsync(long id, CancellationToken cancellationToken) =>
        RunAsync("read a lease", () => LeaseQuery.ReadAsync(_session, id, cancellationToken), cancellationToken);

    public ValueTask<IReadOnlyList<StoredLease>> ReadLeasesAsync(CancellationToken cancellationToken) =>
        RunAsync("read leases", () => LeaseQuery.ReadAllAsync(_session, cancellationToken), cancellationToken);

    public ValueTask<IReadOnlyList<KeyValue>> ReadLeaseKeysAsync(long id, CancellationToken cancellationToken) =>
        RunAsync("read a lease's keys", () => LeaseQuery.ReadKeysAsync(_session, id, cancellationToken), cancellationToken);

    public ValueTask<bool> InsertLeaseAsync(StoredLease lease, CancellationToken cancellationToken) =>
        RunAsync("insert a lease", () => LeaseQuery.InsertAsync(_session, lease, cancellationToken), cancellationToken);

    public ValueTask<bool> DeleteLeaseAsync(long id, CancellationToken cancellationToken) =>
        RunAsync("delete a lease", () => LeaseQuery.DeleteAsync(_session, id, cancellationToken), cancellationToken);

    // Buffered revisions go out first, so lease statements see (and order after) them.
    private async ValueTask<T> RunAsync<T>(string operation, Func<ValueTask<T>> statement, CancellationToken cancellationToken)
    {
        _state.EnsureOpen();
        try
        {
            await FlushAsync(cancellationToken);
            return await statement();
        }
        catch (Exception e) when (PostgresFailure.IsUnavailable(e))
        {
            throw Fail(operation, e);
        }
        catch (PostgresException)
        {
            _state = WriteTransactionState.Failed;
            throw;
        }
    }

    public async ValueTask AppendAsync(long revision, IReadOnlyList<Event> events, CancellationToken cancellationToken)
    {
        _state.EnsureOpen();
        RevisionAppend.Validate(Revision, revision, events);
        _buffer.Add(revision, events);
        Revision = revision;
        if (_buffer.Count >= _bufferLimit)
        {
            try
            {
                await FlushAsync(cancellationToken);
            }
            catch (Exception e) when (PostgresFailure.IsUnavailable(e))
            {
                throw Fail("append revisions", e);
            }
        }
    }

    public ValueTask SetCompactRevisionAsync(long compactRevision, CancellationToken cancellationToken)
    {
        _state.EnsureOpen();
        CompactRevision = compactRevision;
        return ValueTask.CompletedTask;
    }

    public async ValueTask CommitAsync(long revision, CancellationToken cancellationToken)
    {
        _state.EnsureOpen();
        if (revision != Revision)
        {
            throw new InvalidOperationException($"Commit of revision {revision}, but the transaction is at revision {Revision}.");
        }

        try
        {
            await using (var batch = _session.Batch())
            {
                _buffer.AddTo(batch);
                batch.BatchCommands.Add(new NpgsqlBatchCommand(StoreMeta.UpdateStateSql)
                {
                    Parameters = { new("revision", revision), new("compact", CompactRevision) },
                });
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }

            _buffer.Clear();
            await _session.CommitAsync(cancellationToken);
        }
        catch (Exception e) when (PostgresFailure.IsUnavailable(e))
        {
            throw Fail("commit (the outcome is unknown if the connection broke during COMMIT)", e);
        }
        catch
        {
            _state = WriteTransactionState.Failed;
            throw;
        }

        _state = WriteTransactionState.Done;
        await _session.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_state != WriteTransactionState.Done)
        {
            _state = WriteTransactionState.Done;
            await _session.DisposeAsync();
        }
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_buffer.Count == 0)
        {
            return;
        }

        try
        {
            await using var batch = _session.Batch();
            _buffer.AddTo(batch);
            await batch.ExecuteNonQueryAsync(cancellationToken);
            _buffer.Clear();
        }
        catch
        {
            // Some of the buffered rows may be written: only a rollback is safe now.
            _state = WriteTransactionState.Failed;
            throw;
        }
    }

    private StoreUnavailableException Fail(string operation, Exception exception)
    {
        _state = WriteTransactionState.Failed;
        return _store.Unavailable(operation, exception);
    }
}
