using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Vigil.Silo.Tests;

/// <summary>
/// A gRPC channel to one server that calls methods by their path, for tests that speak the
/// wire directly (etcd methods and the transport tests' own services). Grpc.Net.Client with
/// no retries and no receive limit, like Vigil.Client's channels.
/// </summary>
public sealed class RawConnection : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<(string Path, MethodType Type, Type Request, Type Response), object> Methods = new();

    private readonly GrpcChannel _channel;
    private readonly CallInvoker _invoker;

    public RawConnection(string address, Action<SocketsHttpHandler>? configure = null)
        : this(new Uri(address, UriKind.Absolute), configure)
    {
    }

    public RawConnection(Uri address, Action<SocketsHttpHandler>? configure = null)
    {
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, UseProxy = false };
        configure?.Invoke(handler);
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = null,
        });
        _invoker = _channel.CreateCallInvoker();
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Calls <paramref name="path"/> (<c>/package.Service/Method</c>) once and returns its response.</summary>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(string path, TRequest request, MessageParser<TResponse> parser, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        using var call = _invoker.AsyncUnaryCall(MethodFor<TRequest, TResponse>(path, MethodType.Unary, parser), null, options, request);
        return await call.ResponseAsync;
    }

    /// <summary>As <see cref="UnaryAsync"/>, failing with DEADLINE_EXCEEDED after <paramref name="timeout"/>.</summary>
    public Task<TResponse> UnaryAsync<TRequest, TResponse>(string path, TRequest request, MessageParser<TResponse> parser, TimeSpan timeout)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        UnaryAsync(path, request, parser, new CallOptions(deadline: DateTime.UtcNow + timeout));

    public AsyncServerStreamingCall<TResponse> ServerStreaming<TRequest, TResponse>(string path, TRequest request, MessageParser<TResponse> parser, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        _invoker.AsyncServerStreamingCall(MethodFor<TRequest, TResponse>(path, MethodType.ServerStreaming, parser), null, options, request);

    public AsyncDuplexStreamingCall<TRequest, TResponse> Duplex<TRequest, TResponse>(string path, MessageParser<TResponse> parser, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        _invoker.AsyncDuplexStreamingCall(MethodFor<TRequest, TResponse>(path, MethodType.DuplexStreaming, parser), null, options);

    /// <summary>Closes the connections; calls still running end with CANCELLED.</summary>
    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }

    // One Method per path and shape: the channel caches per Method instance.
    private static Method<TRequest, TResponse> MethodFor<TRequest, TResponse>(string path, MethodType type, MessageParser<TResponse> parser)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        (Method<TRequest, TResponse>)Methods.GetOrAdd((path, type, typeof(TRequest), typeof(TResponse)), key =>
        {
            var slash = key.Path.LastIndexOf('/');
            if (slash <= 0 || key.Path[0] != '/')
            {
                throw new ArgumentException($"A gRPC method path is /package.Service/Method, not '{key.Path}'.", nameof(path));
            }

            return new Method<TRequest, TResponse>(
                key.Type,
                key.Path[1..slash],
                key.Path[(slash + 1)..],
                Marshallers.Create<TRequest>(static message => message.ToByteArray(), static _ => throw new NotSupportedException("requests are only sent")),
                Marshallers.Create(static message => message.ToByteArray(), bytes => parser.ParseFrom(bytes)));
        });
}
