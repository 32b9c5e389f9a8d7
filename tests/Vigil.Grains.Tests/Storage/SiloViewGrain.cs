using Orleans.Placement;
using Orleans.Runtime;

namespace Vigil.Grains.Tests.Storage;

// Random placement spreads activations over both silos, so a few keys reach each of them.
[RandomPlacement]
public sealed class SiloViewGrain(ILocalSiloDetails local, IClusterMembershipService membership) : Grain, ISiloViewGrain
{
    public Task<SiloView> GetAsync()
    {
        var active = membership.CurrentSnapshot.Members.Values
            .Where(member => member.Status == SiloStatus.Active)
            .Select(member => member.SiloAddress.ToString())
            .Order(StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(new SiloView(local.SiloAddress.ToString(), active));
    }
}
