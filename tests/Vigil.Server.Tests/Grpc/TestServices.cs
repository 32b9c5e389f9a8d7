using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Vigil.Protocol.Etcdserverpb;
using Vigil.Protocol.Grpc;
using Vigil.Protocol.Mvccpb;
using Vigil.Server.Grpc;
using ServerCallContext = Vigil.Server.Grpc.ServerCallContext;

namespace Vigil.Server.Tests.Grpc;

/// <summary>
/// Handlers the loopback tests call, using etcd messages as payloads. Handlers that wait for
/// cancellation report it through <see cref="Signal"/>, keyed by an id the test chooses.
/// </summary>
internal sealed class TestServices
{
    public const string Range = "/etcdserverpb.KV/Range";
    public const string Fail = "/test.Errors/Fail";
    public const string Throw = "/test.Errors/Throw";
    public const string Wait = "/test.Slow/Wait";
    public const string Count = "/test.Stream/Count";
    public const string KeepAlive = "/etcdserverpb.Lease/LeaseKeepAlive";
    public const string Hold = "/test.Duplex/Hold";
    public const string First = "/test.Duplex/First";

    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _signals = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new();

    public ConcurrentDictionary<string, byte> ConnectionIds { get; } = new();

    /// <summary>The HTTP/2 connection each keep-alive request ID arrived on.</summary>
    public ConcurrentDictionary<long, string> KeepAliveConnections { get; } = new();

    public TaskCompletionSource<string> Signal(string id) =>
        _signals.GetOrAdd(id, _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Completes when a waiting handler for <paramref name="id"/> has started and registered its signal.</summary>
    public TaskCompletionSource Started(string id) =>
        _started.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public GrpcMethodTable CreateTable()
    {
        var table = new GrpcMethodTable();
        table.AddUnary<RangeRequest, RangeResponse>(Range, RangeRequest.Parser, EchoRange);
        table.AddUnary<PutRequest, PutResponse>(Fail, PutRequest.Parser, (request, _) =>
            throw new RpcException(new Status((StatusCode)request.Lease, request.Value.ToStringUtf8())));
        table.AddUnary<PutRequest, PutResponse>(Throw, PutRequest.Parser, (request, _) =>
            throw new InvalidOperationException(request.Key.ToStringUtf8()));
        table.AddUnary<PutRequest, PutResponse>(Wait, PutRequest.Parser, WaitForCancellationAsync);
        table.AddServerStreaming<RangeRequest, RangeResponse>(Count, RangeRequest.Parser, CountAsync);
        table.AddDuplexStreaming<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(KeepAlive, LeaseKeepAliveRequest.Parser, EchoKeepAlivesAsync);
        table.AddDuplexStreaming<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(Hold, LeaseKeepAliveRequest.Parser, HoldAsync);
        table.AddDuplexStreaming<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(First, LeaseKeepAliveRequest.Parser, async (requests, responses, _) =>
        {
            // Answers the first request and ends the call without waiting for the client.
            var first = await requests.ReadAsync() ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "no request"));
            await responses.WriteAsync(new LeaseKeepAliveResponse { ID = first.ID });
        });
        return table;
    }

    // Echoes the request: count = limit, one kv with the key and the x-echo header, then kvs
    // with the HTTP protocol the call arrived on, the method path and the deadline.
    private ValueTask<RangeResponse> EchoRange(RangeRequest request, ServerCallContext context)
    {
        ConnectionIds.TryAdd(context.HttpContext.Connection.Id, 0);
        var response = new RangeResponse
        {
            Header = new ResponseHeader { Revision = request.Revision },
            Count = request.Limit,
            Kvs =
            {
                new KeyValue { Key = request.Key, Value = ByteString.CopyFromUtf8(context.GetRequestHeader("x-echo") ?? string.Empty) },
                new KeyValue { Key = ByteString.CopyFromUtf8("protocol"), Value = ByteString.CopyFromUtf8(context.HttpContext.Request.Protocol) },
                new KeyValue { Key = ByteString.CopyFromUtf8("method"), Value = ByteString.CopyFromUtf8(context.Method) },
                new KeyValue { Key = ByteString.CopyFromUtf8("deadline"), Value = ByteString.CopyFromUtf8(context.Deadline?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty) },
            },
        };
        return ValueTask.FromResult(response);
    }

    private async ValueTask<PutResponse> WaitForCancellationAsync(PutRequest request, ServerCallContext context)
    {
        var signal = Signal(request.Key.ToStringUtf8());
        context.CancellationToken.Register(() => signal.TrySetResult(context.Deadline is null ? "canceled" : "canceled with deadline"));
        Started(request.Key.ToStringUtf8()).TrySetResult();
        await Task.Delay(Timeout.Infinite, context.CancellationToken);
        return new PutResponse();
    }

    // Sends `limit` responses written as one batch and flushed once. keys_only: then fail
    // with ABORTED; serializable: then wait for cancellation.
    private async Task CountAsync(RangeRequest request, IGrpcResponseStream<RangeResponse> responses, ServerCallContext context)
    {
        for (var i = 0; i < request.Limit; i++)
        {
            responses.Write(new RangeResponse { Count = i, Kvs = { new KeyValue { Key = request.Key, Version = i } } });
        }

        await responses.FlushAsync();
        if (request.KeysOnly)
        {
            throw new RpcException(new Status(StatusCode.Aborted, $"failed after {request.Limit}"));
        }

        if (request.Serializable)
        {
            var signal = Signal(request.Key.ToStringUtf8());
            context.CancellationToken.Register(() => signal.TrySetResult("canceled"));
            Started(request.Key.ToStringUtf8()).TrySetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }
    }

    private async Task EchoKeepAlivesAsync(IGrpcRequestStream<LeaseKeepAliveRequest> requests, IGrpcResponseStream<LeaseKeepAliveResponse> responses, ServerCallContext context)
    {
        while (await requests.ReadAsync() is { } request)
        {
            KeepAliveConnections[request.ID] = context.HttpContext.Connection.Id;
            await responses.WriteAsync(new LeaseKeepAliveResponse { ID = request.ID, TTL = request.ID * 2 });
        }
    }

    // Echoes the first request, then holds the stream open until the call is canceled.
    private async Task HoldAsync(IGrpcRequestStream<LeaseKeepAliveRequest> requests, IGrpcResponseStream<LeaseKeepAliveResponse> responses, ServerCallContext context)
    {
        var first = await requests.ReadAsync() ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "no request"));
        var signal = Signal(first.ID.ToString(System.Globalization.CultureInfo.InvariantCulture));
        context.CancellationToken.Register(() => signal.TrySetResult("canceled"));
        Started(first.ID.ToString(System.Globalization.CultureInfo.InvariantCulture)).TrySetResult();
        await responses.WriteAsync(new LeaseKeepAliveResponse { ID = first.ID, TTL = first.ID * 2 });
        while (await requests.ReadAsync() is not null)
        {
        }

        await Task.Delay(Timeout.Infinite, context.CancellationToken);
    }
}
