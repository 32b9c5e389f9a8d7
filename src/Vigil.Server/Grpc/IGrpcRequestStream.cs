using Google.Protobuf;
using Grpc.Core;

namespace Vigil.Server.Grpc;

/// <summary>The messages a client sends on a streaming call. One reader at a time.</summary>
public interface IGrpcRequestStream<TRequest>
    where TRequest : class, IMessage<TRequest>
{
    /// <summary>
    /// The next request, or null once the client has half-closed its side. A malformed
    /// message throws <see cref="Vigil.Protocol.Grpc.RpcException"/> (let it propagate: it
    /// becomes the call's status); the end of the call (client gone, deadline, server
    /// shutdown) throws <see cref="OperationCanceledException"/>.
    /// </summary>
    ValueTask<TRequest?> ReadAsync(CancellationToken cancellationToken = default);
}
