using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Google.Protobuf;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Watch;

/// <summary>
/// One etcd Watch stream: many watchers, one ordered queue of responses. Requests come in
/// through <see cref="Create"/>, <see cref="Cancel"/> and <see cref="RequestProgress"/>; the
/// transport's send loop drains the queue with <see cref="TryRead"/>.
/// </summary>
/// <remarks>
/// Events, control replies and progress notifications share the one queue, so a progress
/// notification never overtakes events queued before it (etcd#15220). Queued bytes per
/// stream and queued responses per watcher are capped: past the caps the hub parks the
/// watcher rather than queueing, which bounds memory and keeps one busy watcher from
/// starving the others on its stream (etcd#17529).
/// </remarks>
public sealed class WatchStream : IDisposable
{
    private readonly WatchHub _hub;
    private readonly WatchOptions _options;
    private readonly Channel<Outbound> _queue = Channel.CreateUnbounded<Outbound>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<WatchResponse> _fragments = new();
    private long _queuedBytes;
    private int _roomWanted;

    internal WatchStream(WatchHub hub, WatchOptions options)
    {
        _hub = hub;
        _options = options;
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

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) =>
        _fragments.Count > 0 ? ValueTask.FromResult(true) : _queue.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Takes the next response to send. Single reader: the stream's send loop.</summary>
    public bool TryRead([NotNullWhen(true)] out WatchResponse? response)
    {
        if (_fragments.TryDequeue(out response))
        {
            return true;
        }

        if (!_queue.Reader.TryRead(out var item))
        {
            response = null;
            return false;
        }

        Interlocked.Add(ref _queuedBytes, -item.Bytes);
        item.Watcher?.OnDequeued();
        if (Volatile.Read(ref _roomWanted) != 0 && Interlocked.Exchange(ref _roomWanted, 0) != 0)
        {
            _hub.SignalRoom();
        }

        response = item.Response;
        if (item.Watcher is { Fragment: true } && item.Bytes >= _options.FragmentBytes && response.Events.Count > 1)
        {
            response = Fragment(response);
        }

        return true;
    }

    public void Dispose() => _hub.Close(this);

    /// <summary>
    /// Queues a live or catch-up response when the stream and the watcher have room; an
    /// empty queue always has room, so a response bigger than the cap still goes out.
    /// </summary>
    internal bool TryEnqueue(Watcher watcher, WatchResponse response)
    {
        var bytes = response.CalculateSize();
        var queued = QueuedBytes;
        if ((queued > 0 && queued + bytes > _options.MaxStreamQueueBytes) || watcher.Queued >= _options.MaxWatcherQueuedResponses)
        {
            Volatile.Write(ref _roomWanted, 1);
            return false;
        }

        Enqueue(watcher, response, bytes);
        return true;
    }

    /// <summary>True when a catch-up batch for <paramref name="watcher"/> may be queued now.</summary>
    internal bool HasRoomFor(Watcher watcher)
    {
        if (QueuedBytes < _options.MaxStreamQueueBytes && watcher.Queued == 0)
        {
            return true;
        }

        Volatile.Write(ref _roomWanted, 1);
        return false;
    }

    /// <summary>Queues a control reply (created, canceled, progress): never refused, never reordered.</summary>
    internal void EnqueueControl(WatchResponse response) => Enqueue(null, response, response.CalculateSize());

    internal void Enqueue(Watcher? watcher, WatchResponse response, int bytes)
    {
        watcher?.OnQueued();
        Interlocked.Add(ref _queuedBytes, bytes);
        _queue.Writer.TryWrite(new Outbound(response, watcher, bytes));
    }

    internal void Complete() => _queue.Writer.TryComplete();

    /// <summary>
    /// Splits an oversized response into pieces of whole events, each under the fragment
    /// size if it can be; all pieces but the last carry fragment=true.
    /// </summary>
    private WatchResponse Fragment(WatchResponse response)
    {
        var baseSize = new WatchResponse { Header = response.Header, WatchId = response.WatchId }.CalculateSize();
        WatchResponse? first = null;
        WatchResponse? piece = null;
        var pieceSize = 0;
        foreach (var change in response.Events)
        {
            var size = 1 + CodedOutputStream.ComputeMessageSize(change);
            if (piece is null || (piece.Events.Count > 0 && pieceSize + size >= _options.FragmentBytes))
            {
                if (piece is not null)
                {
                    piece.Fragment = true;
                }

                piece = new WatchResponse { Header = response.Header, WatchId = response.WatchId };
                pieceSize = baseSize;
                if (first is null)
                {
                    first = piece;
                }
                else
                {
                    _fragments.Enqueue(piece);
                }
            }

            piece.Events.Add(change);
            pieceSize += size;
        }

        return first!;
    }

    private readonly record struct Outbound(WatchResponse Response, Watcher? Watcher, int Bytes);
}
