using Grpc.Core;

namespace Vigil.Client;

/// <summary>
/// A request failed on the server or could not reach one. The subclasses name the failures
/// callers usually handle; the rest arrive as this type, with the gRPC status code and the
/// server's message (etcd's exact text, e.g. <c>etcdserver: too many operations in txn request</c>).
/// </summary>
public class VigilException : Exception
{
    /// <summary>Creates an exception for a call that ended with <paramref name="statusCode"/>.</summary>
    public VigilException(string message, StatusCode statusCode, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>The gRPC status code the call ended with.</summary>
    public StatusCode StatusCode { get; }
}
