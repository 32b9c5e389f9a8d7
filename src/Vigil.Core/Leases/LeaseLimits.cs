namespace Vigil.Core.Leases;

/// <summary>etcd 3.4's bounds on a lease's TTL, in seconds.</summary>
public static class LeaseLimits
{
    /// <summary>
    /// etcd raises shorter TTLs to 1.5 election timeouts (rounded up), so a lease cannot run
    /// out during a leader election; with etcd's default 1 s election timeout that is 2 s.
    /// </summary>
    public const long MinimumTtl = 2;

    /// <summary>Longer TTLs are refused with "too large lease TTL".</summary>
    public const long MaximumTtl = 9_000_000_000;

    /// <summary>The TTL a lease is granted with when <paramref name="requested"/> was asked for.</summary>
    public static long Grantable(long requested) => Math.Max(requested, MinimumTtl);
}
