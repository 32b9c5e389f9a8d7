using Grpc.Core;

namespace Vigil.Client;

/// <summary>
/// The request is larger than the server accepts: above its max-request-bytes
/// (<c>etcdserver: request is too large</c>, INVALID_ARGUMENT) or above its gRPC message limit
/// (RESOURCE_EXHAUSTED).
/// </summary>
public sealed class RequestTooLargeException : VigilException
{
    /// <summary>Creates the exception with the server's <paramref name="message"/> and status.</summary>
    public RequestTooLargeException(string message, StatusCode statusCode = StatusCode.InvalidArgument, Exception? innerException = null)
        : base(message, statusCode, innerException)
    {
    }
}
