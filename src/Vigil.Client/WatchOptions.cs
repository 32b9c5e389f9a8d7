namespace Vigil.Client;

/// <summary>Options of a watch. The defaults watch every change from now on, without previous values.</summary>
public sealed class WatchOptions
{
    /// <summary>
    /// First revision to deliver, inclusive; 0 (the default) means changes after the watch is
    /// created. A revision still in history replays it; one below the compacted revision ends
    /// the watch with <see cref="CompactedException"/>. For list-then-watch, use the list's
    /// <see cref="GetResult.Revision"/> + 1.
    /// </summary>
    public long StartRevision { get; init; }

    /// <summary>Deliver each event's previous key-value (<see cref="WatchEvent.PreviousKeyValue"/>). Default false.</summary>
    public bool PrevKv { get; init; }

    /// <summary>Leave out PUT events (the server filters them). Default false.</summary>
    public bool NoPut { get; init; }

    /// <summary>Leave out DELETE events (the server filters them). Default false.</summary>
    public bool NoDelete { get; init; }

    /// <summary>
    /// Ask the server for periodic progress notifications while the watch is idle
    /// (<see cref="WatchUpdate.IsProgressNotify"/>); the interval is the server's (etcd
    /// default 10 minutes). Default false.
    /// </summary>
    public bool ProgressNotify { get; init; }

    /// <summary>
    /// Let the server split responses larger than its message limit into fragments; the
    /// client joins them, so an update still holds whole revisions. Needed when one revision's
    /// events (with previous values) can exceed about 2 MiB. Default false.
    /// </summary>
    public bool Fragment { get; init; }

    /// <summary>
    /// Deliver one update with <see cref="WatchUpdate.IsCreated"/> set once the server has
    /// created the watch, carrying the revision it starts after: changes made after that
    /// update was received are certain to be seen. Default false.
    /// </summary>
    public bool CreatedNotify { get; init; }

    /// <summary>
    /// Makes the watch a durable subscription with this id (Orleans client only): the cluster
    /// keeps its position, and opening the same id again, from this process or another,
    /// continues right after the last update the consumer took. An update counts as taken
    /// when the consumer asks for the next one or ends the enumeration, unless it was left
    /// untaken (<see cref="WatchUpdate.LeaveUntaken"/>); an update being handled when the
    /// consumer's process dies comes again. The key range and filters are those of the first
    /// opening; <see cref="IVigilClient.DeleteSubscriptionAsync"/> ends it. Default null: the
    /// watch lives as long as its enumeration.
    /// </summary>
    /// <remarks>etcd gRPC has no durable subscriptions: <see cref="VigilClient"/> throws <see cref="NotSupportedException"/>.</remarks>
    public string? SubscriptionId { get; init; }

    internal static WatchOptions Default { get; } = new();
}
