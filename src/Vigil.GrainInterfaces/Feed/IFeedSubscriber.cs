namespace Vigil.GrainInterfaces.Feed;

/// <summary>
/// A silo's watch hub, as the key-range grains see it. A range grain has at most one call
/// outstanding per subscriber; batches coalesce while it is in flight.
/// </summary>
public interface IFeedSubscriber : IGrainObserver
{
    /// <summary>Takes the next batch of range <paramref name="range"/>.</summary>
    Task OnBatchAsync(int range, FeedBatch batch);
}
