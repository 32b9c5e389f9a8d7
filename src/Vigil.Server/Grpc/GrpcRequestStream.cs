using Google.Protobuf;

namespace Vigil.Server.Grpc;

internal sealed class GrpcRequestStream<TRequest> : IGrpcRequestStream<TRequest>
    where TRequest : class, IMessage<TRequest>
{
    private readonly GrpcServerCall _call;
    private readonly MessageParser<TRequest> _parser;

    public GrpcRequestStream(GrpcServerCall call, MessageParser<TRequest> parser)
    {
        _call = call;
        _parser = parser;
    }

    public ValueTask<TRequest?> ReadAsync(CancellationToken cancellationToken = default) =>
        _call.ReadRequestAsync(_parser, cancellationToken);
}
