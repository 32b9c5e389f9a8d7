namespace Vigil.GrainInterfaces.Leases;

/// <summary>A lease's granted TTL and the whole seconds it has left, as the lessor knows them.</summary>
[GenerateSerializer]
[Immutable]
[Alias("vigil.lease-time")]
public sealed record LeaseTime([property: Id(0)] long GrantedTtl, [property: Id(1)] long RemainingSeconds);
