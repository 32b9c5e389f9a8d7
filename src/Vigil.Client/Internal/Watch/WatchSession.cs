using System.Threading.Channels;
using Grpc.Core;
using Etcd = Vigil.Protocol.Etcdserverpb;

namespace Vigil.Client.Internal.Watch;

/// <summary>
/// One Watch call on one endpoint, carrying every watch of the client. Requests go through
/// one queue drained by one sender, so they reach the server in the order they were posted:
/// the server answers creates in that order, which is how a failed create (answered with
/// watch_id -1) is matched to its watch.
/// </summary>
internal sealed class WatchSession : IAsyncDisposable
{
    // etcd's own client sends it so that a member without a leader refuses the watch.
    private static readonly Metadata RequireLeader = new() { { "hasleader", "true" } };

    private readonly AsyncDuplexStreamingCall<Etcd.WatchRequest, Etcd.WatchResponse> _call;
    private readonly CancellationTokenSource _cts;
    private readonly Channel<Etcd.WatchRequest> _outbox =
        Channel.CreateUnbounded<Etcd.WatchRequest>(new UnboundedChannelOptions { SingleReader = true });

    private readonly Task _sending;

    public WatchSession(Endpoint endpoint, bool progressIsOrdered, CancellationToken cancellationToken)
    {
        Endpoint = endpoint;
        ProgressIsOrdered = progressIsOrdered;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _call = endpoint.Watch.Watch(RequireLeader, deadline: null, _cts.Token);
        _sending = SendAsync();
    }

    public Endpoint Endpoint { get; }

    /// <summary>
    /// Whether the server answers a progress request only after every event it owes this
    /// stream (etcd ≥ 3.4.25 / 3.5.8, Vigil); older servers may let it overtake a catching-up
    /// watch's events, so it must not move a resume point.
    /// </summary>
    public bool ProgressIsOrdered { get; }

    /// <summary>Creates sent and not answered yet, oldest first. Multiplexer lock.</summary>
    public Queue<WatchSubscription> PendingCreates { get; } = new();

    /// <summary>Set when the session was closed because no watch is left. Multiplexer lock.</summary>
    public bool IsClosing { get; private set; }

    /// <summary>Why the request side failed, if it did.</summary>
    public Exception? SendFailure { get; private set; }

    public void Post(Etcd.WatchRequest request) => _outbox.Writer.TryWrite(request);

    /// <summary>The next response, or null once the server ended the call with OK.</summary>
    public async ValueTask<Etcd.WatchResponse?> ReadAsync() =>
        await _call.ResponseStream.MoveNext(CancellationToken.None) ? _call.ResponseStream.Current : null;

    /// <summary>Ends the call because no watch needs it; the pending read ends.</summary>
    public void Close()
    {
        IsClosing = true;
        Cancel();
    }

    public async ValueTask DisposeAsync()
    {
        _outbox.Writer.TryComplete();
        Cancel();
        await _sending;

        // Resets the stream if the server has not ended it.
        _call.Dispose();
        _cts.Dispose();
    }

    private void Cancel()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: nothing left to end.
        }
    }

    private async Task SendAsync()
    {
        try
        {
            await foreach (var request in _outbox.Reader.ReadAllAsync(_cts.Token))
            {
                await _call.RequestStream.WriteAsync(request, _cts.Token);
            }
        }
        catch (Exception error)
        {
            // A request that cannot be written would leave its watch silently missing; end
            // the call so that the reader sees the failure and the watches are re-created.
            if (!_cts.IsCancellationRequested)
            {
                SendFailure = error;
                Cancel();
            }
        }
    }
}
