using Vigil.GrainInterfaces.Cluster;

namespace Vigil.Grains.Cluster;

/// <summary>
/// What the member registry keeps across activations: the members registered with it, so a
/// new activation lists them at once instead of waiting for every silo's next refresh.
/// </summary>
[GenerateSerializer]
[Alias("vigil.member-registry-record")]
internal sealed class MemberRegistryRecord
{
    [Id(0)]
    public List<Member> Members { get; set; } = [];
}
