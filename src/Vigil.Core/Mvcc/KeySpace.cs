using Google.Protobuf;
using Vigil.Core.Storage;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Mvcc;

/// <summary>
/// The etcd KV API over the store: checks every request as etcd does, answers reads from a
/// consistent snapshot and hands writes to an <see cref="IRevisionWriter"/> (this process's
/// sequencer, or the cluster's). Responses carry a header holding only the revision; the
/// transport stamps cluster and member identity on it.
/// </summary>
public sealed class KeySpace
{
    // etcd measures max-request-bytes on the raft entry that wraps the request; this is the
    // envelope a Put adds (measured against etcd 3.4: a 1,572,847-byte Put is the largest
    // accepted with the 1.5 MiB default).
    private const int RaftEnvelopeBytes = 17;

    private readonly IRevisionStore _store;
    private readonly IRevisionWriter _writer;
    private readonly KeySpaceOptions _options;

    // Read-only txns evaluate their compares and reads with it.
    private readonly WriteApplier _reader = new();

    public KeySpace(IRevisionStore store, IRevisionWriter writer, KeySpaceOptions options)
    {
        _store = store;
        _writer = writer;
        _options = options;
    }

    public async ValueTask<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken)
    {
        RequestChecks.CheckRange(request);
        try
        {
            var snapshot = await _store.OpenSnapshotAsync(cancellationToken).ConfigureAwait(false);
            await using (snapshot.ConfigureAwait(false))
            {
                var response = await RangeEvaluator.EvaluateAsync(snapshot, request, null, cancellationToken).ConfigureAwait(false);
                response.Header = new ResponseHeader { Revision = snapshot.Revision };
                return response;
            }
        }
        catch (StoreUnavailableException error)
        {
            throw EtcdErrors.StoreUnavailable(error.Message);
        }
    }

    /// <summary>The store's revision and compact revision now.</summary>
    public async ValueTask<StoreState> GetStateAsync(CancellationToken cancellationToken)
    {
        try
        {
            var snapshot = await _store.OpenSnapshotAsync(cancellationToken).ConfigureAwait(false);
            await using (snapshot.ConfigureAwait(false))
            {
                return new StoreState(snapshot.Revision, snapshot.CompactRevision);
            }
        }
        catch (StoreUnavailableException error)
        {
            throw EtcdErrors.StoreUnavailable(error.Message);
        }
    }

    public ValueTask<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken)
    {
        RequestChecks.CheckPut(request);
        CheckSize(request);
        return _writer.PutAsync(request, cancellationToken);
    }

    public ValueTask<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken)
    {
        RequestChecks.CheckDeleteRange(request);
        CheckSize(request);
        return _writer.DeleteRangeAsync(request, cancellationToken);
    }

    public async ValueTask<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken)
    {
        RequestChecks.CheckTxn(request, _options.MaxTxnOps);
        RequestChecks.CheckDuplicateKeys(request);
        CheckSize(request);
        if (!RequestChecks.IsReadOnly(request))
        {
            return await _writer.TxnAsync(request, cancellationToken).ConfigureAwait(false);
        }

        // A txn that only reads needs no revision and no lock: a snapshot answers it.
        try
        {
            var snapshot = await _store.OpenSnapshotAsync(cancellationToken).ConfigureAwait(false);
            await using (snapshot.ConfigureAwait(false))
            {
                return await _reader.TxnAsync(snapshot, new WriteSet(), request, snapshot.Revision + 1, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (StoreUnavailableException error)
        {
            throw EtcdErrors.StoreUnavailable(error.Message);
        }
    }

    public ValueTask<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken)
    {
        CheckSize(request);
        return _writer.CompactAsync(request, cancellationToken);
    }

    /// <summary>Records lease <paramref name="id"/> (non-zero) through the writer; the TTL is checked there, under the lock.</summary>
    public ValueTask<LeaseGrantResponse> LeaseGrantAsync(long id, long ttl, CancellationToken cancellationToken) =>
        _writer.LeaseGrantAsync(id, ttl, cancellationToken);

    /// <summary>Revokes a lease through the writer: its keys are deleted at one revision.</summary>
    public ValueTask<LeaseRevokeResponse> LeaseRevokeAsync(long id, CancellationToken cancellationToken) =>
        _writer.LeaseRevokeAsync(id, cancellationToken);

    /// <summary>The lease as stored, or null when it does not exist.</summary>
    public ValueTask<StoredLease?> ReadLeaseAsync(long id, CancellationToken cancellationToken) =>
        ReadAsync(snapshot => snapshot.ReadLeaseAsync(id, cancellationToken), cancellationToken);

    /// <summary>Every stored lease.</summary>
    public ValueTask<IReadOnlyList<StoredLease>> ReadLeasesAsync(CancellationToken cancellationToken) =>
        ReadAsync(snapshot => snapshot.ReadLeasesAsync(cancellationToken), cancellationToken);

    /// <summary>The keys attached to lease <paramref name="id"/>, ascending, with the revision they were read at.</summary>
    public ValueTask<(long Revision, IReadOnlyList<KeyValue> Keys)> ReadLeaseKeysAsync(long id, CancellationToken cancellationToken) =>
        ReadAsync(async snapshot => (snapshot.Revision, await snapshot.ReadLeaseKeysAsync(id, cancellationToken).ConfigureAwait(false)), cancellationToken);

    private async ValueTask<T> ReadAsync<T>(Func<IStoreSnapshot, ValueTask<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            var snapshot = await _store.OpenSnapshotAsync(cancellationToken).ConfigureAwait(false);
            await using (snapshot.ConfigureAwait(false))
            {
                return await read(snapshot).ConfigureAwait(false);
            }
        }
        catch (StoreUnavailableException error)
        {
            throw EtcdErrors.StoreUnavailable(error.Message);
        }
    }

    private void CheckSize(IMessage request)
    {
        if (request.CalculateSize() + RaftEnvelopeBytes > _options.MaxRequestBytes)
        {
            throw EtcdErrors.RequestTooLarge;
        }
    }
}
