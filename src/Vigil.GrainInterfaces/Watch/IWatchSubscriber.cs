namespace Vigil.GrainInterfaces.Watch;

/// <summary>
/// One consumer of a subscription: an observer in an Orleans client, or in a silo for a grain
/// that subscribes. It is what a watcher grain attaches, renews and detaches; the batches
/// themselves go to its process's <see cref="IWatchInbox"/>, which every subscription of
/// that process shares (the <see cref="WatchRoute"/> it attaches with,
/// <see cref="IWatcherGrain.AttachAsync"/>).
/// </summary>
public interface IWatchSubscriber : IGrainObserver
{
    /// <summary>
    /// Another consumer opened durable subscription <paramref name="subscriptionId"/>: nothing
    /// more comes to this subscriber, and the grain refuses its acknowledgements and attaches
    /// from now on (<see cref="SubscriptionTakenOver"/>). Sent once, best effort, while the
    /// grain was feeding this subscriber; a subscriber that misses it learns the same at its
    /// next renewal.
    /// </summary>
    Task OnTakenOverAsync(string subscriptionId);
}
