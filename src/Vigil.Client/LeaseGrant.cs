namespace Vigil.Client;

/// <summary>A granted lease.</summary>
/// <param name="Id">The lease's ID, to attach keys with <see cref="PutOptions.Lease"/>.</param>
/// <param name="Ttl">The TTL it was granted with, in seconds (at least the server's minimum, 2 s on etcd's defaults).</param>
/// <param name="Revision">The store revision when it was granted (a grant takes no revision).</param>
public sealed record LeaseGrant(long Id, long Ttl, long Revision);
