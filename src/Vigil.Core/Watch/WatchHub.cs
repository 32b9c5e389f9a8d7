using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Vigil.Core.Cluster;
using Vigil.Core.Mvcc;
using Vigil.Core.Storage;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Mvccpb;

namespace Vigil.Core.Watch;

/// <summary>
/// A node's watchers, in three groups as in etcd's watchable store: <b>synced</b> watchers
/// get events as the change feed notifies them; <b>unsynced</b> ones are behind and are
/// caught up from history by <see cref="WatchSyncLoop"/>; <b>victims</b> found their stream
/// full and hold one pending response until it has room. Moves between groups happen under
/// one lock, at exact revisions, so no event is lost, doubled or reordered.
/// </summary>
/// <remarks>
/// <see cref="Notify"/> runs on the change feed and never waits for a client or the store:
/// it matches each event through the synced group (a key dictionary plus an interval tree)
/// and queues responses, or parks a watcher whose stream is full.
/// </remarks>
public sealed partial class WatchHub : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly MemberIdentity _identity;
    private readonly EncodedHeader _header;
    private readonly WatchOptions _options;
    private readonly ILogger _logger;
    private readonly WatcherGroup _synced = new();
    private readonly WatcherGroup _unsynced = new();
    private readonly VictimQueue _victims = new();
    private readonly HashSet<Watcher> _progressWatchers = [];
    private readonly WatchSyncLoop _syncLoop;
    private readonly WatchMaintenanceLoop _maintenanceLoop;
    private readonly CancellationTokenSource _stopping = new();

    // Scratch space of Notify and DeliverHistory; the lock guards it.
    private readonly List<Watcher> _matches = [];
    private readonly List<Watcher> _moving = [];
    private readonly Dictionary<Watcher, List<EncodedEvent>> _collected = [];
    private readonly Stack<List<EncodedEvent>> _eventLists = new();

    private long _currentRevision;
    private long _syncRound;
    private int _streams;
    private Task _loops = Task.CompletedTask;

    public WatchHub(IRevisionStore store, MemberIdentity identity, WatchOptions options, ILogger<WatchHub> logger)
    {
        _identity = identity;
        _header = new EncodedHeader(identity);
        _options = options;
        _logger = logger;
        _syncLoop = new WatchSyncLoop(this, store, options, logger);
        _maintenanceLoop = new WatchMaintenanceLoop(this, options);
    }

    /// <summary>The last revision notified: every synced watcher has been handed all events up to it.</summary>
    public long CurrentRevision
    {
        get
        {
            lock (_lock)
            {
                return _currentRevision;
            }
        }
    }

    /// <summary>Counts for metrics and tests.</summary>
    public WatchHubCounts Counts
    {
        get
        {
            lock (_lock)
            {
                return new WatchHubCounts(_streams, _synced.Count, _unsynced.Count, _victims.Count);
            }
        }
    }

    internal WatchOptions Options => _options;

    /// <summary>Starts the background loops; <paramref name="currentRevision"/> is where the change feed starts.</summary>
    public void Start(long currentRevision)
    {
        lock (_lock)
        {
            _currentRevision = currentRevision;
        }

        _loops = Task.WhenAll(
            Task.Run(() => _syncLoop.RunAsync(_stopping.Token)),
            Task.Run(() => _maintenanceLoop.RunAsync(_stopping.Token)));
    }

    public WatchStream OpenStream()
    {
        lock (_lock)
        {
            _streams++;
        }

        return new WatchStream(this, _options, _header);
    }

    /// <summary>
    /// Hands the hub the events of the revisions after <see cref="CurrentRevision"/> up to
    /// <paramref name="throughRevision"/>, in revision order, with their previous versions.
    /// Called by the change feed only, in order and without gaps.
    /// </summary>
    public void Notify(IReadOnlyList<Event> events, long throughRevision)
    {
        lock (_lock)
        {
            var start = 0;
            while (start < events.Count)
            {
                var revision = events[start].Kv.ModRevision;
                var end = start + 1;
                while (end < events.Count && events[end].Kv.ModRevision == revision)
                {
                    end++;
                }

                if (revision > _currentRevision)
                {
                    NotifyRevision(events, start, end, revision);
                    _currentRevision = revision;
                }

                start = end;
            }

            _currentRevision = Math.Max(_currentRevision, throughRevision);
        }
    }

    private void NotifyRevision(IReadOnlyList<Event> events, int start, int end, long revision)
    {
        if (end - start == 1)
        {
            // One change per revision is the common case: no per-watcher collection needed,
            // and the event is encoded once, on the first match.
            var change = events[start];
            EncodedEvent? encoded = null;
            _matches.Clear();
            _synced.Match(change.Kv.Key, _matches);
            foreach (var watcher in _matches)
            {
                if (watcher.NextRevision > revision || !watcher.Accepts(change))
                {
                    continue;
                }

                var shared = encoded ??= new EncodedEvent(change);
                DeliverLive(watcher, revision, new ReadOnlySpan<EncodedEvent>(ref shared));
            }

            return;
        }

        for (var i = start; i < end; i++)
        {
            var change = events[i];
            EncodedEvent? encoded = null;
            _matches.Clear();
            _synced.Match(change.Kv.Key, _matches);
            foreach (var watcher in _matches)
            {
                if (watcher.NextRevision > revision || !watcher.Accepts(change))
                {
                    continue;
                }

                Collect(watcher).Add(encoded ??= new EncodedEvent(change));
            }
        }

        foreach (var (watcher, list) in _collected)
        {
            DeliverLive(watcher, revision, CollectionsMarshal.AsSpan(list));
            Recycle(list);
        }

        _collected.Clear();
    }

    private void DeliverLive(Watcher watcher, long revision, ReadOnlySpan<EncodedEvent> events)
    {
        watcher.NextRevision = revision + 1;
        if (watcher.Stream.TryEnqueueLive(watcher, revision, events, out var refused))
        {
            watcher.SentSinceProgressTick = true;
            return;
        }

        // The stream is full or this watcher has its share queued: park it with these
        // events. Later revisions come from history once it moves on.
        _synced.Remove(watcher);
        watcher.State = WatcherState.Victim;
        watcher.Pending = refused;
        watcher.Stream.LaggingCount++;
        _victims.Add(watcher);
    }

    internal void Create(WatchStream stream, WatchCreateRequest request)
    {
        lock (_lock)
        {
            if (stream.Closed)
            {
                return;
            }

            // etcd watches key "\0" when the key is omitted.
            var key = request.Key.IsEmpty ? KeyRange.ZeroKey : request.Key;
            var range = KeyRange.FromRequest(key, request.RangeEnd);
            if (request.WatchId != 0 && stream.Watchers.ContainsKey(request.WatchId))
            {
                stream.EnqueueControl(FailedCreate(EtcdErrors.DuplicateWatchIdReason));
                return;
            }

            if (range.IsEmpty)
            {
                stream.EnqueueControl(FailedCreate(EtcdErrors.EmptyWatcherRangeReason));
                return;
            }

            if (request.StartRevision < 0)
            {
                // As etcd 3.4.45 and 3.6 answer it (3.4.23 sent an odd compaction reply).
                stream.EnqueueControl(FailedCreate(EtcdErrors.CompactedMessage));
                return;
            }

            var id = request.WatchId != 0 ? request.WatchId : TakeAutoId(stream);
            var caughtUp = request.StartRevision == 0 || request.StartRevision > _currentRevision;
            var watcher = new Watcher(stream, id, range, request, request.StartRevision == 0 ? _currentRevision + 1 : request.StartRevision);
            stream.Watchers.Add(id, watcher);
            stream.EnqueueControl(new WatchResponse { Header = _identity.Header(_currentRevision), WatchId = id, Created = true });
            if (watcher.ProgressNotify)
            {
                _progressWatchers.Add(watcher);
            }

            if (caughtUp)
            {
                // A start revision in the future waits in the synced group: Notify skips it
                // until its revision comes.
                watcher.State = WatcherState.Synced;
                _synced.Add(watcher);
            }
            else
            {
                watcher.State = WatcherState.Unsynced;
                _unsynced.Add(watcher);
                stream.LaggingCount++;
                _syncLoop.Wake();
            }
        }
    }

    internal void Cancel(WatchStream stream, long watchId)
    {
        lock (_lock)
        {
            if (!stream.Watchers.Remove(watchId, out var watcher))
            {
                return;
            }

            Detach(watcher);
            stream.EnqueueControl(new WatchResponse { Header = _identity.Header(_currentRevision), WatchId = watchId, Canceled = true });
        }
    }

    internal void RequestProgress(WatchStream stream)
    {
        lock (_lock)
        {
            if (stream.LaggingCount == 0)
            {
                EnqueueProgress(stream);
            }
            else
            {
                // Answered once every watcher of the stream has caught up (etcd 3.5): a
                // revision the stream has not reached would break the promise that nothing
                // at or below it is still to come.
                stream.ProgressPending = true;
            }
        }
    }

    internal void Close(WatchStream stream)
    {
        lock (_lock)
        {
            if (stream.Closed)
            {
                return;
            }

            stream.Closed = true;
            _streams--;
            foreach (var watcher in stream.Watchers.Values)
            {
                Detach(watcher);
            }

            stream.Watchers.Clear();
            stream.Complete();
        }
    }

    /// <summary>A stream's sender made room; parked and lagging watchers may move on.</summary>
    internal void SignalRoom()
    {
        _maintenanceLoop.Wake();
        _syncLoop.Wake();
    }

    /// <summary>Picks lagging watchers whose streams have room for a catch-up batch.</summary>
    internal SyncRound? ChooseForSync()
    {
        lock (_lock)
        {
            if (_unsynced.Count == 0)
            {
                return null;
            }

            var round = ++_syncRound;
            var candidates = new List<Watcher>();
            var from = long.MaxValue;
            foreach (var watcher in _unsynced.All)
            {
                if (watcher.NextRevision > _currentRevision)
                {
                    _moving.Add(watcher);
                    continue;
                }

                if (candidates.Count >= _options.SyncBatchWatchers || !watcher.Stream.HasRoomFor(watcher))
                {
                    continue;
                }

                watcher.SyncRound = round;
                candidates.Add(watcher);
                from = Math.Min(from, watcher.NextRevision);
            }

            foreach (var watcher in _moving)
            {
                _unsynced.Remove(watcher);
                MoveToSynced(watcher);
            }

            _moving.Clear();
            return candidates.Count == 0 ? null : new SyncRound(round, candidates, from, _currentRevision);
        }
    }

    /// <summary>
    /// Delivers a page of history to the watchers of <paramref name="round"/> and moves
    /// those that reached the current revision to the synced group, under the same lock
    /// Notify takes, so the live stream continues exactly after the page.
    /// </summary>
    internal void DeliverHistory(SyncRound round, HistoryPage page)
    {
        lock (_lock)
        {
            if (page.Compacted)
            {
                foreach (var watcher in round.Watchers)
                {
                    if (InRound(watcher, round) && watcher.NextRevision < page.CompactRevision)
                    {
                        CancelCompacted(watcher, page.CompactRevision);
                    }
                }

                return;
            }

            foreach (var change in page.Events)
            {
                var revision = change.Kv.ModRevision;
                EncodedEvent? encoded = null;
                _matches.Clear();
                _unsynced.Match(change.Kv.Key, _matches);
                foreach (var watcher in _matches)
                {
                    if (!InRound(watcher, round) || watcher.NextRevision > revision || !watcher.Accepts(change))
                    {
                        continue;
                    }

                    Collect(watcher).Add(encoded ??= new EncodedEvent(change));
                }
            }

            foreach (var watcher in round.Watchers)
            {
                if (!InRound(watcher, round))
                {
                    continue;
                }

                if (_collected.Remove(watcher, out var list))
                {
                    QueueCatchUp(watcher, list, page.ThroughRevision);
                    Recycle(list);
                }

                watcher.NextRevision = Math.Max(watcher.NextRevision, page.ThroughRevision + 1);
                if (watcher.NextRevision > _currentRevision)
                {
                    _unsynced.Remove(watcher);
                    MoveToSynced(watcher);
                }
            }

            _collected.Clear();
        }
    }

    /// <summary>
    /// The feed found the revisions before <paramref name="compactRevision"/> compacted away
    /// before it could read them: every watcher that still needed one of them is canceled
    /// with the compaction reply (its client relists), and the hub continues from there.
    /// </summary>
    public void SkipCompacted(long compactRevision)
    {
        lock (_lock)
        {
            _moving.AddRange(_synced.All);
            foreach (var watcher in _moving)
            {
                if (watcher.NextRevision < compactRevision)
                {
                    CancelCompacted(watcher, compactRevision);
                }
            }

            // Victims and unsynced watchers read history next, and the catch-up loop cancels
            // those that needed compacted revisions.
            _moving.Clear();
            _currentRevision = Math.Max(_currentRevision, compactRevision - 1);
        }
    }

    /// <summary>Offers parked watchers' pending responses to their streams again.</summary>
    internal void RetryVictims()
    {
        lock (_lock)
        {
            _victims.Retry(watcher =>
            {
                watcher.SentSinceProgressTick = true;
                if (watcher.NextRevision > _currentRevision)
                {
                    MoveToSynced(watcher);
                }
                else
                {
                    watcher.State = WatcherState.Unsynced;
                    _unsynced.Add(watcher);
                    _syncLoop.Wake();
                }
            });
        }
    }

    internal bool HasVictims
    {
        get
        {
            lock (_lock)
            {
                return _victims.Count > 0;
            }
        }
    }

    /// <summary>
    /// One progress_notify tick: every caught-up watcher that asked for it and was sent
    /// nothing since the last tick hears the current revision.
    /// </summary>
    internal void TickProgress()
    {
        lock (_lock)
        {
            foreach (var watcher in _progressWatchers)
            {
                if (watcher.State != WatcherState.Synced || watcher.NextRevision > _currentRevision + 1)
                {
                    // Lagging watchers catch up first; a watcher waiting for a future start
                    // revision must not be told of revisions before it.
                    continue;
                }

                if (watcher.SentSinceProgressTick)
                {
                    watcher.SentSinceProgressTick = false;
                    continue;
                }

                if (watcher.Stream.QueuedBytes < _options.MaxStreamQueueBytes)
                {
                    watcher.Stream.EnqueueControl(new WatchResponse { Header = _identity.Header(_currentRevision), WatchId = watcher.Id });
                }
            }
        }
    }

    private static bool InRound(Watcher watcher, SyncRound round) =>
        watcher.SyncRound == round.Id && watcher.State == WatcherState.Unsynced;

    private void QueueCatchUp(Watcher watcher, List<EncodedEvent> changes, long headerRevision)
    {
        // Many revisions per response, split by size only between revisions.
        var stream = watcher.Stream;
        var response = new EncodedWatchResponse(_header, watcher, headerRevision);
        var size = 0;
        long lastRevision = 0;
        foreach (var change in changes)
        {
            var revision = change.Revision;
            if (size >= _options.MaxCatchUpResponseBytes && revision != lastRevision)
            {
                stream.EnqueueCatchUp(watcher, response);
                response = new EncodedWatchResponse(_header, watcher, headerRevision);
                size = 0;
            }

            var one = change;
            response.Append(headerRevision, new ReadOnlySpan<EncodedEvent>(ref one));
            size += change.FieldSize(watcher.PrevKv);
            lastRevision = revision;
        }

        stream.EnqueueCatchUp(watcher, response);
        watcher.SentSinceProgressTick = true;
    }

    private void MoveToSynced(Watcher watcher)
    {
        watcher.State = WatcherState.Synced;
        _synced.Add(watcher);
        var stream = watcher.Stream;
        stream.LaggingCount--;
        if (stream.LaggingCount == 0 && stream.ProgressPending)
        {
            EnqueueProgress(stream);
        }
    }

    private void CancelCompacted(Watcher watcher, long compactRevision)
    {
        Detach(watcher);

        // The ID stays taken until the client cancels it, as in etcd.
        watcher.State = WatcherState.Compacted;
        watcher.Stream.EnqueueControl(new WatchResponse
        {
            Header = _identity.Header(0),
            WatchId = watcher.Id,
            Canceled = true,
            CompactRevision = compactRevision,
        });
    }

    /// <summary>Takes a watcher out of whatever group holds it.</summary>
    private void Detach(Watcher watcher)
    {
        var stream = watcher.Stream;
        switch (watcher.State)
        {
            case WatcherState.Synced:
                _synced.Remove(watcher);
                break;
            case WatcherState.Unsynced:
                _unsynced.Remove(watcher);
                stream.LaggingCount--;
                break;
            case WatcherState.Victim:
                _victims.Remove(watcher);
                watcher.Pending = null;
                stream.LaggingCount--;
                break;
        }

        watcher.State = WatcherState.Canceled;
        _progressWatchers.Remove(watcher);
        if (stream.LaggingCount == 0 && stream.ProgressPending && !stream.Closed)
        {
            EnqueueProgress(stream);
        }
    }

    private void EnqueueProgress(WatchStream stream)
    {
        stream.ProgressPending = false;
        stream.EnqueueControl(new WatchResponse { Header = _identity.Header(_currentRevision), WatchId = -1 });
    }

    private WatchResponse FailedCreate(string reason) => new()
    {
        Header = _identity.Header(_currentRevision),
        WatchId = -1,
        Created = true,
        Canceled = true,
        CancelReason = reason,
    };

    private static long TakeAutoId(WatchStream stream)
    {
        while (stream.Watchers.ContainsKey(stream.NextAutoId))
        {
            stream.NextAutoId++;
        }

        return stream.NextAutoId++;
    }

    private List<EncodedEvent> Collect(Watcher watcher)
    {
        if (!_collected.TryGetValue(watcher, out var list))
        {
            list = _eventLists.TryPop(out var recycled) ? recycled : [];
            _collected.Add(watcher, list);
        }

        return list;
    }

    private void Recycle(List<EncodedEvent> list)
    {
        list.Clear();
        if (_eventLists.Count < 1024)
        {
            _eventLists.Push(list);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _stopping.Cancel();
        try
        {
            await _loops.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }
}

/// <summary>Watchers chosen for one catch-up read of history [FromRevision, ToRevision].</summary>
internal sealed record SyncRound(long Id, List<Watcher> Watchers, long FromRevision, long ToRevision);

/// <summary>How many streams and watchers a hub has, by group.</summary>
public readonly record struct WatchHubCounts(int Streams, int Synced, int Unsynced, int Victims);
