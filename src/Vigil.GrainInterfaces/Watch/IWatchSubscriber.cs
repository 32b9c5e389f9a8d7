namespace Vigil.GrainInterfaces.Watch;

/// <summary>
/// The receiving end of a subscription: an observer in an Orleans client, or in a silo for
/// a grain that subscribes. A watcher grain has at most one call outstanding to it.
/// </summary>
public interface IWatchSubscriber : IGrainObserver
{
    /// <summary>
    /// Takes the next batch of subscription <paramref name="subscriptionId"/>; false when the
    /// subscriber has no room for it, which parks the subscription until it attaches again.
    /// </summary>
    Task<bool> OnBatchAsync(string subscriptionId, WatchBatch batch);

    /// <summary>
    /// Another consumer opened durable subscription <paramref name="subscriptionId"/>: nothing
    /// more comes to this subscriber, and the grain refuses its acknowledgements and attaches
    /// from now on (<see cref="SubscriptionTakenOver"/>). Sent once, best effort, while the
    /// grain was feeding this subscriber; a subscriber that misses it learns the same at its
    /// next renewal.
    /// </summary>
    Task OnTakenOverAsync(string subscriptionId);
}
