using System.Diagnostics.CodeAnalysis;
using System.Threading.Tasks.Sources;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Watch;

/// <summary>
/// One etcd Watch stream: many watchers, one ordered queue of responses. Requests come in
/// through <see cref="Create"/>, <see cref="Cancel"/> and <see cref="RequestProgress"/>; the
/// transport's send loop drains the queue with <see cref="TryReadEncoded"/>.
/// </summary>
/// <remarks>
/// Events, control replies and progress notifications share the one queue, so a progress
/// notification never overtakes events queued before it (etcd#15220). Queued bytes per
/// stream and queued responses per watcher are capped: past the caps the hub parks the
/// watcher rather than queueing, which bounds memory and keeps one busy watcher from
/// starving the others on its stream (etcd#17529). While a watcher's last event response
/// still waits in the queue, its next revisions are appended to that response (up to the
/// catch-up response size, never across a control reply): a sender that falls behind then
/// writes one response per watcher per pass instead of one per watcher and revision, and
/// catches up rather than falling further behind.
/// </remarks>
public sealed class WatchStream : IDisposable, IValueTaskSource<bool>
{
    private readonly WatchHub _hub;
    private readonly WatchOptions _options;
    private readonly EncodedHeader _header;

    // Guards the queue, the byte count, the watchers' Queued and OpenResponse, and the waiter.
    // The reader takes the whole queue at once (_taken), so it takes the lock once per batch.
    private readonly Lock _gate = new();
    private readonly Queue<EncodedWatchResponse> _fragments = new();
    private Queue<EncodedWatchResponse> _queue = new();
    private Queue<EncodedWatchResponse> _taken = new();
    private ManualResetValueTaskSourceCore<bool> _waiter = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _waitCancellation;
    private bool _waiting;
    private bool _completed;
    private long _queuedBytes;
    private int _controlEpoch;
    private bool _roomWanted;
    private Action? _onReady;

    internal WatchStream(WatchHub hub, WatchOptions options, EncodedHeader header)
    {
        _hub = hub;
        _options = options;
        _header = header;
    }

    /// <summary>Watchers by ID, including compacted ones whose ID the client has not released. Hub lock.</summary>
    internal Dictionary<long, Watcher> Watchers { get; } = [];

    /// <summary>Next candidate for a server-assigned watch ID. Hub lock.</summary>
    internal long NextAutoId { get; set; }

    /// <summary>Watchers of this stream that are unsynced or victims. Hub lock.</summary>
    internal int LaggingCount { get; set; }

    /// <summary>A progress request waits for every watcher of the stream to catch up. Hub lock.</summary>
    internal bool ProgressPending { get; set; }

    internal bool Closed { get; set; }

    internal long QueuedBytes => Volatile.Read(ref _queuedBytes);

    /// <summary>Handles a create request; the reply (created, or created+canceled) is queued.</summary>
    public void Create(WatchCreateRequest request) => _hub.Create(this, request);

    /// <summary>Cancels a watcher; an unknown ID gets no reply, as in etcd.</summary>
    public void Cancel(long watchId) => _hub.Cancel(this, watchId);

    /// <summary>Queues a progress notification once every watcher of the stream has caught up.</summary>
    public void RequestProgress() => _hub.RequestProgress(this);

    /// <summary>
    /// Completes with true when a response is ready, false once the stream is closed and
    /// drained. Single reader: the stream's send loop.
    /// </summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        if (_fragments.Count > 0 || _taken.Count > 0)
        {
            return ValueTask.FromResult(true);
        }

        lock (_gate)
        {
            if (_queue.Count > 0)
            {
                return ValueTask.FromResult(true);
            }

            if (_completed)
            {
                return ValueTask.FromResult(false);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken);
            }

