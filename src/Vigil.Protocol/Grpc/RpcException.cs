namespace Vigil.Protocol.Grpc;

/// <summary>
/// A call that ended with a non-OK gRPC status. Servers throw it to end a call with that
/// status; clients receive it when a call ends with one.
/// </summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates an exception carrying <paramref name="statusCode"/> and <paramref name="detail"/>.</summary>
    public RpcException(StatusCode statusCode, string detail, Exception? inner = null)
        : base(detail, inner)
    {
        StatusCode = statusCode;
        Detail = detail;
    }

    /// <summary>The gRPC status code (sent as <c>grpc-status</c>).</summary>
    public StatusCode StatusCode { get; }

    /// <summary>The status message (sent as <c>grpc-message</c>); etcd clients match on it.</summary>
    public string Detail { get; }

    /// <inheritdoc/>
    public override string ToString() => $"Status(StatusCode=\"{StatusCode}\", Detail=\"{Detail}\")";
}
