using Vigil.Core.Watch;

namespace Vigil.Grains.Watch;

/// <summary>
/// One attached subscriber's feed: the hub stream its watcher grain opened for it, and the
/// revision up to which the subscriber has taken every batch. The silo's
/// <see cref="WatchOutbox"/> drains it until it stops, ends or parks (<see cref="FeedOutcome"/>).
/// </summary>
internal class SubscriberFeed(WatchStream stream, long after)
{
    private readonly CancellationTokenSource _stopping = new();
    private long _after = after;

    public WatchStream Stream { get; } = stream;

    /// <summary>The revision up to which the subscriber has taken every batch of this feed. The outbox writes it; anyone may read it.</summary>
    public long After
    {
        get => Volatile.Read(ref _after);
        set => Volatile.Write(ref _after, value);
    }

    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Ends the feed: its hub watcher goes at once, the outbox lets go of it on its next look.</summary>
    public void Stop()
    {
        _stopping.Cancel();
        Stream.Dispose();
    }
}

/// <summary>How a feed ended.</summary>
internal enum FeedOutcome
{
    /// <summary>Stopped by its grain (another attach, a detach, a deactivation).</summary>
    Stopped,

    /// <summary>Its last batch ended the subscription (compacted or canceled).</summary>
    Ended,

    /// <summary>The subscriber refused a batch, or the call carrying it failed or timed out: the subscription parks.</summary>
    Parked,
}
