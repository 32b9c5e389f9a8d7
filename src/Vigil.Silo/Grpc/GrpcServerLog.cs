using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Vigil.Silo.Grpc;

internal static partial class GrpcServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "gRPC call to {Path}: no such method; answered UNIMPLEMENTED")]
    public static partial void UnknownMethod(ILogger logger, string path);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "gRPC call {Path} ended with {StatusCode}; answered {Answer} \"{Detail}\" as grpc-go does")]
    public static partial void StatusTranslated(ILogger logger, string path, StatusCode statusCode, StatusCode answer, string detail);
}
