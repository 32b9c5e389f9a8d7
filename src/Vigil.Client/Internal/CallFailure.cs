using System.Net.Sockets;
using Grpc.Core;

namespace Vigil.Client.Internal;

/// <summary>
/// Reads what a failed call's exception says about the transport: whether the request can
/// have reached a server, and whether the call failed because a connection was lost.
/// Grpc.Net.Client keeps the exception HttpClient threw as the status's debug exception.
/// </summary>
internal static class CallFailure
{
    private const long NoError = 0x0;
    private const long RefusedStream = 0x7;

    /// <summary>
    /// True when the request cannot have reached a server: no connection could be made
    /// (refused, unresolvable, TLS failed, connect timeout) or the server refused the stream
    /// before reading it (HTTP/2 REFUSED_STREAM).
    /// </summary>
    public static bool NeverReachedServer(Exception error)
    {
        // Over a SocketsHttpHandler the channel dials its socket itself and fails the call
        // with the bare dial error (refused, unresolvable, ConnectTimeout) before any HTTP
        // request exists. A socket error wrapped by HttpClient is not enough: it may come from
        // a connection that already carried the request.
        if (error is RpcException { Status.DebugException: SocketException or TimeoutException })
        {
            return true;
        }

        for (var inner = error; inner is not null; inner = Next(inner))
        {
            switch (inner)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError }:
                case HttpProtocolException { ErrorCode: RefusedStream }:

                // SocketsHttpHandler reports its ConnectTimeout as a cancellation around a
                // TimeoutException, before any byte of the request was written.
                case OperationCanceledException { InnerException: TimeoutException }:
                    return true;
                default:
                    break;
            }
        }

        return false;
    }

    /// <summary>
    /// The status the client acts on. Grpc.Net.Client reports a connection that broke under
    /// a call (reset, closed, GOAWAY'd, TLS refused) as INTERNAL unless a socket or I/O
    /// error is among its causes; grpc-go, which etcd's clients follow, says UNAVAILABLE for
    /// every transport failure, and so does this client, so that it fails over.
    /// </summary>
    public static StatusCode StatusOf(RpcException error)
    {
        var code = error.StatusCode;
        if (code is StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled && IsConnectionLoss(error.Status.DebugException))
        {
            return StatusCode.Unavailable;
        }

        return code;
    }

    private static bool IsConnectionLoss(Exception? error)
    {
        // HttpClient wraps an HTTP/2 reset in an HttpRequestException; the reset's code decides.
        for (var inner = error; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpProtocolException protocol)
            {
                return protocol.ErrorCode is NoError or RefusedStream;
            }
        }

        for (var inner = error; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case HttpRequestException:
                case IOException:
                case SocketException:
                case TimeoutException:
                    return true;
                default:
                    break;
            }
        }

        return false;
    }

    private static Exception? Next(Exception error) =>
        error is RpcException rpc ? rpc.Status.DebugException ?? rpc.InnerException : error.InnerException;
}
