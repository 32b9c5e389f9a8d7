using Google.Protobuf;

namespace Vigil.Server.Grpc;

/// <summary>
/// The messages a server sends on a streaming call. Writers are not thread-safe: one writer
/// (for instance one send loop) at a time.
/// </summary>
public interface IGrpcResponseStream<TResponse>
    where TResponse : class, IMessage<TResponse>
{
    /// <summary>
    /// Frames <paramref name="message"/> into the response buffer without sending it. Write
    /// several, then <see cref="FlushAsync"/> once: one flush per batch, not per message.
    /// </summary>
    void Write(TResponse message);

    /// <summary>
    /// Sends what has been written. Waits while the client's flow-control window is full, so
    /// a slow reader slows the writer down. When <paramref name="cancellationToken"/> cannot
    /// be canceled the call's own token is used.
    /// </summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);

    /// <summary><see cref="Write"/> then <see cref="FlushAsync"/>.</summary>
    ValueTask WriteAsync(TResponse message, CancellationToken cancellationToken = default);
}
