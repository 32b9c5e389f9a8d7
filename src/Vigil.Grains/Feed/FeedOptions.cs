namespace Vigil.Grains.Feed;

/// <summary>Timing and bounds of the feed from the sequencer through the key-range grains to the silos.</summary>
public sealed class FeedOptions
{
    /// <summary>
    /// How long a watermark-only batch to an idle range may wait for more to coalesce with.
    /// Default 5 ms: watermarks move idle ranges on, so they bound the delay of events in
    /// other ranges at silos that merge them.
    /// </summary>
    public TimeSpan WatermarkDelay { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Changes the sequencer keeps for an unreachable range grain before dropping them (the
    /// range grain reads them from the store instead). Default 100,000.
    /// </summary>
    public int MaxOutboxEvents { get; set; } = 100_000;

    /// <summary>Recent changes a key-range grain keeps in memory for subscribers that fall behind. Default 50,000.</summary>
    public int WindowEvents { get; set; } = 50_000;

    /// <summary>Bytes of keys and values the window may hold. Default 64 MiB.</summary>
    public long WindowBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Most changes in one batch pushed to a subscriber or read from history. Default 1,000.</summary>
    public int MaxBatchEvents { get; set; } = 1000;

    /// <summary>How often a silo renews its subscriptions (and learns of a restarted range grain). Default 1 s.</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A subscription not renewed for this long is dropped by the range grain. Default 10 s.</summary>
    public TimeSpan SubscriptionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A range grain that heard nothing from the sequencer for this long asks the store
    /// whether revisions were committed that it never heard of (a sequencer that died between
    /// commit and publish). Default 1 s.
    /// </summary>
    public TimeSpan StoreCheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a watch create waits for this silo's feed to reach what the client may have seen. Default 5 s.</summary>
    public TimeSpan CatchUpTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
