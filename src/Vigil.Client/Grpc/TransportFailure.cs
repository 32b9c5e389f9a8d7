using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Grpc.Core;
using Vigil.Protocol.Grpc;

namespace Vigil.Client.Grpc;

/// <summary>Turns what HttpClient reports into the gRPC status a caller sees, as grpc-go does.</summary>
internal static class TransportFailure
{
    /// <summary>The status for a transport exception, or null when it is not a transport failure.</summary>
    public static GrpcStatus? ToStatus(Exception exception) => exception switch
    {
        HttpProtocolException protocol => FromHttp2ErrorCode(protocol.ErrorCode, protocol.Message),
        HttpRequestException request => new GrpcStatus(StatusCode.Unavailable, "connection error: " + Describe(request)),
        IOException io => new GrpcStatus(StatusCode.Unavailable, "transport: " + Describe(io)),

        // What HttpClient throws once its GrpcConnection has been disposed.
        ObjectDisposedException => new GrpcStatus(StatusCode.Cancelled, "grpc: the client connection is closing"),
        _ => null,
    };

    /// <summary>The status for a response whose HTTP status is not 200.</summary>
    public static GrpcStatus FromHttpStatus(HttpStatusCode httpStatus, string? reason)
    {
        var code = httpStatus switch
        {
            HttpStatusCode.BadRequest => StatusCode.Internal,
            HttpStatusCode.Unauthorized => StatusCode.Unauthenticated,
            HttpStatusCode.Forbidden => StatusCode.PermissionDenied,
            HttpStatusCode.NotFound => StatusCode.Unimplemented,
            HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => StatusCode.Unavailable,
            _ => StatusCode.Unknown,
        };
        return new GrpcStatus(code, string.Create(CultureInfo.InvariantCulture, $"unexpected HTTP status code received from server: {(int)httpStatus} ({reason})"));
    }

    /// <summary>Reads <c>grpc-status</c> and <c>grpc-message</c> from headers or trailers; null when absent.</summary>
    public static GrpcStatus? FromHeaders(HttpHeaders headers)
    {
        if (!headers.NonValidated.TryGetValues(GrpcHeaders.Status, out var statusValues))
        {
            return null;
        }

        var statusText = statusValues.ToString();
        if (!int.TryParse(statusText, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            return new GrpcStatus(StatusCode.Internal, $"transport: malformed grpc-status: \"{statusText}\"");
        }

        var message = headers.NonValidated.TryGetValues(GrpcHeaders.Message, out var messageValues)
            ? GrpcStatusMessage.Decode(messageValues.ToString())
            : string.Empty;
        return new GrpcStatus((StatusCode)code, message);
    }

    private static GrpcStatus FromHttp2ErrorCode(long errorCode, string message)
    {
        var code = errorCode switch
        {
            // NO_ERROR: the server closed the connection or stream without a fault, which in
            // practice is a shutdown (GOAWAY) racing the stream's end; worth a retry.
            0x0 => StatusCode.Unavailable,
            0x7 => StatusCode.Unavailable,        // REFUSED_STREAM: never processed, safe to retry
            0x8 => StatusCode.Cancelled,          // CANCEL
            0xb => StatusCode.ResourceExhausted,  // ENHANCE_YOUR_CALM
            0xc => StatusCode.PermissionDenied,   // INADEQUATE_SECURITY
            _ => StatusCode.Internal,
        };
        return new GrpcStatus(code, "stream terminated by the server: " + message);
    }

    private static string Describe(Exception exception) =>
        exception.InnerException is { } inner && !string.IsNullOrEmpty(inner.Message) && !exception.Message.Contains(inner.Message, StringComparison.Ordinal)
            ? $"{exception.Message} ({inner.Message})"
            : exception.Message;
}
