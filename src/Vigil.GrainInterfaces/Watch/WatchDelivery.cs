namespace Vigil.GrainInterfaces.Watch;

/// <summary>One batch for the subscriber whose key in the inbox is <see cref="Subscriber"/> (<see cref="WatchRoute.Key"/>).</summary>
/// <remarks>Never shared within a call, so Orleans need not track references to it.</remarks>
[GenerateSerializer]
[Immutable]
[SuppressReferenceTracking]
[Alias("vigil.watch-delivery")]
public sealed record WatchDelivery(
    [property: Id(0)] long Subscriber,
    [property: Id(1)] WatchBatch Batch);
