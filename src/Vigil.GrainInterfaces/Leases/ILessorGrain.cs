using Vigil.Protocol.Etcdserverpb;

namespace Vigil.GrainInterfaces.Leases;

/// <summary>
/// The cluster's lessor (key 0): it holds every lease's remaining time in memory, renews
/// leases on keep-alive without touching the store, and revokes expired leases through the
/// sequencer. Grants and revokes go through it so that it learns of every lease; both are
/// recorded in the store before they are answered.
/// </summary>
/// <remarks>
/// Silos call <see cref="EnsureRunningAsync"/> every few seconds, so after the silo holding
/// the lessor dies it is activated on another silo, which loads every stored lease and
/// renews it to its full TTL, as a new etcd leader does. A lease therefore outlives its TTL
/// by at most one TTL (plus failure detection) when the lessor moves; it never expires early.
/// Failures come back as <see cref="EtcdError"/> with etcd's status and message.
/// </remarks>
public interface ILessorGrain : IGrainWithIntegerKey
{
    /// <summary>Activates the lessor if it is not active, and keeps it active.</summary>
    Task EnsureRunningAsync();

    /// <summary>
    /// Grants a lease: <paramref name="id"/> 0 lets the lessor choose a positive ID;
    /// <paramref name="ttl"/> below etcd's minimum (2 s) is raised to it. Fails with "lease
    /// already exists" or "too large lease TTL". The header holds the current revision.
    /// </summary>
    Task<LeaseGrantResponse> GrantAsync(long id, long ttl, CancellationToken cancellationToken = default);

    /// <summary>
    /// Revokes a lease: every key attached to it is deleted at one revision, whose number the
    /// header holds. Fails with "requested lease not found".
    /// </summary>
    Task<LeaseRevokeResponse> RevokeAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Renews each lease of <paramref name="ids"/> to its full TTL and returns, in the same
    /// order, the TTL each was renewed to: 0 for a lease that does not exist or has expired.
    /// Silos send the keep-alives of all their clients in such batches.
    /// </summary>
    Task<long[]> KeepAliveAsync(long[] ids);

    /// <summary>The granted TTL and remaining seconds of a lease, or null when it does not exist.</summary>
    Task<LeaseTime?> TimeToLiveAsync(long id);

    /// <summary>The IDs of every lease (expired ones whose revoke is still under way included).</summary>
    Task<long[]> ListAsync();
}
