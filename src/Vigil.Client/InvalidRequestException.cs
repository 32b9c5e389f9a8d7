using Grpc.Core;

namespace Vigil.Client;

/// <summary>The server rejected the request as malformed: an empty key, too many or duplicate operations in a transaction, <c>IgnoreValue</c> on a missing key and the like. The message is etcd's.</summary>
public sealed class InvalidRequestException : VigilException
{
    /// <summary>Creates the exception with the server's <paramref name="message"/>.</summary>
    public InvalidRequestException(string message, Exception? innerException = null)
        : base(message, StatusCode.InvalidArgument, innerException)
    {
    }
}
