namespace Vigil.GrainInterfaces.Watch;

/// <summary>One batch of subscription <see cref="SubscriptionId"/> for its subscriber <see cref="Subscriber"/> (an <see cref="IWatchSubscriber"/>'s grain ID).</summary>
[GenerateSerializer]
[Immutable]
[Alias("vigil.watch-delivery")]
public sealed record WatchDelivery(
    [property: Id(0)] GrainId Subscriber,
    [property: Id(1)] string SubscriptionId,
    [property: Id(2)] WatchBatch Batch);
