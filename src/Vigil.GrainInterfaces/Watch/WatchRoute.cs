namespace Vigil.GrainInterfaces.Watch;

/// <summary>Where a subscriber's batches go: the inbox of its process, addressed with the subscriber's <see cref="Key"/> there.</summary>
[GenerateSerializer]
[Immutable]
[Alias("vigil.watch-route")]
public sealed record WatchRoute(
    [property: Id(0)] IWatchInbox Inbox,
    [property: Id(1)] long Key);
