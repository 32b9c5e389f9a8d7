namespace Vigil.GrainInterfaces.Watch;

/// <summary>Where a subscription's delivery stands.</summary>
public enum WatcherState
{
    /// <summary>No subscriber attached.</summary>
    Detached,

    /// <summary>Attached, and behind its silo's hub: catching up from history.</summary>
    Unsynced,

    /// <summary>Attached and current with its silo's hub.</summary>
    Synced,

    /// <summary>The subscriber refused or did not answer: no hub watcher, position kept, until it attaches again.</summary>
    Parked,
}

/// <summary>A subscription's state, delivered position and (durable) acknowledged revision, and its silo.</summary>
[GenerateSerializer]
[Immutable]
[Alias("vigil.watcher-status")]
public sealed record WatcherStatus(
    [property: Id(0)] WatcherState State,
    [property: Id(1)] long Delivered,
    [property: Id(2)] long Acknowledged,
    [property: Id(3)] string Silo);
