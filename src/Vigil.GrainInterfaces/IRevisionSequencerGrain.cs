using Vigil.Protocol.Etcdserverpb;

namespace Vigil.GrainInterfaces;

/// <summary>
/// The one writer of a Vigil cluster (key 0): every Put, DeleteRange, writing Txn and
/// Compact of every silo and client goes through it, so commit order is revision order.
/// Concurrent calls are grouped into one store transaction (group commit).
/// </summary>
/// <remarks>
/// Failures come back as <see cref="EtcdError"/> with etcd's status and message. While the
/// grain moves to another silo (its silo died) calls fail; nothing acknowledged is lost and
/// no revision is reused, because the store's revision lock orders every commit.
/// </remarks>
public interface IRevisionSequencerGrain : IGrainWithIntegerKey
{
    /// <summary>Applies a put at the next revision.</summary>
    Task<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes a key or range at the next revision (no revision when nothing matched).</summary>
    Task<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, CancellationToken cancellationToken = default);

    /// <summary>Evaluates a transaction and applies its writes, if any, at the next revision.</summary>
    Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies several puts, deletes and txns (<see cref="RequestOp"/>s; a range request is
    /// rejected) in one call: a silo gathers what its clients send while its previous call is
    /// out, so a busy silo pays for one grain call per group rather than per write. Each
    /// write gets its own revision and its own outcome, in the order given.
    /// </summary>
    Task<WriteOutcome[]> WriteAsync(RequestOp[] writes, CancellationToken cancellationToken = default);

    /// <summary>Records a compaction, ordered with the writes around it.</summary>
    Task<CompactionResponse> CompactAsync(CompactionRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records lease <paramref name="id"/> (non-zero) with a TTL of <paramref name="ttl"/> seconds,
    /// raised to etcd's minimum. Fails with "lease already exists" or "too large lease TTL".
    /// Takes no revision.
    /// </summary>
    Task<LeaseGrantResponse> LeaseGrantAsync(long id, long ttl, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes lease <paramref name="id"/> and deletes every key attached to it at one revision
    /// (none when it has no keys). Fails with "requested lease not found".
    /// </summary>
    Task<LeaseRevokeResponse> LeaseRevokeAsync(long id, CancellationToken cancellationToken = default);
}
