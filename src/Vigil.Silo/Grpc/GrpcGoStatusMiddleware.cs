using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Vigil.Silo.Grpc;

/// <summary>
/// Makes Grpc.AspNetCore answer with the statuses grpc-go, and so etcd, sends where the two
/// differ. etcd clients print these texts and some match on them, so they must be etcd's:
/// <list type="bullet">
/// <item>a gRPC call to no known method: UNIMPLEMENTED <c>unknown service S</c> /
/// <c>unknown method M for service S</c> (Grpc.AspNetCore says "Service is unimplemented.");</item>
/// <item>a method the service class does not override: the same "unknown method" (the generated
/// base answers UNIMPLEMENTED without a message);</item>
/// <item>a request message over the receive limit: RESOURCE_EXHAUSTED
/// <c>grpc: received message larger than max (N vs. L)</c>, also past 2^31 - 1 bytes, where
/// Grpc.AspNetCore answers UNKNOWN;</item>
/// <item>a frame whose flag byte is neither 0 nor 1, and a payload that is not the message:
/// INTERNAL, not UNKNOWN;</item>
/// <item>an unexpected exception of a handler: UNKNOWN with the exception's message, which
/// grpc-go sends for any error that is not a status (Grpc.AspNetCore hides it).</item>
/// </list>
/// It runs between routing and the endpoints. Grpc.AspNetCore leaves the final status in the
/// response headers (trailers-only) or trailers, which are sent only once the pipeline returns,
/// so the status can be replaced here; the call's <see cref="ServerCallContext.Status"/> says
/// what happened.
/// </summary>
internal sealed class GrpcGoStatusMiddleware
{
    private const int FrameHeaderSize = 5;

    private readonly RequestDelegate _next;
    private readonly EndpointDataSource _endpoints;
    private readonly int _maxReceiveMessageSize;
    private readonly ILogger _logger;
    private HashSet<string>? _services;

    public GrpcGoStatusMiddleware(RequestDelegate next, EndpointDataSource endpoints, GrpcServerOptions options, ILoggerFactory loggers)
    {
        _next = next;
        _endpoints = endpoints;
        _maxReceiveMessageSize = options.MaxReceiveMessageSize;
        _logger = loggers.CreateLogger("Vigil.Silo.Grpc");
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint() is null)
        {
            if (IsGrpcCall(context.Request))
            {
                AnswerUnknownMethod(context);
                return;
            }

            await _next(context);
            return;
        }

        await _next(context);

