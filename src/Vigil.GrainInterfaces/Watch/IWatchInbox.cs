namespace Vigil.GrainInterfaces.Watch;

/// <summary>
/// The receiving end of every subscription of one process (an Orleans client, or a silo whose
/// grains subscribe). A silo sends it the batches of all its watcher grains for this process
/// together, one call outstanding at a time, so a revision that many subscriptions of the
/// process receive costs one call, and an event shared by them is serialized once.
/// </summary>
public interface IWatchInbox : IGrainObserver
{
    /// <summary>
    /// Takes each delivery for its subscriber (by its key, <see cref="WatchRoute.Key"/>); an
    /// answer per delivery, in order: false when the subscriber is gone or has no room for the
    /// batch, which parks its subscription until it attaches again.
    /// </summary>
    Task<bool[]> OnBatchesAsync(WatchDelivery[] deliveries);
}
