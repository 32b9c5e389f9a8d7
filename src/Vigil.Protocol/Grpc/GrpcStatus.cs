using Grpc.Core;

namespace Vigil.Protocol.Grpc;

/// <summary>The outcome of a gRPC call: a status code and its message.</summary>
/// <param name="Code">The status code (<c>grpc-status</c>).</param>
/// <param name="Detail">The status message (<c>grpc-message</c>, decoded); empty when none was sent.</param>
public readonly record struct GrpcStatus(StatusCode Code, string Detail)
{
    /// <summary>The status of a call that succeeded.</summary>
    public static GrpcStatus Ok => new(StatusCode.OK, string.Empty);

    /// <summary>The exception that reports this status to a caller.</summary>
    public RpcException ToException() => new(new Status(Code, Detail));

    /// <inheritdoc/>
    public override string ToString() => $"Status(StatusCode=\"{Code}\", Detail=\"{Detail}\")";
}