        // A call whose client left, or whose deadline passed, has had its answer already if any.
        if (context.Features.Get<IServerCallContextFeature>()?.ServerCallContext is { Status.StatusCode: not StatusCode.OK } call
            && call.Status is var status
            && !context.RequestAborted.IsCancellationRequested
            && call.Deadline > DateTime.UtcNow
            && await TranslateAsync(context, status) is { } translated)
        {
            GrpcServerLog.StatusTranslated(_logger, MethodName(context), status.StatusCode, translated.StatusCode, translated.Detail);
            WriteStatus(context, translated);
        }
    }

    private static bool IsGrpcCall(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && HttpProtocol.IsHttp2(request.Protocol)
        && request.ContentType is { } type
        && type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase);

    private async ValueTask<Status?> TranslateAsync(HttpContext context, Status status)
    {
        switch (status.StatusCode, status.DebugException)
        {
            case (StatusCode.Unimplemented, _) when status.Detail.Length == 0:
                return UnknownMethodStatus(MethodName(context));

            // Grpc.AspNetCore refuses a frame over the limit with its own words, and one past
            // 2^31 - 1 bytes (IOException) or with a bad flag byte (InvalidDataException) as
            // handler errors: the frame says which it was.
            case (StatusCode.ResourceExhausted, _):
            case (StatusCode.Unknown, IOException or InvalidDataException):
                var frame = await NextFrameHeaderAsync(context.Request);
                if (frame is { Length: var length } && length > _maxReceiveMessageSize)
                {
                    return new Status(StatusCode.ResourceExhausted, Invariant($"grpc: received message larger than max ({length} vs. {_maxReceiveMessageSize})"));
                }

                if (frame is { Flag: > 1 and var flag } && status.DebugException is InvalidDataException)
                {
                    return new Status(StatusCode.Internal, Invariant($"grpc: received unexpected payload format {flag}"));
                }

                return status.StatusCode == StatusCode.Unknown ? Unexpected(status) : null;
            case (StatusCode.Unknown, _):
                return Unexpected(status);
            default:
                return null;
        }
    }

    // The status of an exception that is not an RpcException, as grpc-go words it.
    private static Status? Unexpected(Status status) => status.DebugException switch
    {
        null or RpcException => null,
        InvalidProtocolBufferException error => new Status(StatusCode.Internal, "grpc: error unmarshalling request: " + error.Message),
        var error => new Status(StatusCode.Unknown, error.Message),
    };

    /// <summary>
    /// The flag and declared length of the request frame the call stopped at. Grpc.AspNetCore
    /// leaves a frame it refuses unconsumed, so its header is the first thing left in the body.
    /// The body has been examined up to its end already, so a plain read would wait for more
    /// data: the read is canceled in advance, which makes it return what is buffered at once.
    /// </summary>
    private static async ValueTask<(byte Flag, uint Length)?> NextFrameHeaderAsync(HttpRequest request)
    {
        try
        {
            var body = request.BodyReader;
            body.CancelPendingRead();
            var result = await body.ReadAsync();
            try
            {
                return result.Buffer.Length < FrameHeaderSize ? null : Header(result.Buffer);
            }
            finally
            {
                body.AdvanceTo(result.Buffer.Start);
            }
        }
        catch (Exception error) when (error is InvalidOperationException or IOException or OperationCanceledException)
        {
            // The body is finished or gone: there is no frame to explain the status.
            return null;
        }

        static (byte, uint) Header(in ReadOnlySequence<byte> buffer)
        {
            Span<byte> header = stackalloc byte[FrameHeaderSize];
            buffer.Slice(0, FrameHeaderSize).CopyTo(header);
            return (header[0], BinaryPrimitives.ReadUInt32BigEndian(header[1..]));
        }
    }

    private void AnswerUnknownMethod(HttpContext context)
    {
        var method = MethodName(context);
        var status = UnknownMethodStatus(method);
        GrpcServerLog.UnknownMethod(_logger, method);
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        WriteStatus(context, status);
    }

    // The :path as the client sent it, not percent-decoded: what grpc-go names in its messages.
    private static string MethodName(HttpContext context) =>
        context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? string.Empty;

    /// <summary>UNIMPLEMENTED for a path no method answers, worded as grpc-go words it.</summary>
    private Status UnknownMethodStatus(string path)
    {
        var name = path.StartsWith('/') ? path[1..] : path;
        var slash = name.LastIndexOf('/');
        if (slash < 0)
        {
            return new Status(StatusCode.Unimplemented, $"malformed method name: \"{path}\"");
        }

        var service = name[..slash];
        var method = name[(slash + 1)..];
        return KnownServices().Contains(service)
            ? new Status(StatusCode.Unimplemented, $"unknown method {method} for service {service}")
            : new Status(StatusCode.Unimplemented, $"unknown service {service}");
    }

    // Read once the endpoints are all mapped; the set does not change while the server runs.
    private HashSet<string> KnownServices() =>
        _services ??= _endpoints.Endpoints
            .Select(endpoint => endpoint.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method.ServiceName)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);

    private static void WriteStatus(HttpContext context, Status status)
    {
        var response = context.Response;
        var destination = response.HasStarted ? context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers : response.Headers;
        if (destination is null || destination.IsReadOnly)
        {
            return;
        }

        destination["grpc-status"] = ((int)status.StatusCode).ToString(CultureInfo.InvariantCulture);
        destination["grpc-message"] = status.Detail.Length == 0 ? default : PercentEncode(status.Detail);
    }

    /// <summary>
    /// gRPC's encoding of status messages: UTF-8, with every byte outside printable ASCII, and
    /// '%' itself, as %XX. Grpc.AspNetCore's own encoder is internal.
    /// </summary>
    private static string PercentEncode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var encoded = new StringBuilder(bytes.Length);
        foreach (var b in bytes)
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
