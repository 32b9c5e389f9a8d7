namespace Vigil.GrainInterfaces.Cluster;

/// <summary>
/// Who the members of the cluster are (key 0): every silo registers itself every few
/// seconds, and once before it serves clients; the list holds the registered silos that
/// Orleans' membership does not consider stopping or dead.
/// A registry that moved to another silo fills up again within one registration period.
/// </summary>
public interface IMemberRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Registers (or refreshes) a silo's member entry.</summary>
    Task RegisterAsync(Member member);

    /// <summary>The members whose silos are up, by ID.</summary>
    Task<Member[]> ListAsync();
}