            _waiter.Reset();
            _waiting = true;
        }

        if (cancellationToken.CanBeCanceled)
        {
            _waitCancellation = cancellationToken.UnsafeRegister(static (state, token) => ((WatchStream)state!).CancelWait(token), this);
        }

        return new ValueTask<bool>(this, _waiter.Version);
    }

    /// <summary>
    /// The callback form of <see cref="WaitToReadAsync"/>, for a reader that serves many
    /// streams and drains each when it can (a silo's watch outbox): <see cref="WatchReadiness.Ready"/>
    /// when a response is ready, <see cref="WatchReadiness.Completed"/> once the stream is
    /// closed and drained, else <see cref="WatchReadiness.Waiting"/>, and
    /// <paramref name="ready"/> is called once when that changes. The call runs on the thread
    /// that queued the response or closed the stream, possibly under the hub's lock: it must
    /// only take note, never block or call into the hub. Single reader.
    /// </summary>
    public WatchReadiness WaitToRead(Action ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (_fragments.Count > 0 || _taken.Count > 0)
        {
            return WatchReadiness.Ready;
        }

        lock (_gate)
        {
            if (_queue.Count > 0)
            {
                return WatchReadiness.Ready;
            }

            if (_completed)
            {
                return WatchReadiness.Completed;
            }

            _onReady = ready;
            _waiting = true;
            return WatchReadiness.Waiting;
        }
    }

    /// <summary>Takes the next response to send. Single reader: the stream's send loop.</summary>
    public bool TryReadEncoded([NotNullWhen(true)] out EncodedWatchResponse? response)
    {
        if (_fragments.TryDequeue(out response))
        {
            return true;
        }

        if (!_taken.TryDequeue(out response))
        {
            bool roomWanted;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    return false;
                }

                // Taken responses are the sender's: no more events are appended to them, and
                // they no longer count against the caps.
                (_queue, _taken) = (_taken, _queue);
                foreach (var taken in _taken)
                {
                    _queuedBytes -= taken.QueuedBytes;
                    if (taken.Watcher is { } watcher)
                    {
                        watcher.Queued--;
                        if (ReferenceEquals(watcher.OpenResponse, taken))
                        {
                            watcher.OpenResponse = null;
                        }
                    }
                }

                roomWanted = _roomWanted;
                _roomWanted = false;
            }

            if (roomWanted)
            {
                _hub.SignalRoom();
            }

            response = _taken.Dequeue();
        }

        if (response.Watcher is { Fragment: true } && response.QueuedBytes >= _options.FragmentBytes && response.EventCount > 1)
        {
            response = Fragment(response);
        }

        return true;
    }

    /// <summary>Takes the next response as a message (what a client would parse); for tests and diagnostics.</summary>
    public bool TryRead([NotNullWhen(true)] out WatchResponse? response)
    {
        response = TryReadEncoded(out var encoded) ? encoded.ToMessage() : null;
        return response is not null;
    }

    public void Dispose() => _hub.Close(this);

    /// <summary>
    /// Queues one revision's events for a live watcher, appended to its response still
    /// waiting in the queue when there is one. False when the stream or the watcher has no
    /// room; <paramref name="refused"/> then holds the events as a response of their own,
    /// for the hub to park the watcher with.
    /// </summary>
    internal bool TryEnqueueLive(Watcher watcher, long revision, ReadOnlySpan<EncodedEvent> events, [NotNullWhen(false)] out EncodedWatchResponse? refused)
    {
        bool wake;
        lock (_gate)
        {
            if (watcher.OpenResponse is { } open && open.ControlEpoch == _controlEpoch)
            {
                var added = EncodedWatchResponse.EventsSize(events, watcher.PrevKv);
                if (open.QueuedBytes + added <= MergeLimit(watcher))
                {
                    if (_queuedBytes + added > _options.MaxStreamQueueBytes)
                    {
                        _roomWanted = true;
                        refused = NewResponse(watcher, revision, events);
                        return false;
                    }

                    var before = open.QueuedBytes;
                    open.Append(revision, events);
                    open.QueuedBytes = open.CalculateSize();
                    _queuedBytes += open.QueuedBytes - before;
                    refused = null;
                    return true;
                }
            }

            var response = NewResponse(watcher, revision, events);
            var bytes = response.CalculateSize();
            if ((_queuedBytes > 0 && _queuedBytes + bytes > _options.MaxStreamQueueBytes) || watcher.Queued >= _options.MaxWatcherQueuedResponses)
            {
                _roomWanted = true;
                refused = response;
                return false;
            }

            wake = EnqueueLocked(response, bytes);
            watcher.OpenResponse = response;
        }

        refused = null;
        Wake(wake);
        return true;
    }

    /// <summary>
    /// Queues a victim's pending response when the stream and the watcher have room; an
    /// empty queue always has room, so a response bigger than the cap still goes out.
    /// </summary>
    internal bool TryEnqueue(Watcher watcher, EncodedWatchResponse response)
    {
        bool wake;
        lock (_gate)
        {
            var bytes = response.CalculateSize();
            if ((_queuedBytes > 0 && _queuedBytes + bytes > _options.MaxStreamQueueBytes) || watcher.Queued >= _options.MaxWatcherQueuedResponses)
            {
                _roomWanted = true;
                return false;
            }

            wake = EnqueueLocked(response, bytes);
            watcher.OpenResponse = response;
        }

        Wake(wake);
        return true;
    }

    /// <summary>True when a catch-up batch for <paramref name="watcher"/> may be queued now.</summary>
    internal bool HasRoomFor(Watcher watcher)
    {
        lock (_gate)
        {
            if (_queuedBytes < _options.MaxStreamQueueBytes && watcher.Queued == 0)
            {
                return true;
            }

            _roomWanted = true;
            return false;
        }
    }

    /// <summary>A new event response of <paramref name="watcher"/> holding <paramref name="events"/>.</summary>
    internal EncodedWatchResponse NewResponse(Watcher watcher, long revision, ReadOnlySpan<EncodedEvent> events)
    {
        var response = new EncodedWatchResponse(_header, watcher, revision);
        response.Append(revision, events);
        return response;
    }

    /// <summary>Queues a catch-up response whatever the caps: the catch-up loop checked for room before its round.</summary>
    internal void EnqueueCatchUp(Watcher watcher, EncodedWatchResponse response)
    {
        bool wake;
        lock (_gate)
        {
            wake = EnqueueLocked(response, response.CalculateSize());
            watcher.OpenResponse = response;
        }

        Wake(wake);
    }

    /// <summary>Queues a control reply (created, canceled, progress): never refused, never reordered.</summary>
    internal void EnqueueControl(WatchResponse message)
    {
        var response = new EncodedWatchResponse(message);
        bool wake;
        lock (_gate)
        {
            // Events queued from now on must not be appended to responses ahead of this reply.
            _controlEpoch++;
            wake = EnqueueLocked(response, response.CalculateSize());
        }

        Wake(wake);
    }

    internal void Complete()
    {
        bool wake;
        lock (_gate)
        {
            _completed = true;
            wake = _waiting;
            _waiting = false;
        }

        if (wake)
        {
            WakeReader(false);
        }
    }

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        _waitCancellation.Unregister();
        _waitCancellation = default;
        return _waiter.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);

    private bool EnqueueLocked(EncodedWatchResponse response, int bytes)
    {
        response.QueuedBytes = bytes;
        response.ControlEpoch = _controlEpoch;
        if (response.Watcher is { } watcher)
        {
            watcher.Queued++;
        }

        _queuedBytes += bytes;
        _queue.Enqueue(response);
        var wake = _waiting;
        _waiting = false;
        return wake;
    }

    // Outside the lock: the reader's continuation is queued to the thread pool, not run here.
    private void Wake(bool wake)
    {
        if (wake)
        {
            WakeReader(true);
        }
    }

    /// <summary>Completes the reader's wait, or calls its callback (<see cref="WaitToRead"/>) once.</summary>
    private void WakeReader(bool ready)
    {
        if (Interlocked.Exchange(ref _onReady, null) is { } callback)
        {
            callback();
        }
        else
        {
            _waiter.SetResult(ready);
        }
    }

    private void CancelWait(CancellationToken token)
    {
        lock (_gate)
        {
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
        }

        _waiter.SetException(new OperationCanceledException(token));
    }

    // Appending stops at the catch-up response size, and below the fragment size for watchers
    // that asked for fragments, so a merged response is never split.
    private int MergeLimit(Watcher watcher) =>
        watcher.Fragment ? Math.Min(_options.MaxCatchUpResponseBytes, _options.FragmentBytes - 1) : _options.MaxCatchUpResponseBytes;

    /// <summary>
    /// Splits an oversized response into pieces of whole events, each under the fragment
    /// size if it can be; all pieces but the last carry fragment=true.
    /// </summary>
    private EncodedWatchResponse Fragment(EncodedWatchResponse response)
    {
        // Every piece but the last also carries the fragment flag (2 bytes).
        var envelope = response.EnvelopeSize + 2;
        var watcher = response.Watcher!;
        EncodedWatchResponse? first = null;
        var start = 0;
        var size = envelope;
        for (var i = 0; i < response.EventCount; i++)
        {
            var eventSize = response.EventAt(i).FieldSize(watcher.PrevKv);
            if (i > start && size + eventSize >= _options.FragmentBytes)
            {
                Add(response.Piece(start, i - start, fragment: true));
                start = i;
                size = envelope;
            }

            size += eventSize;
        }

        Add(response.Piece(start, response.EventCount - start, fragment: false));
        return first!;

        void Add(EncodedWatchResponse piece)
        {
            if (first is null)
            {
                first = piece;
            }
            else
            {
                _fragments.Enqueue(piece);
            }
        }
    }
}
