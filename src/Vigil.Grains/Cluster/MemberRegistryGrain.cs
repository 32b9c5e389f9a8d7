using Orleans.Runtime;
using Vigil.GrainInterfaces.Cluster;

namespace Vigil.Grains.Cluster;

/// <summary>
/// The registered members, filtered by Orleans' view of which silos are active: a silo that
/// died drops out of the list as soon as membership declares it dead, without waiting for
/// its registration to lapse.
/// </summary>
internal sealed class MemberRegistryGrain(IClusterMembershipService membership) : Grain, IMemberRegistryGrain
{
    private readonly Dictionary<SiloAddress, Member> _members = [];

    public Task RegisterAsync(Member member)
    {
        _members[member.Silo] = member;
        return Task.CompletedTask;
    }

    public Task<Member[]> ListAsync()
    {
        var snapshot = membership.CurrentSnapshot;
        foreach (var silo in _members.Keys.ToList())
        {
            if (snapshot.GetSiloStatus(silo) is SiloStatus.Dead)
            {
                _members.Remove(silo);
            }
        }

        return Task.FromResult(_members.Values
            .Where(m => snapshot.GetSiloStatus(m.Silo) == SiloStatus.Active)
            .OrderBy(m => m.Id)
            .ToArray());
    }
}
