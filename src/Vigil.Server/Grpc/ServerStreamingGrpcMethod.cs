using Google.Protobuf;

namespace Vigil.Server.Grpc;

internal sealed class ServerStreamingGrpcMethod<TRequest, TResponse> : GrpcMethod
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly MessageParser<TRequest> _parser;
    private readonly ServerStreamingMethod<TRequest, TResponse> _handler;

    public ServerStreamingGrpcMethod(string path, MessageParser<TRequest> parser, ServerStreamingMethod<TRequest, TResponse> handler)
        : base(path)
    {
        _parser = parser;
        _handler = handler;
    }

    public override async Task InvokeAsync(GrpcServerCall call)
    {
        await call.StartStreamingAsync();
        var request = await call.ReadSingleRequestAsync(_parser);
        await _handler(request, new GrpcResponseStream<TResponse>(call), call.Context);
    }
}
