using Grpc.Core;
using Vigil.Protocol.Errors;

namespace Vigil.Client.Internal;

/// <summary>
/// Turns a failed call's status into the client's exception types. etcd identifies its
/// errors by message text (its own client keeps a table of them); the text is matched
/// without the "etcdserver: " prefix so that proxies which strip it still map.
/// </summary>
internal static class EtcdErrorMap
{
    private const string ServerPrefix = "etcdserver: ";

    public static VigilException ToException(RpcException error) => ToException(CallFailure.StatusOf(error), error.Status.Detail, error);

    public static VigilException ToException(StatusCode code, string message, Exception? inner)
    {
        if (string.IsNullOrEmpty(message))
        {
            message = $"the call failed with status {code}";
        }

        return code switch
        {
            StatusCode.OutOfRange when Names(message, EtcdErrors.CompactedMessage) => new CompactedException(message, null, inner),
            StatusCode.OutOfRange when Names(message, EtcdErrors.FutureRevisionMessage) => new FutureRevisionException(message, inner),
            // The Lock and Election services pass the KV's errors on as UNKNOWN.
            StatusCode.NotFound or StatusCode.Unknown when Names(message, EtcdErrors.LeaseNotFoundMessage) => new LeaseNotFoundException(message, inner),
            StatusCode.InvalidArgument when Names(message, EtcdErrors.RequestTooLargeMessage) => new RequestTooLargeException(message, code, inner),

            // gRPC's own limit on a message's size: the server's, hit before etcd looks at the
            // request, or this client's (VigilClientOptions.MaxSendMessageBytes).
            StatusCode.ResourceExhausted when message.Contains("larger than max", StringComparison.Ordinal)
                || message.Contains("exceeds the maximum configured message size", StringComparison.Ordinal) => new RequestTooLargeException(message, code, inner),
            StatusCode.InvalidArgument => new InvalidRequestException(message, inner),
            StatusCode.Unavailable => new UnavailableException(message, inner),
            StatusCode.DeadlineExceeded => new DeadlineExceededException(message, inner),
            _ => new VigilException(message, code, inner),
        };
    }

    private static bool Names(string message, string etcdMessage) =>
        message.Contains(etcdMessage.AsSpan(ServerPrefix.Length), StringComparison.Ordinal);
}
