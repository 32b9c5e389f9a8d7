using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Vigil.Protocol.Grpc;

namespace Vigil.Server.Grpc;

/// <summary>
/// Routes gRPC requests to the method table. Requests that are neither to a registered path
/// nor of a gRPC content type pass through to the rest of the pipeline (health, metrics).
/// </summary>
internal sealed class GrpcMiddleware
{
    private readonly GrpcMethodTable _table;
    private readonly GrpcServerOptions _options;
    private readonly CancellationToken _serverStopping;
    private readonly ILogger _logger;

    public GrpcMiddleware(GrpcMethodTable table, GrpcServerOptions options, CancellationToken serverStopping, ILogger logger)
    {
        _table = table;
        _options = options;
        _serverStopping = serverStopping;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var path = request.Path.Value ?? string.Empty;
        var method = _table.Find(path);
        var isGrpc = GrpcHeaders.IsGrpcContentType(request.ContentType);
        if (method is null && !isGrpc)
        {
            return next(context);
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.Headers.Allow = HttpMethods.Post;
            return RejectAsync(context, StatusCodes.Status405MethodNotAllowed, $"method {request.Method} is not supported, gRPC uses POST");
        }

        if (!HttpProtocol.IsHttp2(request.Protocol))
        {
            return RejectAsync(context, StatusCodes.Status426UpgradeRequired, $"protocol {request.Protocol} is not supported, gRPC needs HTTP/2");
        }

        if (!isGrpc)
        {
            return RejectAsync(context, StatusCodes.Status415UnsupportedMediaType, $"content-type \"{request.ContentType}\" is not supported, expected application/grpc");
        }

        return new GrpcServerCall(context, path, _options, _serverStopping, _logger).RunAsync(method, _table);
    }

    private Task RejectAsync(HttpContext context, int httpStatus, string reason)
    {
        GrpcServerLog.Rejected(_logger, context.Request.Path.Value ?? string.Empty, httpStatus, reason);
        var response = context.Response;
        response.StatusCode = httpStatus;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers[GrpcHeaders.Status] = ((int)StatusCode.Internal).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers[GrpcHeaders.Message] = GrpcStatusMessage.Encode(reason);
        return response.WriteAsync(reason + "\n", context.RequestAborted);
    }
}
