using Google.Protobuf;

namespace Vigil.Client.Grpc;

/// <summary>
/// A server-streaming call: the request was sent when the call started; read the responses
/// with <see cref="GrpcCall{TResponse}.ReadAsync"/> or <see cref="GrpcCall{TResponse}.ReadAllAsync"/>.
/// </summary>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class ServerStreamingCall<TResponse> : GrpcCall<TResponse>
    where TResponse : class, IMessage<TResponse>
{
    internal ServerStreamingCall(GrpcConnection connection, HttpRequestMessage request, MessageParser<TResponse> parser, CallOptions options)
        : base(connection, request, parser, options)
    {
    }
}
