using Google.Protobuf;

namespace Vigil.Server.Grpc;

internal sealed class GrpcResponseStream<TResponse> : IGrpcResponseStream<TResponse>
    where TResponse : class, IMessage<TResponse>
{
    private readonly GrpcServerCall _call;

    public GrpcResponseStream(GrpcServerCall call)
    {
        _call = call;
    }

    public void Write(TResponse message) => _call.WriteMessage(message);

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => _call.FlushAsync(cancellationToken);

    public ValueTask WriteAsync(TResponse message, CancellationToken cancellationToken = default)
    {
        _call.WriteMessage(message);
        return _call.FlushAsync(cancellationToken);
    }
}
