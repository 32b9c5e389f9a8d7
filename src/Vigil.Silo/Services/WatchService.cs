using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vigil.Core.Watch;
using Vigil.Grains;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Silo.Services;

/// <summary>
/// etcd's Watch service: one bidirectional call is one <see cref="WatchStream"/>. A receive
/// loop turns requests into creates, cancels and progress requests; a send loop drains the
/// stream's queue, writing every ready response before one flush. Responses are written by
/// <see cref="EncodedWatchResponse.Marshaller"/>: events are serialized once per revision,
/// not once per watcher.
/// </summary>
internal sealed partial class WatchService(SiloNode node, IHostApplicationLifetime lifetime, ILogger<WatchService> logger)
    : EncodedWatchServiceBase
{
    // All but the last response of a batch are only buffered; the last one's write flushes them all.
    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);

    // A long batch is flushed every so many bytes, so the client starts reading it early and
    // the transport's flow control holds the sender back before much is buffered.
    private const int FlushBytes = 64 * 1024;

    private static readonly Metadata NoHeaders = [];

    public override async Task Watch(IAsyncStreamReader<WatchRequest> requestStream, IServerStreamWriter<EncodedWatchResponse> responseStream, ServerCallContext context)
    {
        // Clients (etcdctl among them) send "hasleader: true"; this node always has one.
        using var stream = node.Watches.OpenStream();
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            // The headers go out now, not with the first response: a client may wait for them
            // before it treats the stream as open, and a create can wait for the feed first.
            await context.WriteResponseHeadersAsync(NoHeaders);
            var sending = SendAsync(stream, responseStream, ended.Token);
            try
            {
                await ReceiveAsync(stream, requestStream, ended.Token);

                // A half-closed request stream does not end the call (etcd 3.4): watchers keep
                // receiving until the client cancels.
                await sending;
            }
            finally
            {
                await ended.CancelAsync();
                try
                {
                    await sending;
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
        catch (OperationCanceledException) when (Stopping(context))
        {
        }

        if (Stopping(context))
        {
            // UNAVAILABLE makes etcd clients resume elsewhere.
            throw EtcdErrors.Stopped;
        }
    }

    // The server is stopping and the client is still there to be told.
    private bool Stopping(ServerCallContext context) =>
        lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested;

    private async Task ReceiveAsync(WatchStream stream, IAsyncStreamReader<WatchRequest> requests, CancellationToken cancellationToken)
    {
        while (await requests.MoveNext(cancellationToken))
        {
            var request = requests.Current;
            switch (request.RequestUnionCase)
            {
                case WatchRequest.RequestUnionOneofCase.CreateRequest:
                    // Nothing older than what the client may have seen elsewhere (etcd#15271).
                    await node.PrepareWatchAsync(request.CreateRequest.StartRevision, cancellationToken);
                    stream.Create(request.CreateRequest);
                    break;
                case WatchRequest.RequestUnionOneofCase.CancelRequest:
                    stream.Cancel(request.CancelRequest.WatchId);
                    break;
                case WatchRequest.RequestUnionOneofCase.ProgressRequest:
                    stream.RequestProgress();
                    break;
                default:
                    // etcd ignores a request with nothing set.
                    break;
            }
        }
    }

    private async Task SendAsync(WatchStream stream, IServerStreamWriter<EncodedWatchResponse> responses, CancellationToken cancellationToken)
    {
        try
        {
            while (await stream.WaitToReadAsync(cancellationToken))
            {
                // One response ahead: a write flushes only when nothing else is ready.
                if (!stream.TryReadEncoded(out var response))
                {
                    continue;
                }

                var unflushed = 0;
                while (true)
                {
                    var more = stream.TryReadEncoded(out var next);
                    unflushed += response.CalculateSize();
                    var flush = !more || unflushed >= FlushBytes;
                    unflushed = flush ? 0 : unflushed;
                    responses.WriteOptions = flush ? null : Buffered;

                    // No token: a canceled write resets the HTTP/2 stream, and the call's
                    // status must still reach the client. A write blocked by a client that
                    // does not read ends when that client or its connection goes.
                    await responses.WriteAsync(response);
                    if (!more)
                    {
                        break;
                    }

                    response = next!;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception error) when (error is IOException or InvalidOperationException)
        {
            LogSendFailed(error.Message);
            throw new RpcException(new Status(StatusCode.Unavailable, "watch stream closed: " + error.Message));
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Watch stream send failed: {Reason}")]
    private partial void LogSendFailed(string reason);
}
