namespace Vigil.Client;

/// <summary>
/// Vigil's KV, Watch, Lease, Lock and Election API, the same over etcd gRPC (<see cref="VigilClient"/>, for any
/// process) and over the Orleans cluster (the Orleans client, for Orleans clients and
/// grains). Options, results and exceptions are the same types either way, and mean what
/// they mean in etcd v3.
/// </summary>
/// <remarks>
/// Every watch is an endless <see cref="IAsyncEnumerable{T}"/> of updates, each holding the
/// events of whole revisions in revision order, with nothing lost, repeated or reordered
/// across reconnects; it ends with <see cref="CompactedException"/> when its next revision
/// has been compacted. Implementations are thread-safe: register one per process.
/// </remarks>
public interface IVigilClient
{
    /// <summary>Reads one key. <see cref="GetResult.First"/> is the key, or null when it does not exist.</summary>
    /// <exception cref="CompactedException">The revision in <paramref name="options"/> was compacted.</exception>
    /// <exception cref="FutureRevisionException">The revision in <paramref name="options"/> is above the current one.</exception>
    Task<GetResult> GetAsync(string key, GetOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Reads one key (binary); see <see cref="GetAsync(string, GetOptions?, CancellationToken)"/>.</summary>
    Task<GetResult> GetAsync(ReadOnlyMemory<byte> key, GetOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Reads the keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>), bytewise; "\0" as <paramref name="rangeEnd"/> means every key from <paramref name="key"/> on.</summary>
    Task<GetResult> GetRangeAsync(string key, string rangeEnd, GetOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Reads the keys that start with <paramref name="prefix"/>; an empty prefix reads every key.</summary>
    Task<GetResult> GetPrefixAsync(string prefix, GetOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Puts a key (key and value as UTF-8). Every put creates a revision, even with an unchanged value.</summary>
    /// <exception cref="LeaseNotFoundException">The lease in <paramref name="options"/> does not exist.</exception>
    /// <exception cref="RequestTooLargeException">The request exceeds the server's limit.</exception>
    Task<PutResult> PutAsync(string key, string value, PutOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Puts a key (binary); see <see cref="PutAsync(string, string, PutOptions?, CancellationToken)"/>.</summary>
    Task<PutResult> PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, PutOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes one key; deleting a missing key is not an error and creates no revision.</summary>
    Task<DeleteResult> DeleteAsync(string key, DeleteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes one key (binary); see <see cref="DeleteAsync(string, DeleteOptions?, CancellationToken)"/>.</summary>
    Task<DeleteResult> DeleteAsync(ReadOnlyMemory<byte> key, DeleteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>), all in one revision.</summary>
    Task<DeleteResult> DeleteRangeAsync(string key, string rangeEnd, DeleteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes the keys that start with <paramref name="prefix"/>, all in one revision.</summary>
    Task<DeleteResult> DeletePrefixAsync(string prefix, DeleteOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Runs a transaction atomically; see <see cref="Txn"/>.</summary>
    /// <exception cref="InvalidRequestException">Too many operations, or a key written twice in one branch.</exception>
    Task<TxnResult> TxnAsync(Txn txn, CancellationToken cancellationToken = default);

    /// <summary>
    /// Discards the history before <paramref name="revision"/> (the state at it stays
    /// readable). With <paramref name="physical"/>, returns only once the data is removed.
    /// Watches whose next revision is below it end with <see cref="CompactedException"/>.
    /// </summary>
    /// <exception cref="CompactedException">The store is already compacted at or past <paramref name="revision"/>.</exception>
    /// <exception cref="FutureRevisionException"><paramref name="revision"/> is above the current revision.</exception>
    Task<CompactResult> CompactAsync(long revision, bool physical = false, CancellationToken cancellationToken = default);

    /// <summary>
    /// Watches one key: an endless stream of updates, each holding the events of whole
    /// revisions in order, until the enumeration is disposed or <paramref name="cancellationToken"/>
    /// fires. With <see cref="WatchOptions.SubscriptionId"/> the subscription is durable
    /// (Orleans client only).
    /// </summary>
    /// <exception cref="CompactedException">Ends the enumeration when the watch's next revision has been compacted.</exception>
    /// <exception cref="WatchCanceledException">Ends the enumeration when the server refuses or cancels the watch.</exception>
    IAsyncEnumerable<WatchUpdate> WatchAsync(string key, WatchOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Watches one key (binary); see <see cref="WatchAsync(string, WatchOptions?, CancellationToken)"/>.</summary>
    IAsyncEnumerable<WatchUpdate> WatchAsync(ReadOnlyMemory<byte> key, WatchOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Watches the keys that start with <paramref name="prefix"/>; see <see cref="WatchAsync(string, WatchOptions?, CancellationToken)"/>.</summary>
    IAsyncEnumerable<WatchUpdate> WatchPrefixAsync(string prefix, WatchOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Watches the keys in [<paramref name="key"/>, <paramref name="rangeEnd"/>); "\0" as
    /// <paramref name="rangeEnd"/> means every key from <paramref name="key"/> on. See
    /// <see cref="WatchAsync(string, WatchOptions?, CancellationToken)"/>.
    /// </summary>
    IAsyncEnumerable<WatchUpdate> WatchRangeAsync(string key, string rangeEnd, WatchOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Asks for a progress notification: every running watch then receives an update with
    /// <see cref="WatchUpdate.IsProgressNotify"/> whose revision all its earlier updates cover.
    /// </summary>
    Task RequestProgressAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends the durable subscription <paramref name="subscriptionId"/> (see
    /// <see cref="WatchOptions.SubscriptionId"/>): its position is forgotten, and opening the
    /// id again starts a new subscription. Ending one that does not exist does nothing.
    /// </summary>
    /// <exception cref="NotSupportedException">Over etcd gRPC, which has no durable subscriptions.</exception>
    Task DeleteSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The informer pattern: first a snapshot of every key under <paramref name="prefix"/>
    /// with its revision (<see cref="ListAndWatchUpdate.IsSnapshot"/>), then every change
    /// after it. When the history the watch needs has been compacted, a fresh snapshot comes
    /// that replaces the earlier state wholly, then changes again. Endless, like a watch.
    /// </summary>
    IAsyncEnumerable<ListAndWatchUpdate> ListAndWatchAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>
    /// Grants a lease of <paramref name="ttlSeconds"/> (raised to the server's minimum, 2 s);
    /// <paramref name="id"/> 0 lets the server choose the ID. The lease expires unless kept
    /// alive (<see cref="LeaseKeepAliveOnceAsync"/>, or <see cref="GrantKeptLeaseAsync"/>).
    /// </summary>
    /// <exception cref="VigilException">The ID is taken (<c>lease already exists</c>) or the TTL is above 9,000,000,000 s.</exception>
    Task<LeaseGrant> LeaseGrantAsync(long ttlSeconds, long id = 0, CancellationToken cancellationToken = default);

    /// <summary>Revokes a lease: every key attached to it is deleted, all at one revision, which is returned.</summary>
    /// <exception cref="LeaseNotFoundException">The lease does not exist.</exception>
    Task<long> LeaseRevokeAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>The remaining and granted TTL of a lease, and with <paramref name="keys"/> its keys; TTL -1 when it does not exist.</summary>
    Task<LeaseTimeToLive> LeaseTimeToLiveAsync(long id, bool keys = false, CancellationToken cancellationToken = default);

    /// <summary>The IDs of every lease.</summary>
    Task<IReadOnlyList<long>> LeaseListAsync(CancellationToken cancellationToken = default);

    /// <summary>Renews a lease once, to its full TTL, which is returned.</summary>
    /// <exception cref="LeaseNotFoundException">The lease does not exist (never granted, revoked or expired).</exception>
    Task<long> LeaseKeepAliveOnceAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Grants a lease and keeps it alive in the background until the returned
    /// <see cref="KeptLease"/> is disposed, which revokes it. Watch <see cref="KeptLease.Lost"/>:
    /// a lease can still be lost (the servers unreachable for a whole TTL).
    /// </summary>
    Task<KeptLease> GrantKeptLeaseAsync(long ttlSeconds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Waits until this caller holds the lock <paramref name="name"/> and returns the key that
    /// holds it (etcd's <c>name/lease-in-hex</c>). The lock is held while that key exists:
    /// until <see cref="UnlockAsync"/>, or until <paramref name="leaseId"/> expires or is
    /// revoked. Cancel <paramref name="cancellationToken"/> to give up waiting.
    /// </summary>
    /// <exception cref="LeaseNotFoundException">The lease does not exist.</exception>
    Task<string> LockAsync(string name, long leaseId, CancellationToken cancellationToken = default);

    /// <summary>Releases a lock by deleting the key <see cref="LockAsync"/> returned; returns the revision after it.</summary>
    Task<long> UnlockAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Campaigns in election <paramref name="name"/> with <paramref name="value"/> and waits
    /// until this candidate leads. Leadership lasts while its key exists: until
    /// <see cref="ResignAsync"/>, or until <paramref name="leaseId"/> expires or is revoked.
    /// </summary>
    /// <exception cref="LeaseNotFoundException">The lease does not exist.</exception>
    Task<ElectionLeader> CampaignAsync(string name, long leaseId, string value, CancellationToken cancellationToken = default);

    /// <summary>The leader's key and value in election <paramref name="name"/>, or null when it has no leader.</summary>
    Task<KeyValue?> GetLeaderAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The leader announces a new value; fails when <paramref name="leader"/> no longer leads.</summary>
    /// <exception cref="VigilException"><c>election: not leader</c>.</exception>
    Task<long> ProclaimAsync(ElectionLeader leader, string value, CancellationToken cancellationToken = default);

    /// <summary>Steps down: deletes the leader's key if it is still the one won. Returns the revision after it.</summary>
    Task<long> ResignAsync(ElectionLeader leader, CancellationToken cancellationToken = default);
}
