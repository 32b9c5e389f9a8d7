using Grpc.Core;
using Microsoft.Extensions.Logging;
using Vigil.Protocol.Grpc;

namespace Vigil.Server.Grpc;

internal static partial class GrpcServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "gRPC call {Method} failed with an unexpected exception; answered UNKNOWN")]
    public static partial void HandlerFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "gRPC call {Method} ended with {StatusCode}: {Detail}")]
    public static partial void CallFailed(ILogger logger, string method, StatusCode statusCode, string detail);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "gRPC call {Method}: the client went away")]
    public static partial void ClientGone(ILogger logger, string method);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "Rejected a gRPC request to {Path}: HTTP {HttpStatus}, {Reason}")]
    public static partial void Rejected(ILogger logger, string path, int httpStatus, string reason);
}
