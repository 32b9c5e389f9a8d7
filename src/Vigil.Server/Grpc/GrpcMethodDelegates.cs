using Google.Protobuf;

namespace Vigil.Server.Grpc;

/// <summary>Handles a unary call: one request, one response.</summary>
public delegate ValueTask<TResponse> UnaryMethod<TRequest, TResponse>(TRequest request, ServerCallContext context)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>;

/// <summary>
/// Handles a server-streaming call: one request, any number of responses. The call ends with
/// status OK when the returned task completes; the streams must not be used after that.
/// </summary>
public delegate Task ServerStreamingMethod<TRequest, TResponse>(TRequest request, IGrpcResponseStream<TResponse> responses, ServerCallContext context)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>;

/// <summary>
/// Handles a bidirectional-streaming call. Requests and responses flow independently; the
/// call ends with status OK when the returned task completes, even if the client is still
/// sending; the streams must not be used after that.
/// </summary>
public delegate Task DuplexStreamingMethod<TRequest, TResponse>(IGrpcRequestStream<TRequest> requests, IGrpcResponseStream<TResponse> responses, ServerCallContext context)
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>;
