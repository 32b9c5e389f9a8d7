using Grpc.Core;
using Microsoft.Extensions.Logging;
using Vigil.Core;
using Vigil.Core.Watch;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Grpc;
using Vigil.Server.Grpc;
using ServerCallContext = Vigil.Server.Grpc.ServerCallContext;

namespace Vigil.Server.Services;

/// <summary>
/// etcd's Watch service: one bidirectional call is one <see cref="WatchStream"/>. A receive
/// loop turns requests into creates, cancels and progress requests; a send loop drains the
/// stream's queue, writing every ready response before one flush.
/// </summary>
internal sealed partial class WatchService(VigilNode node, ILogger<WatchService> logger)
{
    public void Register(GrpcMethodTable methods) =>
        methods.AddDuplexStreaming<WatchRequest, WatchResponse>("/etcdserverpb.Watch/Watch", WatchRequest.Parser, WatchAsync);

    private async Task WatchAsync(IGrpcRequestStream<WatchRequest> requests, IGrpcResponseStream<WatchResponse> responses, ServerCallContext context)
    {
        // Clients (etcdctl among them) send "hasleader: true"; this node always has one.
        using var stream = node.Watches.OpenStream();
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var sending = SendAsync(stream, responses, ended.Token);
        try
        {
            await ReceiveAsync(stream, requests, ended.Token);

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

        if (context.CancellationToken.IsCancellationRequested && !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            // The server is stopping: UNAVAILABLE makes etcd clients resume elsewhere.
            throw EtcdErrors.Stopped;
        }
    }

    private async Task ReceiveAsync(WatchStream stream, IGrpcRequestStream<WatchRequest> requests, CancellationToken cancellationToken)
    {
        while (await requests.ReadAsync(cancellationToken) is { } request)
        {
            switch (request.RequestUnionCase)
            {
                case WatchRequest.RequestUnionOneofCase.CreateRequest:
                    await CatchUpForAsync(request.CreateRequest, cancellationToken);
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

    /// <summary>
    /// Before a watch starts, this node's feed must have applied what the client may already
    /// have seen, on any node: the revision before its start revision (capped at the store's
    /// revision, for starts in the future), or for a watch from "now" the store's revision.
    /// Then its created reply, events and progress never show a revision lower than that.
    /// </summary>
    private async Task CatchUpForAsync(WatchCreateRequest create, CancellationToken cancellationToken)
    {
        long needed;
        if (create.StartRevision > 0)
        {
            if (create.StartRevision - 1 <= node.Feed.AppliedRevision)
            {
                return;
            }

            needed = Math.Min(create.StartRevision - 1, await node.StoreRevisionAsync(cancellationToken));
        }
        else if (create.StartRevision == 0)
        {
            needed = await node.StoreRevisionAsync(cancellationToken);
        }
        else
        {
            return;
        }

        await node.EnsureAppliedAsync(needed, cancellationToken);
    }

    private async Task SendAsync(WatchStream stream, IGrpcResponseStream<WatchResponse> responses, CancellationToken cancellationToken)
    {
        try
        {
            while (await stream.WaitToReadAsync(cancellationToken))
            {
                while (stream.TryRead(out var response))
                {
                    responses.Write(response);
                }

                await responses.FlushAsync(cancellationToken);
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
