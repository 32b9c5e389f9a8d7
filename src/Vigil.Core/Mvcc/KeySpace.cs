using Google.Protobuf;
using Vigil.Core.Storage;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;

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

    // Leases are not built yet: every lease is unknown, as etcd says of a lease that does not
    // exist. Read-only txns evaluate their compares and reads with it.
    private readonly WriteApplier _reader = new(static _ => false);

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

    private void CheckSize(IMessage request)
    {
        if (request.CalculateSize() + RaftEnvelopeBytes > _options.MaxRequestBytes)
        {
            throw EtcdErrors.RequestTooLarge;
        }
    }
}
