namespace Vigil.Core.Watch;

/// <summary>Limits and intervals of the watch engine, with the reasons for their defaults.</summary>
public sealed class WatchOptions
{
    /// <summary>
    /// How often a progress_notify watcher that got no events hears the current revision
    /// (etcd's --experimental-watch-progress-notify-interval). Default 10 minutes, as etcd.
    /// </summary>
    public TimeSpan ProgressNotifyInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Bytes of responses one stream may have queued for its sender. Past it, live events
    /// for its watchers are parked (victims) instead of queued, so a client that stops
    /// reading costs a bounded amount of memory. Default 8 MiB.
    /// </summary>
    public long MaxStreamQueueBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>
    /// Responses one watcher may have queued on its stream. Past it the watcher is parked,
    /// so one busy watcher cannot fill its stream's queue and starve the others. Default 32.
    /// </summary>
    public int MaxWatcherQueuedResponses { get; set; } = 32;

    /// <summary>Most events read from history per catch-up round (whole revisions). Default 1000.</summary>
    public int SyncBatchEvents { get; set; } = 1000;

    /// <summary>Most lagging watchers served per catch-up round. Default 1024.</summary>
    public int SyncBatchWatchers { get; set; } = 1024;

    /// <summary>
    /// Target size of one catch-up response: events of many revisions are packed up to this
    /// size (a revision is never split unless the watcher asked for fragments). Default 1 MiB.
    /// </summary>
    public int MaxCatchUpResponseBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Size at which a response for a watcher created with fragment=true is split: etcd's
    /// max-request-bytes + 512 KiB, 2 MiB by default.
    /// </summary>
    public int FragmentBytes { get; set; } = 1_572_864 + 512 * 1024;

    /// <summary>How often the catch-up loop looks for lagging watchers when not woken. Default 100 ms.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often parked watchers are retried when not woken. Default 10 ms, as etcd.</summary>
    public TimeSpan VictimRetryInterval { get; set; } = TimeSpan.FromMilliseconds(10);
}
