namespace Vigil.GrainInterfaces.Watch;

/// <summary>
/// How an attach went: the first batch will be <c>(<see cref="After"/>, ...]</c>, and
/// <see cref="Revision"/> was the store's revision then (etcd's created header revision).
/// </summary>
[GenerateSerializer]
[Immutable]
[Alias("vigil.watch-attachment")]
public sealed record WatchAttachment(
    [property: Id(0)] long After,
    [property: Id(1)] long Revision);
