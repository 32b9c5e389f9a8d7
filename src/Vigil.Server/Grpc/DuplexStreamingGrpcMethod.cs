using Google.Protobuf;

namespace Vigil.Server.Grpc;

internal sealed class DuplexStreamingGrpcMethod<TRequest, TResponse> : GrpcMethod
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly MessageParser<TRequest> _parser;
    private readonly DuplexStreamingMethod<TRequest, TResponse> _handler;

    public DuplexStreamingGrpcMethod(string path, MessageParser<TRequest> parser, DuplexStreamingMethod<TRequest, TResponse> handler)
        : base(path)
    {
        _parser = parser;
        _handler = handler;
    }

    public override async Task InvokeAsync(GrpcServerCall call)
    {
        await call.StartStreamingAsync();
        await _handler(new GrpcRequestStream<TRequest>(call, _parser), new GrpcResponseStream<TResponse>(call), call.Context);
    }
}
