using Vigil.Core.Mvcc;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Watch;

/// <summary>Where a watcher is in the hub; each state is one group of <see cref="WatchHub"/>.</summary>
internal enum WatcherState
{
    /// <summary>Caught up: receives events as they are notified.</summary>
    Synced,

    /// <summary>Behind: the catch-up loop reads its history from the store.</summary>
    Unsynced,

    /// <summary>Its stream had no room for a live response; it holds that response until there is.</summary>
    Victim,

    /// <summary>Its history was compacted away; canceled, but its ID stays taken until the client cancels it.</summary>
    Compacted,

    /// <summary>Gone.</summary>
    Canceled,
}

/// <summary>
/// One subscription on a watch stream: a key range, a start revision and delivery options.
/// All fields but <see cref="Queued"/> and <see cref="OpenResponse"/> (its stream's lock) are
/// guarded by the hub's lock. An idle watcher holds no buffer: responses live in its
/// stream's queue, and only a victim holds one pending.
/// </summary>
internal sealed class Watcher
{
    public Watcher(WatchStream stream, long id, KeyRange range, WatchCreateRequest request, long nextRevision)
    {
        Stream = stream;
        Id = id;
        Range = range;
        NextRevision = nextRevision;
        PrevKv = request.PrevKv;
        ProgressNotify = request.ProgressNotify;
        Fragment = request.Fragment;
        foreach (var filter in request.Filters)
        {
            NoPut |= filter == WatchCreateRequest.Types.FilterType.Noput;
            NoDelete |= filter == WatchCreateRequest.Types.FilterType.Nodelete;
        }
    }

    public WatchStream Stream { get; }

    public long Id { get; }

    public KeyRange Range { get; }

    public bool PrevKv { get; }

    public bool ProgressNotify { get; }

    public bool Fragment { get; }

    public bool NoPut { get; }

    public bool NoDelete { get; }

    public WatcherState State { get; set; }

    /// <summary>
    /// The first revision not yet delivered. Exact for unsynced watchers and victims; for a
    /// synced watcher it only matters while it waits for a future start revision.
    /// </summary>
    public long NextRevision { get; set; }

    /// <summary>The live response a victim could not queue.</summary>
    public EncodedWatchResponse? Pending { get; set; }

    /// <summary>True once it was sent anything since the last progress tick.</summary>
    public bool SentSinceProgressTick { get; set; }

    /// <summary>Catch-up round that chose it (avoids a set per round).</summary>
    public long SyncRound { get; set; }

    /// <summary>Responses of this watcher queued on its stream and not yet taken by the sender. Stream lock.</summary>
    public int Queued { get; set; }

    /// <summary>
    /// Its newest event response, while that still waits in the stream's queue: later events
    /// are appended to it rather than queued as responses of their own. Stream lock.
    /// </summary>
    public EncodedWatchResponse? OpenResponse { get; set; }

    public bool Accepts(Event change) =>
        change.Type == Event.Types.EventType.Put ? !NoPut : !NoDelete;

    public override string ToString() => $"watcher {Id} {Range} {State} next={NextRevision}";
}
