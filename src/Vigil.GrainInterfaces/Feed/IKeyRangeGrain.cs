namespace Vigil.GrainInterfaces.Feed;

/// <summary>
/// The feed and recent history of one key range (key: the range's index among the
/// configured split points). The sequencer appends every committed batch's changes in the
/// range; the grain checks contiguity (a gap is read from the store before anything after
/// it goes on), keeps a bounded window of recent history, and pushes batches to its
/// subscribers, one awaited call at a time each.
/// </summary>
public interface IKeyRangeGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// The sequencer's changes in this range for (<see cref="FeedBatch.After"/>,
    /// <see cref="FeedBatch.UpTo"/>]; a batch already seen is ignored, a gap before it is read
    /// from the store first.
    /// </summary>
    Task AppendAsync(FeedBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Registers (or renews) <paramref name="subscriber"/>, which has every change up to
    /// <paramref name="position"/>; it is sent what comes after. Subscriptions not renewed for
    /// a while are dropped, so subscribers renew every second or so. First brings the range up
    /// to at least <paramref name="needed"/> from the store when the feed has not got there.
    /// </summary>
    /// <returns>The revision the range has reached.</returns>
    Task<long> SubscribeAsync(IFeedSubscriber subscriber, long position, long needed, CancellationToken cancellationToken = default);

    /// <summary>Ends a subscription.</summary>
    Task UnsubscribeAsync(IFeedSubscriber subscriber);

    /// <summary>
    /// The range's changes after <paramref name="after"/> up to <paramref name="through"/>:
    /// whole revisions, at most about <paramref name="maxEvents"/> changes (the answer's UpTo
    /// says how far it got), from the window when it holds them, else from the store.
    /// </summary>
    Task<FeedHistory> ReadAsync(long after, long through, int maxEvents, CancellationToken cancellationToken = default);
}
