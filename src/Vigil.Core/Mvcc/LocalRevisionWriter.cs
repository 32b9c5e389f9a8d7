using Vigil.Core.Compaction;
using Vigil.Core.Leases;
using Vigil.Core.Sequencing;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Mvcc;

/// <summary>
/// Writes through this process's <see cref="RevisionSequencer"/>: each request becomes a
/// command of the next group commit. A compaction is recorded under the revision lock, then
/// its history is purged in the background (or before answering, when the request asks for
/// a physical compaction).
/// </summary>
public sealed class LocalRevisionWriter : IRevisionWriter
{
    // Lease requests are two integers; their size only counts toward a batch's byte bound.
    private const int LeaseRequestSize = 24;

    private readonly RevisionSequencer _sequencer;
    private readonly Compactor _compactor;
    private readonly WriteApplier _applier;

    public LocalRevisionWriter(RevisionSequencer sequencer, Compactor compactor)
    {
        _sequencer = sequencer;
        _compactor = compactor;
        _applier = new WriteApplier();
    }

    public ValueTask<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken) =>
        _sequencer.SubmitAsync(new PutCommand(_applier, request) { Size = request.CalculateSize() }, cancellationToken);

    public ValueTask<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken) =>
        _sequencer.SubmitAsync(new DeleteRangeCommand(_applier, request) { Size = request.CalculateSize() }, cancellationToken);

    public ValueTask<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        _sequencer.SubmitAsync(new TxnCommand(_applier, request) { Size = request.CalculateSize() }, cancellationToken);

    public ValueTask<LeaseGrantResponse> LeaseGrantAsync(long id, long ttl, CancellationToken cancellationToken) =>
        _sequencer.SubmitAsync(new LeaseGrantCommand(id, ttl) { Size = LeaseRequestSize }, cancellationToken);

    public ValueTask<LeaseRevokeResponse> LeaseRevokeAsync(long id, CancellationToken cancellationToken) =>
        _sequencer.SubmitAsync(new LeaseRevokeCommand(id) { Size = LeaseRequestSize }, cancellationToken);

    public async ValueTask<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken)
    {
        var response = await _sequencer.SubmitAsync(new CompactCommand(request) { Size = request.CalculateSize() }, cancellationToken).ConfigureAwait(false);
        var purge = _compactor.PurgeAsync(request.Revision);
        if (request.Physical)
        {
            await purge.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return response;
    }
}
