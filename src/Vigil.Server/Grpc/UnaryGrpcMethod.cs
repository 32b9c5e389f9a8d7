using Google.Protobuf;

namespace Vigil.Server.Grpc;

internal sealed class UnaryGrpcMethod<TRequest, TResponse> : GrpcMethod
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly MessageParser<TRequest> _parser;
    private readonly UnaryMethod<TRequest, TResponse> _handler;

    public UnaryGrpcMethod(string path, MessageParser<TRequest> parser, UnaryMethod<TRequest, TResponse> handler)
        : base(path)
    {
        _parser = parser;
        _handler = handler;
    }

    public override async Task InvokeAsync(GrpcServerCall call)
    {
        var request = await call.ReadSingleRequestAsync(_parser);
        var response = await _handler(request, call.Context)
            ?? throw new InvalidOperationException($"The handler of {Path} returned no response.");

        // A response finished after the deadline or after the client left is not sent:
        // the status says why instead.
        call.CancellationToken.ThrowIfCancellationRequested();
        call.WriteMessage(response);
    }
}
