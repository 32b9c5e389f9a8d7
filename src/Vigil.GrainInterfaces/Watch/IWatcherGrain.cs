namespace Vigil.GrainInterfaces.Watch;

/// <summary>
/// One subscription (key: its id; a durable subscription's own id, or a generated one): the
/// key range and filters, the next revision to deliver and, for a durable subscription, the
/// last revision its consumer took (persisted in grain storage "vigil"). It registers a
/// watcher in its silo's watch hub and pushes batches <c>(after, upTo]</c> to its
/// subscriber, one awaited call at a time, coalescing while a call is in flight.
/// </summary>
/// <remarks>
/// A subscriber that refuses a batch (its buffer is full), fails or does not answer in time
/// parks the subscription: the hub watcher goes, the position stays. The subscriber calls
/// <see cref="RenewAsync"/> every few seconds and <see cref="AttachAsync"/> again from the
/// revision after the last one it has whenever it is not being fed (parked, or the grain
/// was re-activated on another silo), so nothing it depends on rests on Orleans delivery.
/// </remarks>
public interface IWatcherGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts (or restarts) feeding <paramref name="subscriber"/> from revision
    /// <paramref name="resumeFrom"/>; 0 means "where the subscription is": a durable
    /// subscription's last taken revision + 1, else <see cref="WatchSpec.StartRevision"/>, or
    /// the revision after the store's current one. A subscriber attached earlier is dropped.
    /// The batches go by <paramref name="route"/>, the subscriber's process's inbox and its
    /// key there: the subscriber names it in every attach (it knows it before attaching), so
    /// the grain never has to ask, not even after a re-activation on another silo, where the
    /// subscriber's next renewal attaches again.
    /// </summary>
    /// <remarks>
    /// A durable subscription has one consumer, kept with its position. An attach from 0 is a
    /// consumer opening the subscription: it becomes the consumer (the newest wins), and the
    /// one before it is told (<see cref="IWatchSubscriber.OnTakenOverAsync"/>). An attach from
    /// a revision is a consumer resuming (a gap, a renewal, a parked subscription): it is
    /// refused once another consumer has opened the subscription.
    /// </remarks>
    /// <exception cref="EtcdError">InvalidArgument when a durable subscription of this id exists with another key range or filters; <see cref="SubscriptionTakenOver"/> when another consumer opened it since.</exception>
    Task<WatchAttachment> AttachAsync(WatchSpec spec, IWatchSubscriber subscriber, WatchRoute route, long resumeFrom, CancellationToken cancellationToken = default);

    /// <summary>True while <paramref name="subscriber"/> is the one being fed; false tells it to attach again.</summary>
    Task<bool> RenewAsync(IWatchSubscriber subscriber);

    /// <summary>
    /// The consumer fed through <paramref name="subscriber"/> took every update up to
    /// <paramref name="revision"/>; a durable subscription persists it before returning.
    /// </summary>
    /// <exception cref="EtcdError"><see cref="SubscriptionTakenOver"/> when another consumer opened the subscription since: its position is no longer this consumer's to move.</exception>
    Task AcknowledgeAsync(IWatchSubscriber subscriber, long revision);

    /// <summary>Asks the hub watcher for a progress notification, ordered with the events (etcd#15220).</summary>
    Task RequestProgressAsync();

    /// <summary>Stops feeding <paramref name="subscriber"/>; a durable subscription keeps its position, any other one ends.</summary>
    Task DetachAsync(IWatchSubscriber subscriber);

    /// <summary>Ends the subscription and forgets its position.</summary>
    Task DeleteAsync();

    /// <summary>Where the subscription is, for tests and diagnostics.</summary>
    Task<WatcherStatus> GetStatusAsync();
}
