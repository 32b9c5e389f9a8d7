namespace Vigil.GrainInterfaces.Cluster;

/// <summary>A silo as etcd clients see it: a member with an ID, a name and the URLs it serves clients on.</summary>
[GenerateSerializer]
[Immutable]
[Alias("vigil.member")]
public sealed record Member(
    [property: Id(0)] ulong Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string[] ClientUrls,
    [property: Id(3)] SiloAddress Silo);
