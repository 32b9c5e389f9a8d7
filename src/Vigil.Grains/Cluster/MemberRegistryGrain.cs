using System.Diagnostics;
using Orleans.Runtime;
using Vigil.GrainInterfaces.Cluster;

namespace Vigil.Grains.Cluster;

/// <summary>
/// The registered members, filtered by Orleans' view of the silos: a silo that died drops out
/// of the list as soon as membership declares it dead, without waiting for its registration
/// to lapse. A silo this registry's view does not know yet has registered itself, so it has
/// joined; one whose registration was not refreshed for a while is gone either way.
/// </summary>
internal sealed class MemberRegistryGrain(IClusterMembershipService membership) : Grain, IMemberRegistryGrain
{
    private static readonly TimeSpan Lapse = TimeSpan.FromSeconds(30);
    private readonly Dictionary<SiloAddress, (Member Member, long Registered)> _members = [];

    public Task RegisterAsync(Member member)
    {
        _members[member.Silo] = (member, Stopwatch.GetTimestamp());
        return Task.CompletedTask;
    }

    public Task<Member[]> ListAsync()
    {
        var snapshot = membership.CurrentSnapshot;
        foreach (var (silo, entry) in _members.ToList())
        {
            if (snapshot.GetSiloStatus(silo).IsTerminating() || Stopwatch.GetElapsedTime(entry.Registered) > Lapse)
            {
                _members.Remove(silo);
            }
        }

        return Task.FromResult(_members.Values.Select(e => e.Member).OrderBy(m => m.Id).ToArray());
    }
}
