namespace Vigil.GrainInterfaces.Cluster;

/// <summary>
/// Who the members of the cluster are (key 0): every silo registers itself every few
/// seconds, and once before it serves clients; the list holds the registered silos that
/// Orleans' membership does not consider stopping or dead, and whose registration was
/// refreshed within the last 30 s. The registrations are kept in grain storage, so a
/// registry that re-activates (its silo died, it was idle) lists the same members at once.
/// </summary>
public interface IMemberRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Registers (or refreshes) a silo's member entry; a new or changed entry is stored
    /// before this returns (a failed write is retried on the next registration).
    /// </summary>
    Task RegisterAsync(Member member);

    /// <summary>The members whose silos are up, by ID.</summary>
    Task<Member[]> ListAsync();
}
