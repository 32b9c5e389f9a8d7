namespace Vigil.GrainInterfaces.Watch;

/// <summary>
/// The receiving end of every subscription of one process (an Orleans client, or a silo whose
/// grains subscribe). A silo sends it the batches of all its watcher grains for this process
/// together (at most one batch of each subscription out at a time), so a revision that many
/// subscriptions of the process receive costs one call, and an event shared by them is
/// serialized once.
/// </summary>
public interface IWatchInbox : IGrainObserver
{
    /// <summary>
    /// Takes each delivery for its subscriber (by its key, <see cref="WatchRoute.Key"/>); an
    /// answer per delivery, in order: false when the subscriber is gone or has no room for the
    /// batch, which parks its subscription until it attaches again. A call not answered in
    /// 10 s fails (Orleans' own response timeout, no timer per call), parking all of them.
    /// </summary>
    [ResponseTimeout("00:00:10")]
    Task<bool[]> OnBatchesAsync(WatchDelivery[] deliveries);
}
