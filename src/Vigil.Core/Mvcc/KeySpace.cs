using Google.Protobuf;
using Vigil.Core.Compaction;
using Vigil.Core.Sequencing;
using Vigil.Core.Storage;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Mvcc;

/// <summary>
/// The etcd KV API over the store: reads from a consistent snapshot, writes through the
/// node's <see cref="RevisionSequencer"/>. Responses carry a header holding only the
/// revision; the transport stamps cluster and member identity on it.
/// </summary>
public sealed class KeySpace
{
    // etcd measures max-request-bytes on the raft entry that wraps the request; this is the
    // envelope a Put adds (measured against etcd 3.4: a 1,572,847-byte Put is the largest
    // accepted with the 1.5 MiB default).
    private const int RaftEnvelopeBytes = 17;

    private readonly IRevisionStore _store;
    private readonly RevisionSequencer _sequencer;
    private readonly Compactor _compactor;
    private readonly KeySpaceOptions _options;
    private readonly WriteApplier _applier;

    public KeySpace(IRevisionStore store, RevisionSequencer sequencer, Compactor compactor, KeySpaceOptions options)
    {
        _store = store;
        _sequencer = sequencer;
        _compactor = compactor;
        _options = options;

        // Leases are not built yet: every lease is unknown, as etcd says of a lease that
        // does not exist.
        _applier = new WriteApplier(static _ => false);
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
        var size = CheckSize(request);
        return _sequencer.SubmitAsync(new PutCommand(_applier, request) { Size = size }, cancellationToken);
    }

    public ValueTask<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken)
    {
        RequestChecks.CheckDeleteRange(request);
        var size = CheckSize(request);
        return _sequencer.SubmitAsync(new DeleteRangeCommand(_applier, request) { Size = size }, cancellationToken);
    }

    public async ValueTask<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken)
    {
        RequestChecks.CheckTxn(request, _options.MaxTxnOps);
        RequestChecks.CheckDuplicateKeys(request);
        var size = CheckSize(request);
        if (!RequestChecks.IsReadOnly(request))
        {
            return await _sequencer.SubmitAsync(new TxnCommand(_applier, request) { Size = size }, cancellationToken).ConfigureAwait(false);
        }

        // A txn that only reads needs no revision and no lock: a snapshot answers it.
        try
        {
            var snapshot = await _store.OpenSnapshotAsync(cancellationToken).ConfigureAwait(false);
            await using (snapshot.ConfigureAwait(false))
            {
                return await _applier.TxnAsync(snapshot, new WriteSet(), request, snapshot.Revision + 1, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (StoreUnavailableException error)
        {
            throw EtcdErrors.StoreUnavailable(error.Message);
        }
    }

    public async ValueTask<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken)
    {
        var size = CheckSize(request);
        var response = await _sequencer.SubmitAsync(new CompactCommand(request) { Size = size }, cancellationToken).ConfigureAwait(false);
        var purge = _compactor.PurgeAsync(request.Revision);
        if (request.Physical)
        {
            await purge.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return response;
    }

    private int CheckSize(IMessage request)
    {
        var size = request.CalculateSize();
        if (size + RaftEnvelopeBytes > _options.MaxRequestBytes)
        {
            throw EtcdErrors.RequestTooLarge;
        }

        return size;
    }
}
