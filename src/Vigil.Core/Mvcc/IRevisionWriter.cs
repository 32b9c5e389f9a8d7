using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Mvcc;

/// <summary>
/// Where a <see cref="KeySpace"/> sends the requests that may take a revision: this
/// process's own <see cref="Sequencing.RevisionSequencer"/> (<see cref="LocalRevisionWriter"/>)
/// or the cluster's sequencer grain. Requests arrive validated; failures are etcd's
/// <see cref="Grpc.Core.RpcException"/>s.
/// </summary>
public interface IRevisionWriter
{
    ValueTask<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken);

    ValueTask<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken);

    /// <summary>A txn that may write; read-only ones never get here.</summary>
    ValueTask<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken);

    ValueTask<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken);

    /// <summary>Records lease <paramref name="id"/> (already chosen, non-zero) with <paramref name="ttl"/> seconds as asked.</summary>
    ValueTask<LeaseGrantResponse> LeaseGrantAsync(long id, long ttl, CancellationToken cancellationToken);

    /// <summary>Removes a lease and deletes its keys at one revision.</summary>
    ValueTask<LeaseRevokeResponse> LeaseRevokeAsync(long id, CancellationToken cancellationToken);
}
