namespace Vigil.Core.Storage;

/// <summary>
/// A lease as the store keeps it: its ID and the TTL it was granted with (after etcd's
/// minimum was applied). The remaining time is not stored: it lives in the lessor's memory,
/// and a lessor that takes over renews every stored lease to its full TTL.
/// </summary>
public readonly record struct StoredLease(long Id, long Ttl);
