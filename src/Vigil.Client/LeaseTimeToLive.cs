namespace Vigil.Client;

/// <summary>What the server knows of a lease.</summary>
/// <param name="Id">The lease asked about.</param>
/// <param name="Ttl">Whole seconds left; -1 when the lease does not exist (never granted, revoked or expired).</param>
/// <param name="GrantedTtl">The TTL it was granted with; 0 when it does not exist.</param>
/// <param name="Keys">The keys attached to it, when asked for (UTF-8).</param>
public sealed record LeaseTimeToLive(long Id, long Ttl, long GrantedTtl, IReadOnlyList<string> Keys)
{
    /// <summary>False when the lease does not exist.</summary>
    public bool Exists => Ttl >= 0;
}
